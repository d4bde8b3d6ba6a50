//! Loading a tokenizer: tokenizer.json plus the optional tokenizer_config.json.

use futures_util::future::join;

use super::download::FileRef;
use super::progress::Progress;
use super::source::FileSource;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::tokenizer::{LoadedTokenizer, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE};

pub async fn load_tokenizer(
    source: &impl FileSource,
    repo_type: RepoType,
    repo: &RepoId,
    revision: &Revision,
    on_progress: &dyn Fn(&str, Progress),
) -> Result<LoadedTokenizer, HubError> {
    let file = |name: &str| FileRef {
        repo_type,
        repo: repo.clone(),
        revision: revision.clone(),
        path: RepoPath::parse(name).expect("constant file names are valid"),
    };
    let (tokenizer, config) = join(
        source.get(&file(TOKENIZER_FILE), &|p| on_progress(TOKENIZER_FILE, p)),
        source.get(&file(TOKENIZER_CONFIG_FILE), &|p| on_progress(TOKENIZER_CONFIG_FILE, p)),
    )
    .await;
    let tokenizer = tokenizer.map_err(|e| match e.code {
        ErrorCode::EntryNotFound => HubError {
            message: format!(
                "{repo} has no {TOKENIZER_FILE} at revision {revision}. hubguard needs the fast-tokenizer file; \
                 check that this repo ships one (some only ship a SentencePiece tokenizer.model)."
            ),
            ..e
        },
        _ => e,
    })?;
    let config = match config {
        Ok(bytes) => Some(bytes),
        // Optional: many repos tokenize fine from tokenizer.json alone.
        Err(e) if e.code == ErrorCode::EntryNotFound => None,
        Err(e) => return Err(e),
    };
    LoadedTokenizer::from_files(repo.as_str(), &tokenizer, config.as_deref())
}
