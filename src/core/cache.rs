//! The huggingface_hub cache layout, shared with Python.
//!
//! ```text
//! {root}/models--{org}--{name}/
//!     blobs/{etag}                      file bytes (sha256 for LFS, git sha1 otherwise)
//!     blobs/{etag}.incomplete           a download in progress
//!     snapshots/{commit}/{path}         relative symlink to ../../blobs/{etag}
//!     refs/{revision}                   the commit a branch or tag points to
//!     .no_exist/{commit}/{path}         the file is known to be missing
//!     .hubguard/{commit}/{path}{suffix} hubguard's compact form of a file
//!                                       (the pre-parsed tokenizer.json)
//! {root}/.locks/models--{org}--{name}/{etag}.hubguard.lock
//! ```
//! Only paths are computed here; the platform does the file I/O.

use super::environment::{expand_home, hf_home, Environment};
use super::repo::{RepoId, RepoPath, RepoType, Revision};

/// `cache_dir` option, else `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
/// `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`.
pub fn cache_root(option: Option<&str>, env: &impl Environment) -> Option<String> {
    let chosen = match option.filter(|o| !o.is_empty()) {
        Some(dir) => expand_home(dir, env)?,
        None => match env.non_empty("HF_HUB_CACHE") {
            Some(dir) => expand_home(&dir, env)?,
            None => format!("{}/hub", hf_home(env)?.trim_end_matches('/')),
        },
    };
    Some(chosen.trim_end_matches('/').to_owned())
}

/// One repo's folder in the cache.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoCache {
    root: String,
    folder: String,
}

impl RepoCache {
    pub fn new(root: &str, repo_type: RepoType, repo: &RepoId) -> Self {
        let folder = format!("{}--{}", repo_type.plural(), repo.as_str().replace('/', "--"));
        RepoCache {
            root: root.trim_end_matches('/').to_owned(),
            folder,
        }
    }

    pub fn dir(&self) -> String {
        format!("{}/{}", self.root, self.folder)
    }

    pub fn blob(&self, etag: &str) -> String {
        format!("{}/blobs/{etag}", self.dir())
    }

    pub fn incomplete_blob(&self, etag: &str) -> String {
        format!("{}.incomplete", self.blob(etag))
    }

    pub fn snapshot_file(&self, commit: &str, path: &RepoPath) -> String {
        format!("{}/snapshots/{commit}/{path}", self.dir())
    }

    /// `refs/main`, or nested for `refs/pr/1`: the revision is validated, so
    /// its parts are safe path components.
    pub fn reference(&self, revision: &Revision) -> String {
        format!("{}/refs/{revision}", self.dir())
    }

    pub fn no_exist(&self, commit: &str, path: &RepoPath) -> String {
        format!("{}/.no_exist/{commit}/{path}", self.dir())
    }

    /// hubguard's compact form of a snapshot file (see
    /// `core::tokenizer::TokenizerJson`). Its own folder: huggingface_hub's
    /// cache scan reads only `refs/` and `snapshots/`, so it ignores it,
    /// and deleting the repo's folder deletes it too.
    pub fn derived(&self, commit: &str, path: &RepoPath, suffix: &str) -> String {
        format!("{}/.hubguard/{commit}/{path}{suffix}", self.dir())
    }

    /// hubguard's lock file for one blob's download, beside huggingface_hub's
    /// `{etag}.lock` (which Python holds with `flock`, which Node lacks).
    pub fn lock(&self, etag: &str) -> String {
        format!("{}/.locks/{}/{etag}.hubguard.lock", self.root, self.folder)
    }

    /// The relative link from `snapshots/{commit}/{path}` to its blob:
    /// `../../blobs/{etag}`, one more `../` per folder in `path`.
    pub fn blob_link(path: &RepoPath, etag: &str) -> String {
        let depth = path.segments().count() - 1;
        format!("{}../../blobs/{etag}", "../".repeat(depth))
    }
}

/// The Hub's ETag without quotes or a weak marker, as huggingface_hub stores it.
pub fn normalize_etag(raw: &str) -> Option<String> {
    let etag = raw.trim().trim_start_matches("W/").trim_matches('"');
    let valid = !etag.is_empty() && etag.len() <= 128 && etag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    valid.then(|| etag.to_owned())
}

/// LFS blobs are named by their sha256, which a download can be checked against.
pub fn is_sha256(etag: &str) -> bool {
    etag.len() == 64 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// What git hashes before a file's bytes to name it (`git hash-object`),
/// as the Hub names regular files: `blob {size}\0`.
pub fn git_blob_header(size: u64) -> String {
    format!("blob {size}\0")
}

/// A 40-hex commit, as found in `refs/*` files and `X-Repo-Commit`.
pub fn parse_commit(text: &str) -> Option<String> {
    let commit = text.trim();
    (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())).then(|| commit.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::token::tests::FakeEnv;

    fn repo_cache() -> RepoCache {
        RepoCache::new(
            "/c/hub/",
            RepoType::Model,
            &RepoId::parse("meta-llama/Llama-2-7b-hf").unwrap(),
        )
    }

    #[test]
    fn root_follows_huggingface_hub() {
        let env = FakeEnv::default()
            .with_var("HF_HUB_CACHE", "/a")
            .with_var("HF_HOME", "/b");
        assert_eq!(cache_root(Some("~/mine"), &env).as_deref(), Some("/home/u/mine"));
        assert_eq!(cache_root(None, &env).as_deref(), Some("/a"));
        let env = FakeEnv::default().with_var("HF_HOME", "/b/");
        assert_eq!(cache_root(None, &env).as_deref(), Some("/b/hub"));
        let env = FakeEnv::default().with_var("XDG_CACHE_HOME", "/x");
        assert_eq!(cache_root(None, &env).as_deref(), Some("/x/huggingface/hub"));
        assert_eq!(
            cache_root(None, &FakeEnv::default()).as_deref(),
            Some("/home/u/.cache/huggingface/hub")
        );
    }

    #[test]
    fn layout() {
        let c = repo_cache();
        let sha = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(c.dir(), "/c/hub/models--meta-llama--Llama-2-7b-hf");
        assert_eq!(c.blob("e1"), "/c/hub/models--meta-llama--Llama-2-7b-hf/blobs/e1");
        assert_eq!(
            c.incomplete_blob("e1"),
            "/c/hub/models--meta-llama--Llama-2-7b-hf/blobs/e1.incomplete"
        );
        let path = RepoPath::parse("sub/dir/f.json").unwrap();
        assert_eq!(
            c.snapshot_file(sha, &path),
            format!("/c/hub/models--meta-llama--Llama-2-7b-hf/snapshots/{sha}/sub/dir/f.json")
        );
        assert_eq!(
            c.reference(&Revision::parse("refs/pr/1").unwrap()),
            "/c/hub/models--meta-llama--Llama-2-7b-hf/refs/refs/pr/1"
        );
        assert_eq!(
            c.no_exist(sha, &path),
            format!("/c/hub/models--meta-llama--Llama-2-7b-hf/.no_exist/{sha}/sub/dir/f.json")
        );
        assert_eq!(
            c.lock("e1"),
            "/c/hub/.locks/models--meta-llama--Llama-2-7b-hf/e1.hubguard.lock"
        );
        let d = RepoCache::new("/c", RepoType::Dataset, &RepoId::parse("o/d").unwrap());
        assert_eq!(d.dir(), "/c/datasets--o--d");
    }

    #[test]
    fn blob_links_are_relative() {
        assert_eq!(
            RepoCache::blob_link(&RepoPath::parse("tokenizer.json").unwrap(), "e"),
            "../../blobs/e"
        );
        assert_eq!(
            RepoCache::blob_link(&RepoPath::parse("a/b/c.bin").unwrap(), "e"),
            "../../../../blobs/e"
        );
    }

    #[test]
    fn etags_and_commits() {
        assert_eq!(normalize_etag("W/\"abc123\"").as_deref(), Some("abc123"));
        assert_eq!(normalize_etag("\"../../etc\""), None);
        assert_eq!(normalize_etag(""), None);
        assert!(is_sha256(&"a".repeat(64)));
        assert!(!is_sha256(&"a".repeat(40)));
        assert_eq!(
            parse_commit(" ABCDEF0123456789abcdef0123456789abcdef01\n").as_deref(),
            Some("abcdef0123456789abcdef0123456789abcdef01")
        );
        assert_eq!(parse_commit("main"), None);
    }
}
