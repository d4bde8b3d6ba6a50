//! Streaming one blob into the cache: bounded memory, resumable, verified.
//!
//! The body goes chunk by chunk to `blobs/{etag}.incomplete` through a
//! writer that hashes what it writes. A dropped connection is resumed with `Range: bytes=N-`
//! after a backoff, a bounded number of times; a server that ignores the
//! Range (200) restarts the file cleanly. A body that goes past the
//! announced size stops before the chunk that would pass it is written
//! (INTEGRITY). Only a complete file whose size and (for LFS) sha256 match
//! what the Hub announced is renamed into place; a corrupt one is deleted. A partial file left by an interrupted run (ours
//! or Python's) is hashed and resumed.

use super::credentials::Credentials;
use super::download::{longer_than_announced, FileRef, HubClient};
use super::lock::{BlobLock, REFRESH_MILLIS};
use super::metadata::FileMetadata;
use super::progress::Progress;
use super::store::{cache_io_error, FileStore, FileWriter, IoError};
use super::transport::{Body, Method, Transport};
use crate::core::cache::is_sha256;
use crate::core::error::{ErrorCode, HubError};

/// Attempts per download, and the first and longest waits between them.
pub const MAX_ATTEMPTS: u32 = 5;
const FIRST_BACKOFF_MILLIS: u32 = 250;
const MAX_BACKOFF_MILLIS: u32 = 8_000;

pub struct BlobDownload<'a, T, C, S: FileStore> {
    pub client: &'a HubClient<'a, T, C>,
    pub store: &'a S,
    /// Pinned to the commit the metadata came from.
    pub file: &'a FileRef,
    pub meta: &'a FileMetadata,
    /// The final blob path; the partial file sits beside it.
    pub blob: &'a str,
    pub lock: &'a BlobLock<'a, S>,
}

/// Why one attempt ended early.
enum Failure {
    /// Worth another attempt (network trouble, a server hiccup).
    Retry(HubError),
    Fatal(HubError),
}

/// The partial file, how much it holds, and its sha256 once complete.
struct Partial {
    path: String,
    have: u64,
    sha256: Option<String>,
}

impl<T: Transport, C: Credentials, S: FileStore> BlobDownload<'_, T, C, S> {
    pub async fn run(&self, on_progress: &dyn Fn(Progress)) -> Result<(), HubError> {
        let mut partial = self.resume_partial().await;
        on_progress(Progress::Initiate);
        let mut failures = 0;
        let mut last_refresh = self.client.transport.now_millis();
        let mut announced = false;
        loop {
            match self
                .attempt(&mut partial, on_progress, &mut last_refresh, &mut announced)
                .await
            {
                Ok(()) => break,
                Err(Failure::Retry(_)) if failures + 1 < MAX_ATTEMPTS => {
                    failures += 1;
                    if self.client.transport.is_aborted() {
                        return Err(HubError::aborted());
                    }
                    self.client.transport.pause(backoff_millis(failures)).await;
                    self.lock.refresh().await;
                }
                Err(Failure::Retry(e)) | Err(Failure::Fatal(e)) => return Err(e),
            }
        }
        self.verify(&partial).await?;
        self.store
            .rename(&partial.path, self.blob)
            .await
            .map_err(|e| self.io_error(e, self.blob))?;
        on_progress(Progress::Done);
        Ok(())
    }

    /// Pick up a partial file from an earlier run; one longer than the
    /// announced size is discarded.
    async fn resume_partial(&self) -> Partial {
        let path = format!("{}.incomplete", self.blob);
        let mut have = self.store.size(&path).await.unwrap_or(0);
        if self.meta.size.is_some_and(|total| have > total) {
            self.store.remove(&path).await;
            have = 0;
        }
        Partial {
            path,
            have,
            sha256: None,
        }
    }

    async fn attempt(
        &self,
        partial: &mut Partial,
        on_progress: &dyn Fn(Progress),
        last_refresh: &mut f64,
        announced: &mut bool,
    ) -> Result<(), Failure> {
        // Already complete (an earlier run died before the rename): only
        // its hash is needed.
        if partial.have > 0 && self.meta.size == Some(partial.have) {
            let writer = self
                .store
                .open_writer(&partial.path, true)
                .await
                .map_err(|e| Failure::Fatal(self.io_error(e, &partial.path)))?;
            partial.sha256 = Some(
                writer
                    .close()
                    .await
                    .map_err(|e| Failure::Fatal(self.io_error(e, &partial.path)))?,
            );
            return Ok(());
        }
        let range = (partial.have > 0).then(|| vec![("Range".to_owned(), format!("bytes={}-", partial.have))]);
        let answer = self
            .client
            .follow(self.file, Method::Get, range.as_deref().unwrap_or_default())
            .await
            .map_err(retry_if_network)?;
        let status = answer.response.status;
        let append = match status {
            206 => {
                let start = answer.response.header("content-range").and_then(range_start);
                if start != Some(partial.have) {
                    // Not the bytes we asked for: start over.
                    partial.restart();
                    return Err(Failure::Retry(self.short_error(partial.have)));
                }
                true
            }
            // The server sent the whole file: restart cleanly.
            200..=299 => {
                partial.restart();
                false
            }
            416 => {
                // The partial is longer than the file: start over.
                partial.restart();
                return Err(Failure::Retry(self.short_error(0)));
            }
            _ => {
                let error = self.client.error_for(&answer, self.file);
                return Err(if status >= 500 || status == 429 {
                    Failure::Retry(error)
                } else {
                    Failure::Fatal(error)
                });
            }
        };
        // `download` once, when the first body starts.
        if !std::mem::replace(announced, true) {
            on_progress(Progress::Download);
        }
        let total = self.meta.size.or_else(|| {
            answer
                .response
                .header("content-length")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(|len| len + partial.have)
        });
        let url = answer.url;
        let mut body = answer.response.body;
        let mut writer = self
            .store
            .open_writer(&partial.path, append)
            .await
            .map_err(|e| Failure::Fatal(self.io_error(e, &partial.path)))?;
        let outcome = loop {
            match body.next_chunk().await {
                // More than announced: not the file (nothing of it is written).
                Ok(Some(chunk)) if total.is_some_and(|t| partial.have + chunk.len() as u64 > t) => {
                    break Err(Failure::Fatal(longer_than_announced(
                        self.file,
                        &url,
                        total.unwrap_or(0),
                    )));
                }
                Ok(Some(chunk)) => {
                    if let Err(e) = writer.write(&chunk).await {
                        break Err(Failure::Fatal(self.io_error(e, &partial.path)));
                    }
                    partial.have += chunk.len() as u64;
                    on_progress(Progress::Progress {
                        loaded: partial.have,
                        total,
                    });
                    let now = self.client.transport.now_millis();
                    if now - *last_refresh > REFRESH_MILLIS as f64 {
                        *last_refresh = now;
                        self.lock.refresh().await;
                    }
                }
                Ok(None) => break Ok(()),
                Err(e) => break Err(retry_if_network(self.client.network_error(e, &url, self.file))),
            }
        };
        let closed = writer.close().await;
        if let Err(Failure::Fatal(e)) = outcome {
            // A failed write may have left part of a chunk behind, a body
            // longer than announced is not the file: the partial file cannot
            // be trusted (and removing it frees the disk).
            self.store.remove(&partial.path).await;
            return Err(Failure::Fatal(e));
        }
        outcome?;
        match closed {
            Ok(sha256) => partial.sha256 = Some(sha256),
            Err(e) => {
                self.store.remove(&partial.path).await;
                return Err(Failure::Fatal(self.io_error(e, &partial.path)));
            }
        }
        match total {
            Some(total) if partial.have < total => Err(Failure::Retry(self.short_error(partial.have))),
            _ => Ok(()),
        }
    }

    /// Size and hash against what the Hub announced: an LFS blob's sha256,
    /// a regular file's git blob sha1 (the Hub's ETag for it; huggingface_hub
    /// checks neither for regular files, so a mirror serving other bytes
    /// under the real ETag would have them cached as the real file). A
    /// mismatch deletes the partial file: nothing corrupt stays.
    async fn verify(&self, partial: &Partial) -> Result<(), HubError> {
        let mismatch = match self.meta.size {
            Some(size) if size != partial.have => {
                Some(format!("{} bytes arrived, {size} were announced", partial.have))
            }
            _ if is_sha256(&self.meta.etag) => {
                let actual = partial.sha256.as_deref().unwrap_or("unknown");
                (!actual.eq_ignore_ascii_case(&self.meta.etag))
                    .then(|| format!("its sha256 is {actual}, the Hub announced {}", self.meta.etag))
            }
            _ => {
                let actual = self
                    .store
                    .git_blob_sha1(&partial.path)
                    .await
                    .map_err(|e| self.io_error(e, &partial.path))?;
                (!actual.eq_ignore_ascii_case(&self.meta.etag))
                    .then(|| format!("its git blob sha1 is {actual}, the Hub announced {}", self.meta.etag))
            }
        };
        match mismatch {
            None => Ok(()),
            Some(why) => {
                self.store.remove(&partial.path).await;
                Err(HubError::new(
                    ErrorCode::Integrity,
                    format!(
                        "The download of {} from {} is corrupt ({why}); nothing was cached. Retry, and if \
                         HF_ENDPOINT points to a mirror, check that it serves the Hub's files.",
                        self.file.path, self.file.repo
                    ),
                )
                .about(self.file.repo.as_str(), Some(self.file.path.as_str())))
            }
        }
    }

    fn short_error(&self, have: u64) -> HubError {
        HubError::new(
            ErrorCode::Network,
            format!(
                "The download of {} from {} stopped after {have} bytes; retry.",
                self.file.path, self.file.repo
            ),
        )
        .about(self.file.repo.as_str(), Some(self.file.path.as_str()))
    }

    fn io_error(&self, error: IoError, path: &str) -> HubError {
        cache_io_error(error, path, self.file)
    }
}

impl Partial {
    fn restart(&mut self) {
        self.have = 0;
        self.sha256 = None;
    }
}

/// Network trouble is retried; an abort or a Hub refusal is not.
fn retry_if_network(error: HubError) -> Failure {
    if error.code == ErrorCode::Network {
        Failure::Retry(error)
    } else {
        Failure::Fatal(error)
    }
}

/// 250 ms, 500 ms, 1 s, ... capped.
fn backoff_millis(failures: u32) -> u32 {
    FIRST_BACKOFF_MILLIS
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(MAX_BACKOFF_MILLIS)
}

/// The first byte of `Content-Range: bytes START-END/TOTAL`.
fn range_start(value: &str) -> Option<u64> {
    let rest = value.trim().strip_prefix("bytes")?.trim_start();
    rest.split('-').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let waits: Vec<u32> = (1..=8).map(backoff_millis).collect();
        assert_eq!(waits[..4], [250, 500, 1000, 2000]);
        assert_eq!(*waits.last().unwrap(), MAX_BACKOFF_MILLIS);
    }

    #[test]
    fn content_range_start() {
        assert_eq!(range_start("bytes 100-199/200"), Some(100));
        assert_eq!(range_start("bytes */200"), None);
        assert_eq!(range_start("items 1-2/3"), None);
    }
}
