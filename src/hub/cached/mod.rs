//! Files through the huggingface_hub cache, shared with Python.
//!
//! - A commit-hash revision already in `snapshots/` is read with no request;
//!   so is an optional file that `.no_exist/{commit}/` records as missing
//!   (transformers trusts the cache for a pinned commit, absences included).
//! - Offline (`HF_HUB_OFFLINE=1` or `local_files_only`), only the cache is
//!   read: `refs/{revision}` names the commit.
//! - Otherwise one HEAD learns the current commit and etag; a blob already
//!   present is linked, not downloaded again. If the Hub cannot be reached,
//!   the cached snapshot is used.
//! - Downloads stream to disk, resume, and are checked against their sha256
//!   (LFS) before they become blobs (see `blob_download`); one process at a
//!   time downloads a blob (see `lock`).

use std::cell::RefCell;

use super::blob_download::BlobDownload;
use super::credentials::Credentials;
use super::download::{FileRef, HubClient};
use super::lock::{acquire, Acquired};
use super::metadata::{FileMetadata, Metadata};
use super::progress::Progress;
use super::recent::Recent;
use super::source::IfUnknown;
use super::store::{cache_io_error as io_error, read_ref, FileStore};
use super::transport::Transport;
use crate::core::cache::RepoCache;
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::Revision;
use crate::core::tokenizer::limits::file_too_large;

pub struct CachedHub<'a, T, C, S> {
    pub client: HubClient<'a, T, C>,
    pub store: &'a S,
    pub root: String,
    pub offline: bool,
}

/// A file in the cache: its snapshot path (what callers open) and the
/// commit it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedFile {
    pub path: String,
    pub commit: String,
}

/// How [`CachedHub::resolve`] looks a file up.
#[derive(Clone, Copy, Default)]
pub struct Lookup<'m> {
    /// Only find out whether the current version is cached: never download.
    pub no_download: bool,
    /// Recent Hub answers to reuse, and to add to.
    pub recent: Option<&'m RefCell<Recent>>,
    /// A file hubguard reads whole: refused before its download when the
    /// Hub announces more than this (`limits::max_file_bytes`).
    pub max_bytes: Option<u64>,
}

/// Where a file is in the cache (`None`: not there, and `no_download` was
/// asked), and what the Hub said about it, when it was asked.
#[derive(Clone, Debug, Default)]
pub struct Resolved {
    pub cached: Option<CachedFile>,
    pub meta: Option<FileMetadata>,
}

impl Resolved {
    fn cached(found: CachedFile) -> Self {
        Resolved {
            cached: Some(found),
            meta: None,
        }
    }
}

/// Whether a file must exist, and what to do when its existence is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    Required,
    Optional(IfUnknown),
}

impl<T: Transport, C: Credentials, S: FileStore> CachedHub<'_, T, C, S> {
    /// Make sure `file` is in the cache, downloading it if needed, and say
    /// where it is.
    pub async fn ensure(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<CachedFile, HubError> {
        self.locate(file, on_progress, Need::Required).await
    }

    /// Like `ensure`, as `lookup` says: possibly without downloading, and
    /// reusing recent Hub answers.
    pub async fn resolve(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        lookup: Lookup<'_>,
    ) -> Result<Resolved, HubError> {
        self.locate_with(file, on_progress, Need::Required, lookup).await
    }

    /// The commit `refs/{revision}` names in the cache, if `file` is in
    /// that commit's snapshot.
    pub async fn cached_commit(&self, file: &FileRef) -> Option<String> {
        let cache = RepoCache::new(&self.root, file.repo_type, &file.repo);
        let commit = read_ref(self.store, &cache, &file.revision).await?;
        self.cached_at(&cache, file, &commit).await.map(|_| commit)
    }

    async fn locate(&self, file: &FileRef, on_progress: &dyn Fn(Progress), need: Need) -> Result<CachedFile, HubError> {
        self.locate_capped(file, on_progress, need, None).await
    }

    async fn locate_capped(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        need: Need,
        max_bytes: Option<u64>,
    ) -> Result<CachedFile, HubError> {
        let lookup = Lookup {
            max_bytes,
            ..Lookup::default()
        };
        let resolved = self.locate_with(file, on_progress, need, lookup).await?;
        resolved.cached.ok_or_else(|| {
            // Unreachable: only a `no_download` lookup leaves it out.
            HubError::new(
                ErrorCode::CacheIo,
                format!("{} of {} was not cached.", file.path, file.repo),
            )
        })
    }

    async fn locate_with(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        need: Need,
        lookup: Lookup<'_>,
    ) -> Result<Resolved, HubError> {
        let cache = RepoCache::new(&self.root, file.repo_type, &file.repo);
        if file.revision.is_commit_hash() {
            let commit = file.revision.as_str();
            if let Some(found) = self.cached_at(&cache, file, commit).await {
                return Ok(Resolved::cached(found));
            }
            // Only for optional files: `hf_hub_download` itself asks again.
            if need != Need::Required && self.store.exists(&cache.no_exist(commit, &file.path)).await {
                return Err(known_missing(file));
            }
        }
        if self.offline {
            return self.cached_only(&cache, file).await.map(Resolved::cached);
        }
        match self.metadata_for(file, lookup).await {
            Ok(Metadata::Found(meta)) => {
                if let (Some(max), Some(size)) = (lookup.max_bytes, meta.size) {
                    if size > max {
                        return Err(file_too_large(file.repo.as_str(), file.path.as_str(), size));
                    }
                }
                if lookup.no_download && !self.store.exists(&cache.blob(&meta.etag)).await {
                    return Ok(Resolved {
                        cached: None,
                        meta: Some(meta),
                    });
                }
                let found = self.fetch_into_cache(&cache, file, &meta, on_progress).await?;
                // A download takes a while: what the Hub said counts from now.
                self.remember(lookup, file, &meta);
                Ok(Resolved {
                    cached: Some(found),
                    meta: Some(meta),
                })
            }
            Ok(Metadata::Missing { commit, error }) => {
                if let Some(commit) = commit {
                    // Remember the absence, as huggingface_hub does; best effort.
                    let _ = self.store.write_atomic(&cache.no_exist(&commit, &file.path), b"").await;
                    self.write_ref(&cache, &file.revision, &commit).await?;
                }
                Err(error)
            }
            // No network: the cached snapshot is good enough.
            Err(e) if e.code == ErrorCode::Network => match self.cached_only(&cache, file).await {
                Ok(found) => Ok(Resolved::cached(found)),
                // An optional file may then count as absent (see `get_optional`).
                Err(miss) if miss.code == ErrorCode::NotCached && need == Need::Optional(IfUnknown::Absent) => {
                    Err(miss)
                }
                Err(miss) if miss.code == ErrorCode::NotCached => Err(e),
                Err(other) => Err(other),
            },
            Err(e) => Err(e),
        }
    }

    /// The Hub's HEAD answer, or a recent one for the same file.
    async fn metadata_for(&self, file: &FileRef, lookup: Lookup<'_>) -> Result<Metadata, HubError> {
        if let Some(recent) = lookup.recent {
            let key = Recent::key(&self.client.endpoint, file);
            if let Some(meta) = recent.borrow().get(&key, self.client.transport.now_millis()) {
                return Ok(Metadata::Found(meta));
            }
        }
        let answer = self.client.metadata(file).await?;
        if let Metadata::Found(meta) = &answer {
            self.remember(lookup, file, meta);
        }
        Ok(answer)
    }

    fn remember(&self, lookup: Lookup<'_>, file: &FileRef, meta: &FileMetadata) {
        if let Some(recent) = lookup.recent {
            let key = Recent::key(&self.client.endpoint, file);
            recent
                .borrow_mut()
                .put(key, meta.clone(), self.client.transport.now_millis());
        }
    }

    async fn fetch_into_cache(
        &self,
        cache: &RepoCache,
        file: &FileRef,
        meta: &FileMetadata,
        on_progress: &dyn Fn(Progress),
    ) -> Result<CachedFile, HubError> {
        let blob = cache.blob(&meta.etag);
        if !self.store.exists(&blob).await {
            // Pinned to the commit the HEAD saw, so blob and snapshot agree.
            let pinned = FileRef {
                revision: Revision::parse(&meta.commit)?,
                ..file.clone()
            };
            // One process downloads; the others wait and then find the blob.
            let lock_path = cache.lock(&meta.etag);
            if let Acquired::Held(lock) = acquire(self.store, self.client.transport, &lock_path, &blob).await? {
                let download = BlobDownload {
                    client: &self.client,
                    store: self.store,
                    file: &pinned,
                    meta,
                    blob: &blob,
                    lock: &lock,
                };
                let result = download.run(on_progress).await;
                lock.release().await;
                result.map_err(|e| e.about(file.repo.as_str(), Some(file.path.as_str())))?;
            }
        }
        let link = cache.snapshot_file(&meta.commit, &file.path);
        if !self.store.exists(&link).await {
            let target = RepoCache::blob_link(&file.path, &meta.etag);
            self.store
                .link(&link, &target, &blob)
                .await
                .map_err(|e| io_error(e, &link, file))?;
        }
        self.write_ref(cache, &file.revision, &meta.commit).await?;
        Ok(CachedFile {
            path: link,
            commit: meta.commit.clone(),
        })
    }

    async fn write_ref(&self, cache: &RepoCache, revision: &Revision, commit: &str) -> Result<(), HubError> {
        if revision.is_commit_hash() {
            return Ok(());
        }
        let path = cache.reference(revision);
        if read_ref(self.store, cache, revision).await.as_deref() == Some(commit) {
            return Ok(());
        }
        self.store.write_atomic(&path, commit.as_bytes()).await.map_err(|e| {
            HubError::new(
                ErrorCode::CacheIo,
                format!("Could not write the cache file {path}: {}.", e.detail),
            )
        })
    }

    /// The snapshot file for `revision` (a branch or tag via `refs/`), from
    /// the cache alone.
    async fn cached_only(&self, cache: &RepoCache, file: &FileRef) -> Result<CachedFile, HubError> {
        let commit = if file.revision.is_commit_hash() {
            Some(file.revision.as_str().to_owned())
        } else {
            read_ref(self.store, cache, &file.revision).await
        };
        if let Some(commit) = &commit {
            if let Some(found) = self.cached_at(cache, file, commit).await {
                return Ok(found);
            }
            if self.store.exists(&cache.no_exist(commit, &file.path)).await {
                return Err(known_missing(file));
            }
        }
        Err(HubError::new(
            ErrorCode::NotCached,
            format!(
                "{} of {} at revision {} is not in the cache at {}{}. Load it once with network access \
                 (unset HF_HUB_OFFLINE / local_files_only), or download it with huggingface_hub.",
                file.path,
                file.repo,
                file.revision,
                self.root,
                if self.offline {
                    " and offline mode is on"
                } else {
                    ", and the Hub could not be reached"
                }
            ),
        )
        .about(file.repo.as_str(), Some(file.path.as_str())))
    }

    async fn cached_at(&self, cache: &RepoCache, file: &FileRef, commit: &str) -> Option<CachedFile> {
        let path = cache.snapshot_file(commit, &file.path);
        self.store.exists(&path).await.then(|| CachedFile {
            path,
            commit: commit.to_owned(),
        })
    }
}

fn known_missing(file: &FileRef) -> HubError {
    HubError::new(
        ErrorCode::EntryNotFound,
        format!(
            "File {} does not exist in {} at revision {} (known from the cache).",
            file.path, file.repo, file.revision
        ),
    )
    .about(file.repo.as_str(), Some(file.path.as_str()))
}

#[cfg(test)]
mod tests;
mod whole;
