//! A tokenizer's files at one commit when the cache alone holds everything
//! a load reads: tokenizer.json in the snapshot, and tokenizer_config.json
//! and chat_template.jinja each either there or known to be missing
//! (`.no_exist/`). The Node runtime then makes the tokenizer in a fresh wasm
//! instance from these paths, restoring its kept image when there is a sound
//! one (pkg-template/node/images.cjs), with no request and no build.

use serde::Serialize;

use crate::core::cache::RepoCache;
use crate::core::repo::RepoPath;
use crate::core::tokenizer::limits::max_file_bytes;
use crate::core::tokenizer::{CHAT_TEMPLATE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE};
use crate::hub::store::FileStore;
use crate::hub::tokenizer_files::PRE_PARSED_SUFFIX;

/// Appended to tokenizer.json's path in `.hubguard/{commit}/` to name the
/// image of the built tokenizer (its wasm instance's memory).
pub const IMAGE_SUFFIX: &str = ".image";

/// Paths in the cache, and tokenizer.json's size (the pre-parsed form is
/// checked against it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalFiles {
    pub commit: String,
    pub tokenizer: String,
    pub tokenizer_size: u64,
    /// Where the pre-parsed form is, or goes.
    pub kept_path: String,
    /// Whether it is there, no larger than tokenizer.json's cap.
    pub kept: bool,
    /// `None`: the repo has no such file (recorded in `.no_exist/`).
    pub config: Option<String>,
    pub template: Option<String>,
    /// Where the image is, or goes.
    pub image: String,
}

/// The files at `commit`, if the cache holds all a load needs, each within
/// its cap (otherwise the plain load runs, and says what is wrong).
pub async fn local_files(store: &impl FileStore, cache: &RepoCache, commit: &str) -> Option<LocalFiles> {
    let path = |name: &str| RepoPath::parse(name).expect("constant file names are valid");
    let tokenizer = cache.snapshot_file(commit, &path(TOKENIZER_FILE));
    let tokenizer_size = store.size(&tokenizer).await?;
    if tokenizer_size > max_file_bytes(TOKENIZER_FILE) {
        return None;
    }
    let config = optional(store, cache, commit, TOKENIZER_CONFIG_FILE).await?;
    let template = optional(store, cache, commit, CHAT_TEMPLATE_FILE).await?;
    let kept_path = cache.derived(commit, &path(TOKENIZER_FILE), PRE_PARSED_SUFFIX);
    let kept = store
        .size(&kept_path)
        .await
        .is_some_and(|size| size <= max_file_bytes(TOKENIZER_FILE));
    Some(LocalFiles {
        commit: commit.to_owned(),
        tokenizer,
        tokenizer_size,
        kept_path,
        kept,
        config,
        template,
        image: cache.derived(commit, &path(TOKENIZER_FILE), IMAGE_SUFFIX),
    })
}

/// `Some(Some(path))`: in the snapshot; `Some(None)`: known missing;
/// `None`: unknown, or over its cap.
async fn optional(store: &impl FileStore, cache: &RepoCache, commit: &str, name: &str) -> Option<Option<String>> {
    let path = RepoPath::parse(name).expect("constant file names are valid");
    let file = cache.snapshot_file(commit, &path);
    if let Some(size) = store.size(&file).await {
        return (size <= max_file_bytes(name)).then_some(Some(file));
    }
    store.exists(&cache.no_exist(commit, &path)).await.then_some(None)
}
