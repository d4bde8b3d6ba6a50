//! A warm load of a branch or tag through the disk cache.
//!
//! A snapshot is immutable: the files of commit C never change, and the
//! cache knows which of them exist (`snapshots/C/` and `.no_exist/C/`). So
//! revalidating a branch only needs the branch's current commit, which one
//! HEAD (tokenizer.json's) tells, not one HEAD per file. And the tokenizer
//! can be built from the snapshot `refs/{revision}` names while that HEAD is
//! in flight:
//! - the Hub names the same commit: that load is the answer;
//! - another commit: the tokenizer is loaded at that commit (the HEAD has
//!   fetched tokenizer.json if it changed; the others are fetched as for a
//!   commit-hash load, so only what changed is downloaded);
//! - the HEAD fails (gated, invalid token...): the plain load runs and
//!   reports it, as without the cache. An unreachable Hub is no failure:
//!   the cache's own commit stands, as in a plain load.
//!
//! A commit hash, offline mode or a revision whose cached snapshot lacks
//! tokenizer.json load as before (`tokenizer_files::load_tokenizer`, one
//! HEAD per file). (With tokenizer.json in the snapshot, the two halves
//! never fetch or link the same file at once: the HEAD's file is at the
//! branch's commit, already there or another commit's.)

use futures_util::future::join;

use super::cached::CachedHub;
use super::credentials::Credentials;
use super::download::FileRef;
use super::progress::Progress;
use super::store::FileStore;
use super::tokenizer_files::load_tokenizer;
use super::transport::Transport;
use crate::core::error::HubError;
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::tokenizer::{LoadedTokenizer, TOKENIZER_FILE};

pub async fn load_tokenizer_cached<T: Transport, C: Credentials, S: FileStore>(
    hub: &CachedHub<'_, T, C, S>,
    repo_type: RepoType,
    repo: &RepoId,
    revision: &Revision,
    on_progress: &dyn Fn(&str, Progress),
) -> Result<LoadedTokenizer, HubError> {
    let tokenizer = FileRef {
        repo_type,
        repo: repo.clone(),
        revision: revision.clone(),
        path: RepoPath::parse(TOKENIZER_FILE).expect("a constant file name is valid"),
    };
    let cached = match hub.offline || revision.is_commit_hash() {
        true => None,
        false => hub.cached_commit(&tokenizer).await,
    };
    let Some(cached) = cached.and_then(|c| Revision::parse(&c).ok()) else {
        return load_tokenizer(hub, repo_type, repo, revision, on_progress).await;
    };
    // The HEAD is polled first, so it is on its way before the load takes the thread.
    let (checked, speculative) = join(
        hub.ensure(&tokenizer, &|p| on_progress(TOKENIZER_FILE, p)),
        load_tokenizer(hub, repo_type, repo, &cached, on_progress),
    )
    .await;
    match checked {
        Ok(now) if now.commit == cached.as_str() => speculative,
        Ok(now) => load_tokenizer(hub, repo_type, repo, &Revision::parse(&now.commit)?, on_progress).await,
        Err(_) => load_tokenizer(hub, repo_type, repo, revision, on_progress).await,
    }
}

#[cfg(test)]
mod tests;
