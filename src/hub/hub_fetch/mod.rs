//! Serving one Hub file request for `hubFetch` (the decisions are in
//! `core::fetch`):
//! - with a disk cache (Node): a GET goes through the huggingface_hub cache
//!   (revalidated, downloaded with resume and sha256 check if needed) and is
//!   answered from the cached file; a Range or HEAD is answered from the
//!   cache when the current version is there, and otherwise asked upstream,
//!   never by downloading the whole file;
//! - without one (the browser, or the app's proxy): upstream's answer,
//!   streamed through.
//!
//! A file the repo lacks is a 404 answer; every other failure is an error.

use std::cell::RefCell;

use super::cached::{CachedHub, Lookup};
use super::credentials::Credentials;
use super::download::{FileRef, Followed, HubClient};
use super::progress::Progress;
use super::recent::Recent;
use super::store::{read_ref, FileStore};
use super::transport::{Method, Transport};
use crate::core::cache::RepoCache;
use crate::core::error::{ErrorCode, HubError};
use crate::core::fetch::{
    answer_from_file, answer_from_metadata, failure, kept_headers, Failure, FileAnswer, FileFacts, FileRequest,
};

/// The answer, before it becomes a JS `Response`.
pub enum Served<B> {
    /// From the cache: `answer.span` of the file at `path`.
    File { path: String, answer: FileAnswer },
    /// Headers only, from the Hub's metadata (a HEAD of a file not cached).
    Headers(FileAnswer),
    /// The file does not exist; the reason.
    NotFound(String),
    /// Upstream's own answer, its body unread.
    Upstream {
        status: u16,
        headers: Vec<(String, String)>,
        body: Option<B>,
    },
}

impl<T: Transport, C: Credentials, S: FileStore> CachedHub<'_, T, C, S> {
    pub async fn serve(
        &self,
        file: &FileRef,
        request: &FileRequest,
        recent: Option<&RefCell<Recent>>,
        on_progress: &dyn Fn(Progress),
    ) -> Result<Served<T::Body>, HubError> {
        // Headers or a few bytes never justify downloading a whole model.
        let lookup = Lookup {
            no_download: request.head || request.range.is_some(),
            recent,
            max_bytes: None,
        };
        let resolved = match self.resolve(file, on_progress, lookup).await {
            Ok(resolved) => resolved,
            Err(error) => return self.failed(file, error).await,
        };
        let etag = resolved.meta.as_ref().map(|m| m.etag.as_str());
        if let Some(cached) = resolved.cached {
            let size = self.store.size(&cached.path).await.ok_or_else(|| vanished(file))?;
            let facts = FileFacts {
                path: &file.path,
                size,
                etag,
                commit: Some(&cached.commit),
            };
            return Ok(Served::File {
                answer: answer_from_file(request, &facts),
                path: cached.path,
            });
        }
        match resolved.meta.as_ref().and_then(|m| m.size.map(|size| (m, size))) {
            Some((meta, size)) if request.head => Ok(Served::Headers(answer_from_metadata(&FileFacts {
                path: &file.path,
                size,
                etag,
                commit: Some(&meta.commit),
            }))),
            _ => self.client.serve_upstream(file, request).await,
        }
    }

    /// A missing file, or offline a file of a snapshot that is there
    /// without it, is a 404; the rest is thrown.
    async fn failed(&self, file: &FileRef, error: HubError) -> Result<Served<T::Body>, HubError> {
        let known_commit = error.code == ErrorCode::NotCached && self.knows_commit(file).await;
        match failure(&error, known_commit) {
            Failure::NotFound => Ok(Served::NotFound(error.message)),
            Failure::Throw => Err(error),
        }
    }

    /// Whether the cache knows the revision's commit.
    async fn knows_commit(&self, file: &FileRef) -> bool {
        let cache = RepoCache::new(&self.root, file.repo_type, &file.repo);
        if file.revision.is_commit_hash() {
            return self
                .store
                .exists(&format!("{}/snapshots/{}", cache.dir(), file.revision))
                .await;
        }
        read_ref(self.store, &cache, &file.revision).await.is_some()
    }
}

impl<T: Transport, C: Credentials> HubClient<'_, T, C> {
    /// The request made upstream (redirects followed with the token rule),
    /// and its answer passed on: a success or 416 as it came, a missing
    /// file as a 404, any other refusal as the classified error.
    pub async fn serve_upstream(&self, file: &FileRef, request: &FileRequest) -> Result<Served<T::Body>, HubError> {
        let headers: Vec<(String, String)> = request
            .range
            .map(|r| vec![("Range".to_owned(), r.header_value())])
            .unwrap_or_default();
        let method = if request.head { Method::Head } else { Method::Get };
        let answer = self.follow(file, method, &headers).await?;
        let status = answer.response.status;
        if (200..300).contains(&status) || status == 416 {
            let Followed { response, .. } = answer;
            return Ok(Served::Upstream {
                status,
                headers: kept_headers(&response.headers),
                body: (!request.head).then_some(response.body),
            });
        }
        let error = self.error_for(&answer, file);
        match failure(&error, false) {
            Failure::NotFound => Ok(Served::NotFound(error.message)),
            Failure::Throw => Err(error),
        }
    }
}

fn vanished(file: &FileRef) -> HubError {
    HubError::new(
        ErrorCode::CacheIo,
        format!(
            "{} of {} vanished from the cache right after it was cached; retry.",
            file.path, file.repo
        ),
    )
    .about(file.repo.as_str(), Some(file.path.as_str()))
}

#[cfg(test)]
mod tests;
