//! Where a tokenizer's files come from: the Hub directly, or through the
//! local cache (which may answer without the network).

use super::credentials::Credentials;
use super::download::{FileRef, HubClient};
use super::progress::Progress;
use super::transport::Transport;
use crate::core::error::{ErrorCode, HubError};

/// What an optional file's answer is when nothing says whether it exists:
/// offline (or with the Hub unreachable) and not in the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IfUnknown {
    /// An error (`NOT_CACHED`, `NETWORK`), as for a required file.
    Fail,
    /// Absent: what transformers does for its optional tokenizer files
    /// (`cached_file(..., _raise_exceptions_for_missing_entries=False)`
    /// returns None on a `LocalEntryNotFoundError`).
    Absent,
}

#[allow(async_fn_in_trait)]
pub trait FileSource {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError>;

    /// A file the repo may lack: `None` when the Hub says it does not exist
    /// (404 EntryNotFound). Sources with a cache also answer `None` from
    /// what they remember as missing, without a request.
    async fn get_optional(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        _if_unknown: IfUnknown,
    ) -> Result<Option<Vec<u8>>, HubError> {
        absent_if_not_found(self.get(file, on_progress).await)
    }

    /// A file turned into `D::Output`. Sources with a disk cache keep
    /// `derived`'s compact form beside the file and load from it next time.
    async fn get_derived<D: Derived>(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        derived: &D,
    ) -> Result<D::Output, HubError> {
        let bytes = self.get(file, on_progress).await?;
        Ok(derived.load_file(&bytes, false)?.0)
    }
}

/// What a file's bytes are turned into, and a compact form of it that a
/// cache may keep beside the file because it loads faster than the file
/// (the pre-parsed tokenizer).
pub trait Derived {
    type Output;
    /// Appended to the file's path to name the kept form.
    const SUFFIX: &'static str;
    /// From a kept form made from a file of `file_size` bytes; `None` if it
    /// is not usable (stale, corrupt, another format): the file is read.
    fn load_kept(&self, kept: &[u8], file_size: u64) -> Option<Self::Output>;
    /// From the file itself; with `keep`, also the form to keep, if any.
    fn load_file(&self, bytes: &[u8], keep: bool) -> Result<(Self::Output, Option<Vec<u8>>), HubError>;
}

pub(super) fn absent_if_not_found(result: Result<Vec<u8>, HubError>) -> Result<Option<Vec<u8>>, HubError> {
    match result {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.code == ErrorCode::EntryNotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl<T: Transport, C: Credentials> FileSource for HubClient<'_, T, C> {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError> {
        self.fetch_bytes(file, on_progress).await
    }
}
