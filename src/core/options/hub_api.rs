//! The Hub API's options (`downloadFile`, `snapshotDownload`, `fileExists`,
//! `modelInfo`, `whoami`, and the CLI's login). Keys are camelCase, as
//! @huggingface/hub's (`repoType`, `allowPatterns`, `maxWorkers`), except
//! where Transformers.js and huggingface_hub spell a setting differently:
//! `cacheDir`/`cache_dir` and `localFilesOnly`/`local_files_only` are both
//! accepted. `progress_callback` is Transformers.js' name, as everywhere.

use serde::Deserialize;

use super::values::{at_least_one, string_list, token};
use super::JsValues;
use crate::core::error::HubError;
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::token::TokenOption;

/// `downloadFile(options)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct DownloadFileOptions<J: JsValues> {
    pub repo: String,
    pub path: String,
    pub revision: Option<String>,
    #[serde(rename = "repoType")]
    pub repo_type: Option<String>,
    #[serde(rename = "cacheDir", alias = "cache_dir")]
    pub cache_dir: Option<String>,
    #[serde(rename = "localFilesOnly", alias = "local_files_only")]
    pub local_files_only: Option<bool>,
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
    pub progress_callback: Option<J::Function>,
    pub signal: Option<J::Signal>,
}

/// `snapshotDownload(options)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct SnapshotOptions<J: JsValues> {
    pub repo: String,
    pub revision: Option<String>,
    #[serde(rename = "repoType")]
    pub repo_type: Option<String>,
    /// fnmatch patterns, as huggingface_hub's.
    #[serde(rename = "allowPatterns", default, deserialize_with = "string_list")]
    pub allow_patterns: Option<Vec<String>>,
    #[serde(rename = "ignorePatterns", default, deserialize_with = "string_list")]
    pub ignore_patterns: Option<Vec<String>>,
    /// Files downloaded at once.
    #[serde(rename = "maxWorkers", default, deserialize_with = "at_least_one")]
    pub max_workers: Option<usize>,
    #[serde(rename = "cacheDir", alias = "cache_dir")]
    pub cache_dir: Option<String>,
    #[serde(rename = "localFilesOnly", alias = "local_files_only")]
    pub local_files_only: Option<bool>,
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
    pub progress_callback: Option<J::Function>,
    pub signal: Option<J::Signal>,
}

/// `fileExists(options)`: one HEAD request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct FileExistsOptions<J: JsValues> {
    pub repo: String,
    pub path: String,
    pub revision: Option<String>,
    #[serde(rename = "repoType")]
    pub repo_type: Option<String>,
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
    pub signal: Option<J::Signal>,
}

/// `modelInfo(options)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct ModelInfoOptions<J: JsValues> {
    pub repo: String,
    pub revision: Option<String>,
    #[serde(rename = "repoType")]
    pub repo_type: Option<String>,
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
    pub signal: Option<J::Signal>,
}

/// `whoami(options)`, and the CLI's `login` (which passes the token to check).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct WhoamiOptions<J: JsValues> {
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
    pub signal: Option<J::Signal>,
}

/// The repo type, default `model`.
pub fn repo_type(value: Option<&str>) -> Result<RepoType, HubError> {
    value.map_or(Ok(RepoType::Model), RepoType::parse)
}

/// The revision, default `main`.
pub fn revision(value: Option<&str>) -> Result<Revision, HubError> {
    value.map_or(Ok(Revision::main()), Revision::parse)
}

/// The parsed parts of a call about one file.
pub fn file_parts(
    repo: &str,
    path: &str,
    revision_given: Option<&str>,
    repo_type_given: Option<&str>,
) -> Result<(RepoType, RepoId, Revision, RepoPath), HubError> {
    Ok((
        repo_type(repo_type_given)?,
        RepoId::parse(repo)?,
        revision(revision_given)?,
        RepoPath::parse(path)?,
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::error::ErrorCode;
    use crate::core::options::{read, Json};

    #[test]
    fn both_spellings_of_the_cache_settings_are_accepted() {
        for (dir, offline) in [("cacheDir", "localFilesOnly"), ("cache_dir", "local_files_only")] {
            let o: DownloadFileOptions<Json> = read(
                "downloadFile",
                json!({"repo": "a/b", "path": "f", dir: "/c", offline: true}),
            )
            .unwrap();
            assert_eq!((o.cache_dir.as_deref(), o.local_files_only), (Some("/c"), Some(true)));
            let o: SnapshotOptions<Json> =
                read("snapshotDownload", json!({"repo": "a/b", dir: "/c", offline: true})).unwrap();
            assert_eq!((o.cache_dir.as_deref(), o.local_files_only), (Some("/c"), Some(true)));
        }
    }

    #[test]
    fn snapshot_options_are_read() {
        let o: SnapshotOptions<Json> = read(
            "snapshotDownload",
            json!({"repo": "a/b", "allowPatterns": "*.json", "ignorePatterns": ["x"], "maxWorkers": 2, "repoType": "dataset"}),
        )
        .unwrap();
        assert_eq!(o.allow_patterns, Some(vec!["*.json".to_owned()]));
        assert_eq!((o.ignore_patterns.map(|p| p.len()), o.max_workers), (Some(1), Some(2)));
        assert_eq!(repo_type(o.repo_type.as_deref()).unwrap(), RepoType::Dataset);
        let e = read::<SnapshotOptions<Json>, _>("snapshotDownload", json!({"repo": "a/b", "maxWorkers": 0}))
            .err()
            .unwrap();
        assert_eq!(
            e.message,
            "snapshotDownload: `maxWorkers` must be a whole number of at least 1."
        );
    }

    #[test]
    fn each_call_refuses_keys_it_does_not_take() {
        let unknown = |e: HubError| {
            assert_eq!(e.code, ErrorCode::InvalidOption);
            e.message
        };
        let m = unknown(
            read::<DownloadFileOptions<Json>, _>(
                "downloadFile",
                json!({"repo": "a/b", "path": "f", "repo_type": "model"}),
            )
            .err()
            .unwrap(),
        );
        assert!(m.contains("unknown option `repo_type`"), "{m}");
        let m = unknown(
            read::<FileExistsOptions<Json>, _>("fileExists", json!({"repo": "a/b", "path": "f", "cacheDir": "/c"}))
                .err()
                .unwrap(),
        );
        assert!(m.contains("unknown option `cacheDir`"), "{m}");
        let m = unknown(
            read::<ModelInfoOptions<Json>, _>("modelInfo", json!({"repo": "a/b", "path": "f"}))
                .err()
                .unwrap(),
        );
        assert!(m.contains("unknown option `path`"), "{m}");
        let m = unknown(
            read::<WhoamiOptions<Json>, _>("whoami", json!({"repo": "a/b"}))
                .err()
                .unwrap(),
        );
        assert!(m.contains("unknown option `repo`"), "{m}");
    }

    #[test]
    fn a_file_call_needs_repo_and_path() {
        let e = read::<DownloadFileOptions<Json>, _>("downloadFile", json!({"repo": "a/b"}))
            .err()
            .unwrap();
        assert_eq!(e.message, "downloadFile: `path` is required.");
        let e = read::<FileExistsOptions<Json>, _>("fileExists", json!({"repo": 5, "path": "f"}))
            .err()
            .unwrap();
        assert_eq!(e.message, "fileExists: `repo` must be a string.");
    }

    #[test]
    fn file_parts_default_to_a_model_at_main() {
        let (kind, repo, revision, path) = file_parts("a/b", "dir/f.json", None, None).unwrap();
        assert_eq!(
            (kind, repo.as_str(), revision.as_str(), path.as_str()),
            (RepoType::Model, "a/b", "main", "dir/f.json")
        );
        assert_eq!(
            file_parts("a/b", "../x", None, None).unwrap_err().code,
            ErrorCode::InvalidPath
        );
    }
}
