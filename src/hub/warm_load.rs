//! A warm load of a branch or tag through the disk cache: the tokenizer is
//! built from the snapshot `refs/{revision}` names while the HEADs that
//! revalidate it are in flight, instead of after them. When the answers
//! agree with what was loaded (the same commit for every file, the same
//! optional files present), that load is the result; when the revision has
//! moved, the tokenizer is loaded again from what the HEADs fetched. Errors
//! are those of a plain load: any failed check runs the plain load, which
//! reports it. A commit hash, offline mode or an empty cache load as before
//! (`tokenizer_files::load_tokenizer`).

use std::cell::RefCell;

use futures_util::future::{join, join3};

use super::cached::CachedHub;
use super::credentials::Credentials;
use super::download::FileRef;
use super::progress::{HeldInitiate, Progress};
use super::source::{Derived, FileSource, IfUnknown};
use super::store::FileStore;
use super::tokenizer_files::load_tokenizer;
use super::transport::Transport;
use crate::core::error::HubError;
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};
use crate::core::tokenizer::{LoadedTokenizer, CHAT_TEMPLATE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE};

pub async fn load_tokenizer_cached<T: Transport, C: Credentials, S: FileStore>(
    hub: &CachedHub<'_, T, C, S>,
    repo_type: RepoType,
    repo: &RepoId,
    revision: &Revision,
    on_progress: &dyn Fn(&str, Progress),
) -> Result<LoadedTokenizer, HubError> {
    let file = |name: &str, revision: &Revision| FileRef {
        repo_type,
        repo: repo.clone(),
        revision: revision.clone(),
        path: RepoPath::parse(name).expect("constant file names are valid"),
    };
    let cached = match hub.offline || revision.is_commit_hash() {
        true => None,
        false => hub.cached_commit(&file(TOKENIZER_FILE, revision)).await,
    };
    let Some(commit) = cached else {
        return load_tokenizer(hub, repo_type, repo, revision, on_progress).await;
    };
    let local = hub.local_only();
    let pinned = Revision::parse(&commit)?;
    let recorded = Recording {
        inner: &local,
        optional: RefCell::new(Vec::new()),
    };
    let config_progress = |p| on_progress(TOKENIZER_CONFIG_FILE, p);
    let config_progress = HeldInitiate::new(&config_progress);
    let template_progress = |p| on_progress(CHAT_TEMPLATE_FILE, p);
    let template_progress = HeldInitiate::new(&template_progress);
    let tokenizer_progress = |p| on_progress(TOKENIZER_FILE, p);
    let config_report = |p| config_progress.report(p);
    let template_report = |p| template_progress.report(p);
    let files = [TOKENIZER_FILE, TOKENIZER_CONFIG_FILE, CHAT_TEMPLATE_FILE].map(|name| file(name, revision));
    // The checks first: their requests are sent before the load takes the thread.
    let checks = join3(
        hub.check(&files[0], &tokenizer_progress, None),
        hub.check(&files[1], &config_report, Some(IfUnknown::Fail)),
        hub.check(&files[2], &template_report, Some(IfUnknown::Absent)),
    );
    let ((tokenizer, config, template), speculative) =
        join(checks, load_tokenizer(&recorded, repo_type, repo, &pinned, &|_, _| {})).await;
    let (Ok(Some(tokenizer)), Ok(config), Ok(template)) = (tokenizer, config, template) else {
        // A failed check: the plain load asks again and reports it as always.
        return load_tokenizer(hub, repo_type, repo, revision, on_progress).await;
    };
    let optional = recorded.optional.into_inner();
    let present = |name: &str| optional.iter().find(|(n, _)| n == name).map(|(_, p)| *p);
    let agrees = tokenizer == commit
        && [(TOKENIZER_CONFIG_FILE, &config), (CHAT_TEMPLATE_FILE, &template)]
            .into_iter()
            .all(|(name, checked)| {
                checked.as_ref().map_or(true, |c| *c == commit) && present(name) == Some(checked.is_some())
            });
    if agrees && speculative.is_ok() {
        return speculative;
    }
    // The revision moved (or the snapshot was incomplete): the checks have
    // put its files in the cache, at one commit unless it moved again.
    let moved = [Some(&tokenizer), config.as_ref(), template.as_ref()]
        .into_iter()
        .flatten()
        .all(|c| *c == tokenizer);
    if moved {
        let new = Revision::parse(&tokenizer)?;
        if let Ok(loaded) = load_tokenizer(&local, repo_type, repo, &new, &|_, _| {}).await {
            return Ok(loaded);
        }
    }
    load_tokenizer(hub, repo_type, repo, revision, on_progress).await
}

/// A source that notes which optional files were there.
struct Recording<'a, S> {
    inner: &'a S,
    optional: RefCell<Vec<(String, bool)>>,
}

impl<S: FileSource> FileSource for Recording<'_, S> {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError> {
        self.inner.get(file, on_progress).await
    }

    async fn get_optional(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        if_unknown: IfUnknown,
    ) -> Result<Option<Vec<u8>>, HubError> {
        let result = self.inner.get_optional(file, on_progress, if_unknown).await;
        if let Ok(found) = &result {
            self.optional
                .borrow_mut()
                .push((file.path.as_str().to_owned(), found.is_some()));
        }
        result
    }

    async fn get_derived<D: Derived>(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        derived: &D,
    ) -> Result<D::Output, HubError> {
        self.inner.get_derived(file, on_progress, derived).await
    }
}

#[cfg(test)]
#[path = "warm_load_tests.rs"]
mod tests;
