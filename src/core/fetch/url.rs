//! Which URLs are Hub file URLs: `{endpoint}/{datasets/|spaces/}{repo}/resolve/{revision}/{path}`
//! on the configured endpoint, parsed back into validated parts (the
//! inverse of `Endpoint::resolve_url`). Everything else is not hubguard's
//! business and goes to the platform's own fetch untouched.

use percent_encoding::percent_decode_str;
use url::Url;

use crate::core::endpoint::Endpoint;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::{truncate_for_message, RepoId, RepoPath, RepoType, Revision};

/// A file of a repo at a revision, named by a Hub file URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubFile {
    pub repo_type: RepoType,
    pub repo: RepoId,
    pub revision: Revision,
    pub path: RepoPath,
}

/// `Ok(None)`: not a Hub file URL (another origin or route, a query, not
/// http(s)). `Err`: it has the shape of one but names an invalid repo id,
/// revision or path, which no request should be made for.
pub fn parse_file_url(endpoint: &Endpoint, raw: &str) -> Result<Option<HubFile>, HubError> {
    let Ok(url) = Url::parse(raw) else {
        return Ok(None);
    };
    // A query (`?download=true`, a signature) is not the plain resolve route.
    if !endpoint.is_hub_origin(&url) || url.query().is_some() {
        return Ok(None);
    }
    let Some(rest) = url
        .path()
        .strip_prefix(endpoint.base_path())
        .and_then(|r| r.strip_prefix('/'))
    else {
        return Ok(None);
    };
    let segments: Vec<&str> = rest.split('/').collect();
    let (repo_type, segments) = match segments.first() {
        Some(&"datasets") => (RepoType::Dataset, &segments[1..]),
        Some(&"spaces") => (RepoType::Space, &segments[1..]),
        _ => (RepoType::Model, &segments[..]),
    };
    // `org/name/resolve/...`, else a one-part id (`gpt2/resolve/...`).
    let resolve_at = if segments.get(2) == Some(&"resolve") {
        2
    } else if segments.get(1) == Some(&"resolve") {
        1
    } else {
        return Ok(None);
    };
    // A revision and at least one path segment must follow.
    if segments.len() < resolve_at + 3 {
        return Ok(None);
    }
    let id = segments[..resolve_at]
        .iter()
        .map(|s| decode(s, raw))
        .collect::<Result<Vec<_>, _>>()?
        .join("/");
    let repo = RepoId::parse(&id)?;
    // Transformers.js and huggingface_hub send `refs/pr/1` encoded as one
    // segment (`refs%2Fpr%2F1`); the Hub also takes it unencoded.
    let after = &segments[resolve_at + 1..];
    let revision_parts = if after[0] == "refs" && after.len() >= 4 && matches!(after[1], "pr" | "convert") {
        3
    } else {
        1
    };
    let revision = after[..revision_parts]
        .iter()
        .map(|s| decode(s, raw))
        .collect::<Result<Vec<_>, _>>()?
        .join("/");
    let revision = Revision::parse(&revision)?;
    let mut path = Vec::new();
    for segment in &after[revision_parts..] {
        let part = decode(segment, raw)?;
        // An encoded '/' would make one segment two.
        if part.contains('/') {
            return Err(bad_path(raw));
        }
        path.push(part);
    }
    let path = RepoPath::parse(&path.join("/"))?;
    Ok(Some(HubFile {
        repo_type,
        repo,
        revision,
        path,
    }))
}

fn decode(segment: &str, raw: &str) -> Result<String, HubError> {
    percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| bad_path(raw))
}

fn bad_path(raw: &str) -> HubError {
    let shown = Url::parse(raw)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| raw.to_owned());
    HubError::new(
        ErrorCode::InvalidPath,
        format!(
            "The Hub file URL path {:?} does not decode to a valid repo file path.",
            truncate_for_message(&shown)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub() -> Endpoint {
        Endpoint::parse("https://huggingface.co").unwrap()
    }

    fn parsed(endpoint: &Endpoint, url: &str) -> (RepoType, String, String, String) {
        let f = parse_file_url(endpoint, url)
            .unwrap()
            .unwrap_or_else(|| panic!("{url}"));
        (
            f.repo_type,
            f.repo.to_string(),
            f.revision.to_string(),
            f.path.to_string(),
        )
    }

    #[test]
    fn model_dataset_and_space_files() {
        let e = hub();
        assert_eq!(
            parsed(&e, "https://huggingface.co/org/model/resolve/main/onnx/model.onnx"),
            (
                RepoType::Model,
                "org/model".into(),
                "main".into(),
                "onnx/model.onnx".into()
            )
        );
        assert_eq!(
            parsed(&e, "https://huggingface.co/datasets/org/data/resolve/v1/train.csv").0,
            RepoType::Dataset
        );
        assert_eq!(
            parsed(&e, "https://huggingface.co/spaces/org/app/resolve/main/app.py").0,
            RepoType::Space
        );
        assert_eq!(
            parsed(&e, "https://huggingface.co/gpt2/resolve/main/config.json").1,
            "gpt2"
        );
    }

    #[test]
    fn encoded_and_plain_pull_request_revisions() {
        let e = hub();
        for url in [
            "https://huggingface.co/org/m/resolve/refs%2Fpr%2F1/config.json",
            "https://huggingface.co/org/m/resolve/refs/pr/1/config.json",
        ] {
            assert_eq!(parsed(&e, url).2, "refs/pr/1", "{url}");
            assert_eq!(parsed(&e, url).3, "config.json", "{url}");
        }
        assert_eq!(
            parsed(&e, "https://huggingface.co/org/m/resolve/refs/heads/x").2,
            "refs",
            "only pr/ and convert/ refs span three segments"
        );
    }

    #[test]
    fn encoded_path_segments_are_decoded_once() {
        let e = hub();
        assert_eq!(
            parsed(&e, "https://huggingface.co/org/m/resolve/main/dir/a%20b.json").3,
            "dir/a b.json"
        );
        assert_eq!(
            parsed(&e, "https://huggingface.co/org/m/resolve/main/%252e%252e").3,
            "%2e%2e"
        );
        let err = parse_file_url(&e, "https://huggingface.co/org/m/resolve/main/a%2Fb").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidPath);
    }

    #[test]
    fn an_endpoint_under_a_path_and_another_port() {
        let e = Endpoint::parse("http://127.0.0.1:8080/mirror/").unwrap();
        assert_eq!(
            parsed(&e, "http://127.0.0.1:8080/mirror/org/m/resolve/main/f.bin").1,
            "org/m"
        );
        for other in [
            "http://127.0.0.1:8080/org/m/resolve/main/f.bin",
            "http://127.0.0.1:8081/mirror/org/m/resolve/main/f.bin",
            "http://127.0.0.1:8080/mirrorx/org/m/resolve/main/f.bin",
        ] {
            assert_eq!(parse_file_url(&e, other).unwrap(), None, "{other}");
        }
    }

    #[test]
    fn other_urls_are_not_hub_files() {
        let e = hub();
        for url in [
            "https://cdn.jsdelivr.net/npm/onnxruntime-web/dist/ort.wasm",
            "https://huggingface.co.evil.example/org/m/resolve/main/f",
            "http://huggingface.co/org/m/resolve/main/f",
            "https://huggingface.co/api/models/org/m",
            "https://huggingface.co/org/m/blob/main/f",
            "https://huggingface.co/org/m/resolve/main",
            "https://huggingface.co/org/m/resolve/main/f?download=true",
            "/models/org/m/config.json",
            "not a url",
            "data:text/plain,hello",
        ] {
            assert_eq!(parse_file_url(&e, url).unwrap(), None, "{url}");
        }
    }

    #[test]
    fn invalid_parts_are_typed_errors() {
        let e = hub();
        let cases = [
            ("https://huggingface.co/a--b/m/resolve/main/f", ErrorCode::InvalidRepoId),
            ("https://huggingface.co/org/m/resolve/%00/f", ErrorCode::InvalidRevision),
            (
                "https://huggingface.co/org/m/resolve/main/a%5Cb",
                ErrorCode::InvalidPath,
            ),
            ("https://huggingface.co/org/m/resolve/main/%FF", ErrorCode::InvalidPath),
        ];
        for (url, code) in cases {
            assert_eq!(parse_file_url(&e, url).unwrap_err().code, code, "{url}");
        }
    }
}
