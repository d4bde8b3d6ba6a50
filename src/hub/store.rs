//! The filesystem half of the I/O seam: just what the cache needs.

/// A filesystem failure; `detail` is the runtime's reason (e.g. `ENOSPC`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoError {
    pub detail: String,
}

#[allow(async_fn_in_trait)]
pub trait FileStore {
    /// The file's bytes, or `None` if it does not exist.
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, IoError>;
    async fn exists(&self, path: &str) -> bool;
    /// Write `bytes` to `path` all or nothing: into a uniquely named
    /// `{path}.….incomplete` first (creating folders), then renamed into place. On failure the
    /// partial file is removed.
    async fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), IoError>;
    /// Point `link` at `target` (relative to the link's folder); where
    /// symlinks are not allowed, copy `source` (the target's real path).
    async fn link(&self, link: &str, target: &str, source: &str) -> Result<(), IoError>;
}
