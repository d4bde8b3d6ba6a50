//! One download of a blob at a time, across processes.
//!
//! huggingface_hub holds `flock` on `.locks/{repo}/{etag}.lock`; Node has no
//! `flock`, so hubguard uses a lock *file* created exclusively beside it
//! (`{etag}.hubguard.lock`). The holder refreshes its mtime while it works;
//! a lock left by a crashed process goes stale and is taken over. Python
//! and hubguard do not exclude each other, which is safe for hubguard:
//! nothing becomes a blob before its size and sha256 are checked.

use super::store::FileStore;
use super::transport::Transport;
use crate::core::error::{ErrorCode, HubError};

/// How often a holder refreshes its lock, and after how long without a
/// refresh a lock counts as abandoned.
pub const REFRESH_MILLIS: u64 = 2_000;
pub const STALE_MILLIS: u64 = 15_000;
const POLL_MILLIS: u32 = 100;

pub struct BlobLock<'a, S: FileStore> {
    store: &'a S,
    path: String,
}

/// What waiting for the lock found.
pub enum Acquired<'a, S: FileStore> {
    /// Ours: download, then `release`.
    Held(BlobLock<'a, S>),
    /// Another process finished the blob while we waited.
    Done,
}

/// Take the lock at `path`, waiting while another process holds it.
/// `done` says whether the blob already exists (then there is nothing to do).
pub async fn acquire<'a, S: FileStore>(
    store: &'a S,
    transport: &impl Transport,
    path: &str,
    blob: &str,
) -> Result<Acquired<'a, S>, HubError> {
    loop {
        if store.exists(blob).await {
            return Ok(Acquired::Done);
        }
        let created = store.create_new(path, b"hubguard download lock\n").await.map_err(|e| {
            HubError::new(
                ErrorCode::CacheIo,
                format!(
                    "Could not create the lock file {path} ({}). Check free disk space and permissions.",
                    e.detail
                ),
            )
        })?;
        if created {
            // It may have been finished between our check and the lock.
            if store.exists(blob).await {
                store.remove(path).await;
                return Ok(Acquired::Done);
            }
            return Ok(Acquired::Held(BlobLock {
                store,
                path: path.to_owned(),
            }));
        }
        match store.age_millis(path).await {
            Some(age) if age > STALE_MILLIS => store.remove(path).await,
            _ => {
                if transport.is_aborted() {
                    return Err(HubError::aborted());
                }
                transport.pause(POLL_MILLIS).await;
            }
        }
    }
}

impl<S: FileStore> BlobLock<'_, S> {
    /// Show other processes that the download is alive.
    pub async fn refresh(&self) {
        self.store.touch(&self.path).await;
    }

    pub async fn release(self) {
        self.store.remove(&self.path).await;
    }
}
