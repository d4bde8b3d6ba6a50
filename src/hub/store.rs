//! The filesystem half of the I/O seam: just what the cache needs.

use super::download::FileRef;
use crate::core::cache::{parse_commit, RepoCache};
use crate::core::error::{ErrorCode, HubError};
use crate::core::repo::Revision;

/// A ref file (`refs/{revision}`) holds one commit hash: a larger one is no
/// ref (it is never read whole).
pub const MAX_REF_BYTES: u64 = 1024;
/// The token files (`token`, `stored_tokens`): far above any real one.
pub const MAX_TOKEN_FILE_BYTES: u64 = 1 << 20;

/// A small file of the cache or of `HF_HOME`, read whole only if it holds at
/// most `max` bytes; `None` if it is missing, unreadable or larger.
pub async fn read_small(store: &impl FileStore, path: &str, max: u64) -> Option<Vec<u8>> {
    if store.size(path).await? > max {
        return None;
    }
    store.read(path).await.ok()?.filter(|bytes| bytes.len() as u64 <= max)
}

/// The commit `refs/{revision}` names in the cache, if it names a sound one.
pub async fn read_ref(store: &impl FileStore, cache: &RepoCache, revision: &Revision) -> Option<String> {
    let text = read_small(store, &cache.reference(revision), MAX_REF_BYTES).await?;
    parse_commit(&String::from_utf8_lossy(&text))
}

/// A filesystem failure; `detail` is the runtime's reason (e.g. `ENOSPC`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoError {
    pub detail: String,
}

/// The `CACHE_IO` error for a cache file of `file` that failed.
pub fn cache_io_error(error: IoError, path: &str, file: &FileRef) -> HubError {
    HubError::new(
        ErrorCode::CacheIo,
        format!(
            "The cache file {path} could not be read or written ({}). Check free disk space and permissions, \
             or set HF_HUB_CACHE / cache_dir to another folder.",
            error.detail
        ),
    )
    .about(file.repo.as_str(), Some(file.path.as_str()))
}

/// An open file being written, front to back, that keeps the sha256 of
/// everything in it. Hashing belongs to the writer so a platform can use its
/// native hash on the very buffer it writes (Node's is several times faster
/// than hashing in wasm).
#[allow(async_fn_in_trait)]
pub trait FileWriter {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), IoError>;
    /// Flush and close, giving the file's sha256 (lower-case hex). A write
    /// error the OS reports late (a full disk on flush) surfaces here.
    async fn close(self) -> Result<String, IoError>;
}

#[allow(async_fn_in_trait)]
pub trait FileStore {
    type Writer<'w>: FileWriter
    where
        Self: 'w;

    /// The file's bytes, or `None` if it does not exist.
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, IoError>;
    async fn exists(&self, path: &str) -> bool;
    /// The file's git blob sha1 (lower-case hex), what the Hub names a
    /// regular (non-LFS) file by: the sha1 of `blob {size}\0` and then its
    /// bytes, read in bounded chunks.
    async fn git_blob_sha1(&self, path: &str) -> Result<String, IoError>;
    /// Size in bytes, or `None` if the file does not exist.
    async fn size(&self, path: &str) -> Option<u64>;
    /// Milliseconds since the file was last modified.
    async fn age_millis(&self, path: &str) -> Option<u64>;
    /// Set the file's modification time to now.
    async fn touch(&self, path: &str);
    /// Write `bytes` to `path` all or nothing: into a uniquely named
    /// `{path}.….incomplete` first (creating folders), then renamed into place. On failure the
    /// partial file is removed.
    async fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), IoError>;
    /// Create `path` with `bytes` only if it does not exist yet (creating
    /// folders): `Ok(false)` if it does. Atomic across processes, so it can
    /// serve as a lock.
    async fn create_new(&self, path: &str, bytes: &[u8]) -> Result<bool, IoError>;
    /// Open `path` for writing (creating folders): appended to when
    /// `append` (what it holds is hashed first, in bounded chunks), else
    /// emptied first.
    async fn open_writer(&self, path: &str, append: bool) -> Result<Self::Writer<'_>, IoError>;
    async fn rename(&self, from: &str, to: &str) -> Result<(), IoError>;
    /// As `write_atomic`, for a secret (a token file): readable by its
    /// owner only where the platform has modes (0600, in a 0700 folder, as
    /// huggingface_hub writes them).
    async fn write_secret(&self, path: &str, bytes: &[u8]) -> Result<(), IoError> {
        self.write_atomic(path, bytes).await
    }
    /// Remove a file if it exists.
    async fn remove(&self, path: &str);
    /// Point `link` at `target` (relative to the link's folder); where
    /// symlinks are not allowed, copy `source` (the target's real path).
    async fn link(&self, link: &str, target: &str, source: &str) -> Result<(), IoError>;
}
