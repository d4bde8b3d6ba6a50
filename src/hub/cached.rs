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

use futures_util::future::join;

use super::blob_download::BlobDownload;
use super::credentials::Credentials;
use super::download::{FileRef, HubClient};
use super::lock::{acquire, Acquired};
use super::metadata::{FileMetadata, Metadata};
use super::progress::Progress;
use super::recent::Recent;
use super::source::{Derived, FileSource, IfUnknown};
use super::store::{cache_io_error as io_error, FileStore, IoError};
use super::transport::Transport;
use crate::core::cache::{parse_commit, RepoCache};
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::Revision;
use crate::core::tokenizer::limits::{file_too_large, max_file_bytes};

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

impl<T: Transport, C: Credentials, S: FileStore> FileSource for CachedHub<'_, T, C, S> {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError> {
        let cached = self.ensure(file, on_progress).await?;
        self.read_cached(&cached, file).await
    }

    async fn get_optional(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        if_unknown: IfUnknown,
    ) -> Result<Option<Vec<u8>>, HubError> {
        match self.locate(file, on_progress, Need::Optional(if_unknown)).await {
            Ok(cached) => self.read_cached(&cached, file).await.map(Some),
            Err(e) if e.code == ErrorCode::EntryNotFound => Ok(None),
            Err(e) if e.code == ErrorCode::NotCached && if_unknown == IfUnknown::Absent => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn get_derived<D: Derived>(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        derived: &D,
    ) -> Result<D::Output, HubError> {
        let cached = self.ensure(file, on_progress).await?;
        let cache = RepoCache::new(&self.root, file.repo_type, &file.repo);
        let kept_path = cache.derived(&cached.commit, &file.path, D::SUFFIX);
        // The kept form names the size of the file it was made from; a
        // snapshot file never changes, so this only catches a hand edit.
        // (A kept form is smaller than its file: a larger one is not read.)
        let (kept_size, size) = join(self.store.size(&kept_path), self.store.size(&cached.path)).await;
        let sane = kept_size.is_some_and(|k| k <= max_file_bytes(file.path.as_str()));
        let kept = match sane {
            true => self.store.read(&kept_path).await,
            false => Ok(None),
        };
        if let (Ok(Some(kept)), Some(size)) = (kept, size) {
            if let Some(output) = derived.load_kept(&kept, size) {
                return Ok(output);
            }
        }
        let bytes = self.read_cached(&cached, file).await?;
        let (output, keep) = derived.load_file(&bytes, true)?;
        if let Some(keep) = keep {
            // Best effort (a full disk, a read-only cache): without it the
            // next load reads the file again. Written whole or not at all.
            let _ = self.store.write_atomic(&kept_path, &keep).await;
        }
        Ok(output)
    }
}

impl<T: Transport, C: Credentials, S: FileStore> CachedHub<'_, T, C, S> {
    /// The cached file, read whole: at most what hubguard reads of that
    /// file (`limits::max_file_bytes`), measured before it is read.
    async fn read_cached(&self, cached: &CachedFile, file: &FileRef) -> Result<Vec<u8>, HubError> {
        let size = self.store.size(&cached.path).await.unwrap_or(0);
        if size > max_file_bytes(file.path.as_str()) {
            return Err(file_too_large(file.repo.as_str(), file.path.as_str(), size));
        }
        match self.store.read(&cached.path).await {
            Ok(Some(bytes)) => Ok(bytes),
            Ok(None) => Err(io_error(
                IoError {
                    detail: "it vanished after it was cached".into(),
                },
                &cached.path,
                file,
            )),
            Err(e) => Err(io_error(e, &cached.path, file)),
        }
    }

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
        let text = self.store.read(&cache.reference(&file.revision)).await.ok()??;
        let commit = parse_commit(&String::from_utf8_lossy(&text))?;
        self.cached_at(&cache, file, &commit).await.map(|_| commit)
    }

    async fn locate(&self, file: &FileRef, on_progress: &dyn Fn(Progress), need: Need) -> Result<CachedFile, HubError> {
        let resolved = self.locate_with(file, on_progress, need, Lookup::default()).await?;
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
        let current = self.store.read(&path).await.ok().flatten();
        if current
            .as_deref()
            .and_then(|c| parse_commit(&String::from_utf8_lossy(c)))
            .as_deref()
            == Some(commit)
        {
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
            let text = self.store.read(&cache.reference(&file.revision)).await.ok().flatten();
            text.and_then(|t| parse_commit(&String::from_utf8_lossy(&t)))
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
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::core::classify::AccessAdvice;
    use crate::core::endpoint::Endpoint;
    use crate::core::repo::{RepoId, RepoPath, RepoType};
    use crate::hub::fake::{FakeCredentials, FakeReply, FakeStore, FakeTransport};

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
    const HUB: &str = "https://huggingface.co";
    const ROOT: &str = "/cache";
    const SNAPSHOT: &str = "/cache/models--org--repo/snapshots/0123456789abcdef0123456789abcdef01234567/tokenizer.json";

    fn sha(bytes: &[u8]) -> String {
        format!("{:x}", Sha256::digest(bytes))
    }

    fn file(revision: &str) -> FileRef {
        FileRef {
            repo_type: RepoType::Model,
            repo: RepoId::parse("org/repo").unwrap(),
            revision: Revision::parse(revision).unwrap(),
            path: RepoPath::parse("tokenizer.json").unwrap(),
        }
    }

    /// The Hub: HEAD on main answers an LFS 302 with metadata; GET at the
    /// commit redirects to the CDN.
    fn hub_serving(body: &[u8], announced_sha: &str) -> FakeTransport {
        hub_with_cdn(body, announced_sha, FakeReply::ok(body))
    }

    /// As `hub_serving`, with the CDN's answer given.
    fn hub_with_cdn(body: &[u8], announced_sha: &str, cdn: FakeReply) -> FakeTransport {
        let main = format!("{HUB}/org/repo/resolve/main/tokenizer.json");
        let pinned = format!("{HUB}/org/repo/resolve/{COMMIT}/tokenizer.json");
        let head = FakeReply::redirect("https://cdn.example/blob?sig=1")
            .with_header("x-repo-commit", COMMIT)
            .with_header("x-linked-etag", &format!("\"{announced_sha}\""))
            .with_header("x-linked-size", &body.len().to_string());
        FakeTransport::new()
            .reply_to("HEAD", &main, head)
            .reply(&pinned, FakeReply::redirect("https://cdn.example/blob?sig=1"))
            .reply("https://cdn.example/blob?sig=1", cdn)
    }

    fn get(transport: &FakeTransport, store: &FakeStore, revision: &str, offline: bool) -> Result<Vec<u8>, HubError> {
        let credentials = FakeCredentials::new(None);
        let client = HubClient {
            transport,
            credentials: &credentials,
            endpoint: Endpoint::parse(HUB).unwrap(),
            advice: AccessAdvice::TOKEN,
        };
        let cached = CachedHub {
            client,
            store,
            root: ROOT.into(),
            offline,
        };
        pollster::block_on(cached.get(&file(revision), &|_| {}))
    }

    #[test]
    fn downloads_into_the_layout_then_revalidates_with_one_head() {
        let body = b"tokenizer bytes";
        let t = hub_serving(body, &sha(body));
        let store = FakeStore::default();
        let first = get(&t, &store, "main", false);
        assert_eq!(
            first.as_deref().ok(),
            Some(&body[..]),
            "{first:?} after {:?}",
            t.requests()
        );
        let files = store.files.borrow().clone();
        assert_eq!(files[&format!("/cache/models--org--repo/blobs/{}", sha(body))], body);
        assert_eq!(files["/cache/models--org--repo/refs/main"], COMMIT.as_bytes());
        assert_eq!(store.links.borrow()[SNAPSHOT], format!("../../blobs/{}", sha(body)));
        let before = t.requests().len();
        assert_eq!(get(&t, &store, "main", false).unwrap(), body);
        assert_eq!(
            t.requests()[before..],
            [format!("HEAD {HUB}/org/repo/resolve/main/tokenizer.json")]
        );
    }

    #[test]
    fn commit_hash_in_cache_and_offline_make_no_request() {
        let body = b"x";
        let t = hub_serving(body, &sha(body));
        let store = FakeStore::default();
        get(&t, &store, "main", false).unwrap();
        let before = t.requests().len();
        assert_eq!(get(&t, &store, COMMIT, false).unwrap(), body);
        assert_eq!(get(&t, &store, "main", true).unwrap(), body);
        assert_eq!(t.requests().len(), before);
    }

    #[test]
    fn offline_without_cache_names_what_is_missing() {
        let t = FakeTransport::new();
        let err = get(&t, &FakeStore::default(), "v1", true).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotCached);
        assert!(
            err.message.contains("tokenizer.json") && err.message.contains("org/repo") && err.message.contains("v1")
        );
        assert!(t.requests().is_empty());
    }

    #[test]
    fn unreachable_hub_falls_back_to_the_cache_only_when_cached() {
        let body = b"cached";
        let store = FakeStore::default();
        get(&hub_serving(body, &sha(body)), &store, "main", false).unwrap();
        let down = FakeTransport::new();
        assert_eq!(get(&down, &store, "main", false).unwrap(), body);
        assert_eq!(
            get(&down, &FakeStore::default(), "main", false).unwrap_err().code,
            ErrorCode::Network
        );
    }

    #[test]
    fn corrupt_downloads_are_refused_and_not_cached() {
        let t = hub_serving(b"tampered", &sha(b"original"));
        let store = FakeStore::default();
        assert_eq!(get(&t, &store, "main", false).unwrap_err().code, ErrorCode::Integrity);
        assert!(store
            .files
            .borrow()
            .keys()
            .all(|k| !k.contains("/blobs/") && !k.contains("/snapshots/")));
    }

    #[test]
    fn missing_files_are_remembered() {
        let url = format!("{HUB}/org/repo/resolve/main/tokenizer.json");
        let t = FakeTransport::new().reply_to(
            "HEAD",
            &url,
            FakeReply::error(404, "EntryNotFound", "Entry not found").with_header("x-repo-commit", COMMIT),
        );
        let store = FakeStore::default();
        assert_eq!(
            get(&t, &store, "main", false).unwrap_err().code,
            ErrorCode::EntryNotFound
        );
        assert!(store
            .files
            .borrow()
            .contains_key(&format!("/cache/models--org--repo/.no_exist/{COMMIT}/tokenizer.json")));
        assert_eq!(
            get(&FakeTransport::new(), &store, "main", true).unwrap_err().code,
            ErrorCode::EntryNotFound
        );
    }

    const BODY: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";

    fn blob_path(body: &[u8]) -> String {
        format!("/cache/models--org--repo/blobs/{}", sha(body))
    }

    fn ranges(t: &FakeTransport) -> Vec<Option<String>> {
        t.request_headers()
            .into_iter()
            .zip(t.requests())
            .filter(|(_, r)| r.starts_with("GET https://cdn"))
            .map(|(h, _)| h.into_iter().find(|(k, _)| k == "Range").map(|(_, v)| v))
            .collect()
    }

    #[test]
    fn a_dropped_connection_resumes_with_range_after_a_pause() {
        let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY).dropping_after(10));
        let store = FakeStore::default();
        assert_eq!(get(&t, &store, "main", false).unwrap(), BODY);
        assert_eq!(ranges(&t), [None, Some("bytes=10-".to_owned())]);
        assert_eq!(t.pauses(), [250]);
        let files = store.files.borrow();
        assert_eq!(files[&blob_path(BODY)], BODY);
        assert!(
            files
                .keys()
                .all(|k| !k.ends_with(".incomplete") && !k.ends_with(".lock")),
            "{:?}",
            files.keys()
        );
    }

    #[test]
    fn a_server_ignoring_range_restarts_the_file_cleanly() {
        let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ok(BODY).dropping_after(10));
        let store = FakeStore::default();
        assert_eq!(get(&t, &store, "main", false).unwrap(), BODY);
        assert_eq!(ranges(&t), [None, Some("bytes=10-".to_owned())]);
        assert_eq!(store.files.borrow()[&blob_path(BODY)], BODY);
    }

    #[test]
    fn a_partial_file_from_an_earlier_run_is_hashed_and_resumed() {
        let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY));
        let store = FakeStore::default();
        let partial = format!("{}.incomplete", blob_path(BODY));
        store.files.borrow_mut().insert(partial.clone(), BODY[..20].to_vec());
        assert_eq!(get(&t, &store, "main", false).unwrap(), BODY);
        assert_eq!(ranges(&t), [Some("bytes=20-".to_owned())]);
        assert!(!store.files.borrow().contains_key(&partial));
    }

    #[test]
    fn a_corrupt_partial_file_is_caught_and_removed() {
        let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY));
        let store = FakeStore::default();
        let partial = format!("{}.incomplete", blob_path(BODY));
        store.files.borrow_mut().insert(partial.clone(), b"XXXXXXXXXX".to_vec());
        assert_eq!(get(&t, &store, "main", false).unwrap_err().code, ErrorCode::Integrity);
        let files = store.files.borrow();
        assert!(!files.contains_key(&partial) && !files.contains_key(&blob_path(BODY)));
        assert!(!files.contains_key(SNAPSHOT));
    }

    #[test]
    fn retries_are_bounded_and_keep_the_partial_for_later() {
        // Every answer stops short of the announced size.
        let cdn = FakeReply::ok(&BODY[..8]).with_header("content-length", &BODY.len().to_string());
        let t = hub_with_cdn(BODY, &sha(BODY), cdn);
        let store = FakeStore::default();
        let err = get(&t, &store, "main", false).unwrap_err();
        assert_eq!(err.code, ErrorCode::Network, "{err:?}");
        assert_eq!(t.pauses(), [250, 500, 1000, 2000]);
        assert_eq!(ranges(&t).len(), crate::hub::blob_download::MAX_ATTEMPTS as usize);
        let files = store.files.borrow();
        assert!(!files.contains_key(&blob_path(BODY)));
        assert!(files.keys().all(|k| !k.ends_with(".lock")));
    }

    #[test]
    fn a_full_disk_is_a_cache_error_and_leaves_nothing_behind() {
        let t = hub_with_cdn(BODY, &sha(BODY), FakeReply::ranged(BODY));
        let store = FakeStore::default();
        store.capacity.set(Some(12));
        let err = get(&t, &store, "main", false).unwrap_err();
        assert_eq!(err.code, ErrorCode::CacheIo);
        assert!(err.message.contains("ENOSPC"), "{}", err.message);
        assert!(store
            .files
            .borrow()
            .keys()
            .all(|k| !k.contains("/blobs/") && !k.ends_with(".lock")));
    }

    #[test]
    fn a_download_held_by_another_process_is_waited_for_until_aborted() {
        let t = hub_serving(BODY, &sha(BODY));
        let store = FakeStore::default();
        let lock = RepoCache::new(ROOT, RepoType::Model, &RepoId::parse("org/repo").unwrap()).lock(&sha(BODY));
        store.files.borrow_mut().insert(lock.clone(), b"held".to_vec());
        t.aborted.set(true);
        assert_eq!(get(&t, &store, "main", false).unwrap_err().code, ErrorCode::Aborted);
        assert!(ranges(&t).is_empty());
        assert!(
            store.files.borrow().contains_key(&lock),
            "another process's lock is left alone"
        );
    }
}
