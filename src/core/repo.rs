//! Repository ids, revisions and file paths, validated before any request.
//!
//! Every value that ends up in a Hub URL passes through one of these types, so
//! nothing a caller types can steer a request to another path or host. The
//! rules follow the Hub's own: `huggingface_hub.utils.validate_repo_id`.

use std::fmt;

use super::error::{ErrorCode, HubError};

/// The Hub's limit on a repo id, namespace included.
const MAX_REPO_ID_LEN: usize = 96;
/// Long enough for `refs/pr/123` style refs and 40-hex commits, short enough
/// that a pasted blob of text is rejected.
const MAX_REVISION_LEN: usize = 256;
const MAX_PATH_LEN: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RepoType {
    Model,
    Dataset,
    Space,
}

impl RepoType {
    pub fn parse(value: &str) -> Result<Self, HubError> {
        match value {
            "model" => Ok(RepoType::Model),
            "dataset" => Ok(RepoType::Dataset),
            "space" => Ok(RepoType::Space),
            other => Err(HubError::new(
                ErrorCode::InvalidOption,
                format!(
                    "Unknown repo type {:?}: use \"model\", \"dataset\" or \"space\".",
                    truncate_for_message(other)
                ),
            )),
        }
    }

    /// The URL prefix the Hub puts before the repo id (`/datasets/org/name/...`).
    pub fn url_prefix(self) -> &'static str {
        match self {
            RepoType::Model => "",
            RepoType::Dataset => "datasets/",
            RepoType::Space => "spaces/",
        }
    }

    /// The Hub's word for the collection: in API routes (`/api/models/…`)
    /// and in the huggingface_hub cache's folder names (`models--org--name`).
    pub fn plural(self) -> &'static str {
        match self {
            RepoType::Model => "models",
            RepoType::Dataset => "datasets",
            RepoType::Space => "spaces",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RepoType::Model => "model",
            RepoType::Dataset => "dataset",
            RepoType::Space => "space",
        }
    }
}

/// `name` or `namespace/name`, checked against the Hub's rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RepoId(String);

impl RepoId {
    pub fn parse(value: &str) -> Result<Self, HubError> {
        let fail = |why: &str| {
            Err(HubError::new(
                ErrorCode::InvalidRepoId,
                format!(
                    "Invalid repo id {:?}: {why}. A repo id looks like \"namespace/name\" \
                     (for example \"meta-llama/Llama-2-7b-hf\"), using letters, digits, '-', '_' and '.'.",
                    truncate_for_message(value)
                ),
            ))
        };
        if value.is_empty() {
            return fail("it is empty");
        }
        if value.len() > MAX_REPO_ID_LEN {
            return fail(&format!("it is longer than {MAX_REPO_ID_LEN} characters"));
        }
        let parts: Vec<&str> = value.split('/').collect();
        if parts.len() > 2 {
            return fail("it has more than one '/'");
        }
        for part in &parts {
            if part.is_empty() {
                return fail("a part is empty");
            }
            if let Some(bad) = part
                .chars()
                .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            {
                return fail(&format!("{bad:?} is not allowed"));
            }
            if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
                return fail("a part starts or ends with '-' or '.'");
            }
        }
        if value.contains("--") || value.contains("..") {
            return fail("'--' and '..' are not allowed");
        }
        Ok(RepoId(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A branch, tag, `refs/...` name or commit hash.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Revision(String);

impl Revision {
    pub fn main() -> Self {
        Revision("main".to_owned())
    }

    pub fn parse(value: &str) -> Result<Self, HubError> {
        check_slash_separated(value, MAX_REVISION_LEN)
            .map(|()| Revision(value.to_owned()))
            .map_err(|why| {
                HubError::new(
                    ErrorCode::InvalidRevision,
                    format!(
                        "Invalid revision {:?}: {why}. Use a branch or tag name (such as \"main\") or a commit hash.",
                        truncate_for_message(value)
                    ),
                )
            })
    }

    /// A full commit hash names an immutable snapshot.
    pub fn is_commit_hash(&self) -> bool {
        self.0.len() == 40 && self.0.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A file path inside a repo: relative, `/`-separated, with no `.`/`..` parts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RepoPath(String);

impl RepoPath {
    pub fn parse(value: &str) -> Result<Self, HubError> {
        check_slash_separated(value, MAX_PATH_LEN)
            .map(|()| RepoPath(value.to_owned()))
            .map_err(|why| {
                HubError::new(
                    ErrorCode::InvalidPath,
                    format!(
                    "Invalid file path {:?}: {why}. Use a path relative to the repo root, such as \"tokenizer.json\".",
                    truncate_for_message(value)
                ),
                )
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The rule revisions and file paths share: `/`-separated parts, none empty,
/// `.` or `..`, and no backslash or control character. `Err` says why not.
fn check_slash_separated(value: &str, max_len: usize) -> Result<(), String> {
    if value.is_empty() {
        return Err("it is empty".into());
    }
    if value.len() > max_len {
        return Err(format!("it is longer than {max_len} characters"));
    }
    if value.chars().any(|c| c.is_control() || c == '\\') {
        return Err("it contains a control character or a backslash".into());
    }
    if value.split('/').any(|seg| seg.is_empty() || seg == "." || seg == "..") {
        return Err("it starts or ends with '/', or has an empty, '.' or '..' part".into());
    }
    Ok(())
}

/// Caller-supplied text quoted back in an error is cut short, so a huge or
/// hostile value cannot flood a log line.
pub(crate) fn truncate_for_message(value: &str) -> String {
    const LIMIT: usize = 120;
    if value.chars().count() <= LIMIT {
        value.to_owned()
    } else {
        let head: String = value.chars().take(LIMIT).collect();
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_repo_ids() {
        for id in [
            "meta-llama/Llama-2-7b-hf",
            "gpt2",
            "google-bert/bert-base-uncased",
            "a/b.c_d-e",
        ] {
            assert_eq!(RepoId::parse(id).unwrap().as_str(), id);
        }
    }

    #[test]
    fn rejects_bad_repo_ids() {
        let long = "a".repeat(97);
        for id in [
            "",
            "/",
            "a/",
            "/a",
            "a/b/c",
            "a//b",
            "a/..",
            "../a",
            "a--b/c",
            "a/b..c",
            "a b/c",
            "a/b?c",
            "a/b#c",
            "a/b%2f",
            "-a/b",
            "a/b-",
            ".a/b",
            "a\\b",
            "a/b\n",
            "ünï/côdé",
            long.as_str(),
        ] {
            let err = RepoId::parse(id).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRepoId, "{id:?}");
            assert!(err.message.contains("namespace/name"), "{}", err.message);
        }
    }

    #[test]
    fn long_values_are_truncated_in_messages() {
        let err = RepoId::parse(&"x".repeat(5000)).unwrap_err();
        assert!(err.message.len() < 400);
    }

    #[test]
    fn revisions() {
        for ok in ["main", "v1.0", "refs/pr/1", "0123456789abcdef0123456789abcdef01234567"] {
            Revision::parse(ok).unwrap();
        }
        for bad in ["", "..", "a/../b", "a//b", "/main", "ma\u{0}in", "a\\b"] {
            assert_eq!(
                Revision::parse(bad).unwrap_err().code,
                ErrorCode::InvalidRevision,
                "{bad:?}"
            );
        }
        assert!(Revision::parse("0123456789abcdef0123456789abcdef01234567")
            .unwrap()
            .is_commit_hash());
        assert!(!Revision::parse("main").unwrap().is_commit_hash());
        assert!(!Revision::parse("0123456789ABCDEF0123456789abcdef01234567")
            .unwrap()
            .is_commit_hash());
    }

    #[test]
    fn paths() {
        for ok in ["tokenizer.json", "sub/dir/file.bin", "a b.txt", "%2e%2e"] {
            RepoPath::parse(ok).unwrap();
        }
        for bad in ["", "/etc/passwd", "../x", "a/./b", "a//b", "a/", "a\\b", "a\u{7}b"] {
            assert_eq!(
                RepoPath::parse(bad).unwrap_err().code,
                ErrorCode::InvalidPath,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn repo_types() {
        assert_eq!(RepoType::parse("dataset").unwrap().url_prefix(), "datasets/");
        assert_eq!(RepoType::parse("bogus").unwrap_err().code, ErrorCode::InvalidOption);
    }
}
