//! What a Hub file request is answered with, as Transformers.js reads it
//! (`src/utils/hub.js`, `model_registry/get_file_metadata.js`):
//! - a GET: 200 with the whole body and its exact Content-Length (any other
//!   status on a GET is an error to Transformers.js, 206 included);
//! - a Range (the `bytes=0-0` size probe): 206 with Content-Range;
//! - a file the repo does not have: 404, which Transformers.js reads as
//!   "optional file absent";
//! - anything hubguard refuses (gated, private, bad token, ...): an error
//!   thrown, so its own message reaches the user: Transformers.js passes a
//!   rejected fetch through unchanged, but turns 401/403 into "Unauthorized
//!   access to file".

use super::request::FileRequest;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::RepoPath;

/// A status, headers (lower-case names), and which bytes of the file to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// `[start, end)` of the file, or `None` for no body (HEAD, 416).
    pub span: Option<(u64, u64)>,
}

/// What is known of a cached file besides its bytes.
#[derive(Clone, Copy, Debug)]
pub struct FileFacts<'a> {
    pub path: &'a RepoPath,
    pub size: u64,
    pub etag: Option<&'a str>,
    pub commit: Option<&'a str>,
}

/// The answer to `request` from a file of `facts.size` bytes on hand.
pub fn answer_from_file(request: &FileRequest, facts: &FileFacts<'_>) -> FileAnswer {
    let size = facts.size;
    let mut headers = describe(facts);
    let (status, span) = match request.range {
        None => (200, Some((0, size))),
        Some(range) => match range.span(size) {
            Some((start, end)) => {
                headers.push(("content-range".into(), format!("bytes {start}-{}/{size}", end - 1)));
                (206, Some((start, end)))
            }
            None => {
                headers.push(("content-range".into(), format!("bytes */{size}")));
                (416, None)
            }
        },
    };
    let length = span.map_or(0, |(start, end)| end - start);
    headers.push(("content-length".into(), length.to_string()));
    FileAnswer {
        status,
        headers,
        span: if request.head { None } else { span },
    }
}

/// A HEAD answered from the Hub's metadata, for a file not cached (yet).
pub fn answer_from_metadata(facts: &FileFacts<'_>) -> FileAnswer {
    let mut headers = describe(facts);
    headers.push(("content-length".into(), facts.size.to_string()));
    FileAnswer {
        status: 200,
        headers,
        span: None,
    }
}

fn describe(facts: &FileFacts<'_>) -> Vec<(String, String)> {
    let mut headers = vec![
        ("content-type".to_owned(), content_type(facts.path).to_owned()),
        ("accept-ranges".to_owned(), "bytes".to_owned()),
    ];
    if let Some(etag) = facts.etag {
        headers.push(("etag".into(), format!("\"{etag}\"")));
    }
    if let Some(commit) = facts.commit {
        headers.push(("x-repo-commit".into(), commit.to_owned()));
    }
    headers
}

/// The media type by extension, as the Hub sends it for the files
/// Transformers.js reads (it only looks at JSON and text ones).
pub fn content_type(path: &RepoPath) -> &'static str {
    let name = path.as_str().rsplit('/').next().unwrap_or_default();
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match extension.as_deref() {
        Some("json") => "application/json; charset=utf-8",
        Some("txt" | "md" | "jinja" | "py" | "csv" | "yaml" | "yml") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Answer headers from upstream that a fetch caller may see: what
/// Transformers.js reads, and nothing that sets state (no Set-Cookie).
const KEPT_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "x-repo-commit",
];

pub fn kept_headers(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.clone()))
        .collect()
}

/// Whether a failure becomes an answer or an error the caller sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// 404: the file does not exist (Transformers.js skips optional files).
    NotFound,
    /// Thrown, with hubguard's message.
    Throw,
}

/// `known_commit`: offline, whether the cache knows the revision's commit
/// (`refs/{revision}` or a cached commit hash). A snapshot that is there
/// without this file (huggingface_hub downloads only what was asked, and
/// records no absences) then counts the file as absent, as transformers
/// does for optional files offline; a revision never cached is
/// `NOT_CACHED`, which says how to fix it.
pub fn failure(error: &HubError, known_commit: bool) -> Failure {
    match error.code {
        ErrorCode::EntryNotFound => Failure::NotFound,
        ErrorCode::NotCached if known_commit => Failure::NotFound,
        _ => Failure::Throw,
    }
}

/// Served to ONNX Runtime by file path in Node (Transformers.js loads a
/// path string with no copy into JS memory): the model and its external
/// data (`model.onnx_data`, `model.onnx_data_1`, ...). Everything else is
/// a Response, since Transformers.js would try to decode a path string as
/// the file's text.
pub fn serve_as_path(path: &RepoPath) -> bool {
    let name = path.as_str().rsplit('/').next().unwrap_or_default();
    name.ends_with(".onnx") || name.contains(".onnx_data")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::fetch::request::{file_request, ByteRange};

    fn path(p: &str) -> RepoPath {
        RepoPath::parse(p).unwrap()
    }

    fn facts(p: &RepoPath, size: u64) -> FileFacts<'_> {
        FileFacts {
            path: p,
            size,
            etag: Some("abc"),
            commit: Some("0123456789abcdef0123456789abcdef01234567"),
        }
    }

    fn header<'a>(answer: &'a FileAnswer, name: &str) -> Option<&'a str> {
        answer.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_get_is_the_whole_file_with_its_length() {
        let p = path("onnx/model.onnx");
        let answer = answer_from_file(&file_request("GET", &[]).unwrap(), &facts(&p, 1234));
        assert_eq!((answer.status, answer.span), (200, Some((0, 1234))));
        assert_eq!(header(&answer, "content-length"), Some("1234"));
        assert_eq!(header(&answer, "etag"), Some("\"abc\""));
        assert_eq!(header(&answer, "content-range"), None);
    }

    #[test]
    fn the_size_probe_is_206_with_content_range() {
        let p = path("config.json");
        let request = FileRequest {
            head: false,
            range: ByteRange::parse("bytes=0-0"),
        };
        let answer = answer_from_file(&request, &facts(&p, 700));
        assert_eq!((answer.status, answer.span), (206, Some((0, 1))));
        assert_eq!(header(&answer, "content-range"), Some("bytes 0-0/700"));
        assert_eq!(header(&answer, "content-length"), Some("1"));
        assert_eq!(header(&answer, "content-type"), Some("application/json; charset=utf-8"));
    }

    #[test]
    fn an_unsatisfiable_range_is_416_and_head_has_no_body() {
        let p = path("f.bin");
        let request = FileRequest {
            head: false,
            range: ByteRange::parse("bytes=9-"),
        };
        let answer = answer_from_file(&request, &facts(&p, 5));
        assert_eq!((answer.status, answer.span), (416, None));
        assert_eq!(header(&answer, "content-range"), Some("bytes */5"));
        let head = answer_from_file(&file_request("HEAD", &[]).unwrap(), &facts(&p, 5));
        assert_eq!((head.status, head.span), (200, None));
        assert_eq!(header(&head, "content-length"), Some("5"));
        let unknown = answer_from_metadata(&facts(&p, 77));
        assert_eq!(header(&unknown, "content-length"), Some("77"));
    }

    #[test]
    fn only_readable_answer_headers_pass() {
        let upstream = vec![
            ("Content-Length".to_owned(), "5".to_owned()),
            ("set-cookie".to_owned(), "s=1".to_owned()),
            ("x-amz-request-id".to_owned(), "r".to_owned()),
            ("Content-Range".to_owned(), "bytes 0-0/5".to_owned()),
        ];
        assert_eq!(
            kept_headers(&upstream),
            vec![
                ("content-length".to_owned(), "5".to_owned()),
                ("content-range".to_owned(), "bytes 0-0/5".to_owned())
            ]
        );
    }

    #[test]
    fn missing_files_are_404_and_refusals_are_thrown() {
        let missing = HubError::new(ErrorCode::EntryNotFound, "x");
        assert_eq!(failure(&missing, false), Failure::NotFound);
        let offline = HubError::new(ErrorCode::NotCached, "x");
        assert_eq!(failure(&offline, true), Failure::NotFound);
        assert_eq!(failure(&offline, false), Failure::Throw);
        for code in [
            ErrorCode::GatedRepo,
            ErrorCode::RepoNotFound,
            ErrorCode::InvalidToken,
            ErrorCode::RevisionNotFound,
            ErrorCode::Network,
            ErrorCode::Integrity,
        ] {
            assert_eq!(failure(&HubError::new(code, "x"), true), Failure::Throw, "{code}");
        }
    }

    #[test]
    fn model_files_are_served_by_path() {
        for p in [
            "onnx/model.onnx",
            "model.onnx",
            "onnx/model_q4.onnx_data",
            "onnx/model.onnx_data_1",
        ] {
            assert!(serve_as_path(&path(p)), "{p}");
        }
        for p in [
            "config.json",
            "tokenizer.json",
            "onnx/model.onnx.json",
            "model.safetensors",
        ] {
            assert!(!serve_as_path(&path(p)), "{p}");
        }
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type(&path("a/b.JSON")), "application/json; charset=utf-8");
        assert_eq!(content_type(&path("chat_template.jinja")), "text/plain; charset=utf-8");
        assert_eq!(content_type(&path("onnx/model.onnx")), "application/octet-stream");
        assert_eq!(content_type(&path("LICENSE")), "application/octet-stream");
    }
}
