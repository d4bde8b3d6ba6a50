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
//! With `local`, the caller makes the tokenizer itself from the cache's files
//! (the Node runtime, which restores a kept image of it): where the load
//! would build from the cache alone, it answers those files instead, after
//! the same HEAD (`local.rs`), and tells `local` of the cached commit's
//! files as soon as they are known, so that the caller can make the
//! tokenizer while the HEAD is in flight.
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
use super::store::{read_ref, FileStore};
use super::tokenizer_files::load_tokenizer;
use super::transport::Transport;
use crate::core::cache::RepoCache;
use crate::core::error::HubError;
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::tokenizer::{LoadedTokenizer, TOKENIZER_FILE};

mod local;

pub use local::{local_files, LocalFiles, IMAGE_SUFFIX};

/// A load through the cache: the tokenizer built here, or, when the caller
/// makes tokenizers from cached files itself (`local`), the files of the
/// commit the load settled on, all in the cache.
pub enum Warm {
    Built(Box<LoadedTokenizer>),
    Local(LocalFiles),
}

pub async fn load_tokenizer_cached<T: Transport, C: Credentials, S: FileStore>(
    hub: &CachedHub<'_, T, C, S>,
    repo_type: RepoType,
    repo: &RepoId,
    revision: &Revision,
    on_progress: &dyn Fn(&str, Progress),
    local: Option<&dyn Fn(&LocalFiles)>,
) -> Result<Warm, HubError> {
    let tokenizer = FileRef {
        repo_type,
        repo: repo.clone(),
        revision: revision.clone(),
        path: RepoPath::parse(TOKENIZER_FILE).expect("a constant file name is valid"),
    };
    let cache = RepoCache::new(&hub.root, repo_type, repo);
    let local_at = |commit: String| {
        let cache = &cache;
        async move {
            match local {
                Some(_) => local_files(hub.store, cache, &commit).await,
                None => None,
            }
        }
    };
    let built = |revision: Revision| async move {
        load_tokenizer(hub, repo_type, repo, &revision, on_progress)
            .await
            .map(|tokenizer| Warm::Built(Box::new(tokenizer)))
    };
    if hub.offline || revision.is_commit_hash() {
        // No request either way: the commit is the revision, or the cache's.
        let commit = match (local.is_some(), revision.is_commit_hash()) {
            (false, _) => None,
            (true, true) => Some(revision.as_str().to_owned()),
            (true, false) => read_ref(hub.store, &cache, revision).await,
        };
        if let Some(files) = match commit {
            Some(commit) => local_at(commit).await,
            None => None,
        } {
            return Ok(Warm::Local(files));
        }
        return built(revision.clone()).await;
    }
    let cached = hub.cached_commit(&tokenizer).await;
    let Some(cached) = cached.and_then(|c| Revision::parse(&c).ok()) else {
        return built(revision.clone()).await;
    };
    // The HEAD is polled first, so it is on its way before the load takes
    // the thread. The caller hears of the cached files at once, to make the
    // tokenizer from them while the HEAD is in flight.
    let (checked, speculative) = join(hub.ensure(&tokenizer, &|p| on_progress(TOKENIZER_FILE, p)), async {
        match local_at(cached.as_str().to_owned()).await {
            Some(files) => {
                if let Some(early) = local {
                    early(&files);
                }
                Ok(Warm::Local(files))
            }
            None => built(cached.clone()).await,
        }
    })
    .await;
    match checked {
        Ok(now) if now.commit == cached.as_str() => speculative,
        Ok(now) => built(Revision::parse(&now.commit)?).await,
        Err(_) => built(revision.clone()).await,
    }
}

#[cfg(test)]
mod tests;
