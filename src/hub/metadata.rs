//! One HEAD request for a file's current commit and etag (revalidation).
//!
//! Like huggingface_hub, relative (same-origin) redirects are followed and a
//! redirect to another origin (the CDN) is not: its 302 already carries
//! `X-Linked-Etag`, `X-Linked-Size` and `X-Repo-Commit`.

use super::credentials::Credentials;
use super::download::{FileRef, Followed, HubClient};
use super::transport::{HttpResponse, Method, Transport};
use crate::core::cache::{normalize_etag, parse_commit};
use crate::core::error::{ErrorCode, HubError};
use crate::core::redirect::{is_redirect, next_hop};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMetadata {
    pub commit: String,
    pub etag: String,
    pub size: Option<u64>,
}

/// What the Hub said about a file.
#[derive(Debug)]
pub enum Metadata {
    Found(FileMetadata),
    /// The file does not exist at this commit (if the Hub named one).
    Missing {
        commit: Option<String>,
        error: HubError,
    },
}

impl<T: Transport, C: Credentials> HubClient<'_, T, C> {
    pub async fn metadata(&self, file: &FileRef) -> Result<Metadata, HubError> {
        let mut url = self
            .endpoint
            .resolve_url(file.repo_type, &file.repo, &file.revision, &file.path);
        let mut hops = 0;
        let answer = loop {
            let answer = self.send_once(file, Method::Head, &url).await?;
            let location = answer.response.header("location").map(str::to_owned);
            if !is_redirect(answer.response.status) || answer.response.header("x-linked-etag").is_some() {
                break answer;
            }
            let next = next_hop(&url, location.as_deref(), hops)
                .map_err(|e| e.about(file.repo.as_str(), Some(file.path.as_str())))?;
            if !self.endpoint.is_hub_origin(&next) {
                break answer;
            }
            url = next;
            hops += 1;
        };
        let commit = answer.response.header("x-repo-commit").and_then(parse_commit);
        let status = answer.response.status;
        if !(200..400).contains(&status) {
            let error = self.error_for(&answer, file);
            return match error.code {
                ErrorCode::EntryNotFound => Ok(Metadata::Missing { commit, error }),
                _ => Err(error),
            };
        }
        found(&answer.response, commit).map(Metadata::Found).ok_or_else(|| {
            HubError::new(
                ErrorCode::HttpError,
                format!(
                    "The Hub's answer for {} in {} lacks the commit or etag headers needed to cache it.",
                    file.path, file.repo
                ),
            )
            .about(file.repo.as_str(), Some(file.path.as_str()))
        })
    }

    async fn send_once(&self, file: &FileRef, method: Method, url: &url::Url) -> Result<Followed<T::Body>, HubError> {
        let request = super::transport::HttpRequest {
            method,
            url: url.clone(),
            bearer: self.bearer_for(url)?,
            headers: Vec::new(),
        };
        let response = self
            .transport
            .send(&request)
            .await
            .map_err(|e| self.network_error(e, url, file))?;
        Ok(Followed {
            response,
            url: url.clone(),
            sent: request.bearer,
        })
    }
}

fn found<B>(response: &HttpResponse<B>, commit: Option<String>) -> Option<FileMetadata> {
    let etag = response
        .header("x-linked-etag")
        .or(response.header("etag"))
        .and_then(normalize_etag)?;
    let size = response
        .header("x-linked-size")
        .or(if is_redirect(response.status) {
            None
        } else {
            response.header("content-length")
        })
        .and_then(|v| v.trim().parse().ok());
    Some(FileMetadata {
        commit: commit?,
        etag,
        size,
    })
}
