//! Files read whole through the cache (a tokenizer's files): the
//! `FileSource` a load reads, each file capped at what hubguard reads of it
//! (`limits::max_file_bytes`), before its download and before it is read.

use futures_util::future::join;

use super::{CachedFile, CachedHub, Need};
use crate::core::cache::RepoCache;
use crate::core::error::{ErrorCode, HubError};
use crate::core::tokenizer::limits::{file_too_large, max_file_bytes};
use crate::hub::credentials::Credentials;
use crate::hub::download::FileRef;
use crate::hub::progress::Progress;
use crate::hub::source::{Derived, FileSource, IfUnknown};
use crate::hub::store::{cache_io_error as io_error, FileStore, IoError};
use crate::hub::transport::Transport;

impl<T: Transport, C: Credentials, S: FileStore> FileSource for CachedHub<'_, T, C, S> {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError> {
        let cached = self.locate_whole(file, on_progress, Need::Required).await?;
        self.read_cached(&cached, file).await
    }

    async fn get_optional(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        if_unknown: IfUnknown,
    ) -> Result<Option<Vec<u8>>, HubError> {
        match self.locate_whole(file, on_progress, Need::Optional(if_unknown)).await {
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
        let cached = self.locate_whole(file, on_progress, Need::Required).await?;
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
    /// `locate` for a file read whole: one the Hub announces larger than
    /// hubguard reads is refused before anything is downloaded.
    async fn locate_whole(
        &self,
        file: &FileRef,
        on_progress: &dyn Fn(Progress),
        need: Need,
    ) -> Result<CachedFile, HubError> {
        let max = max_file_bytes(file.path.as_str());
        self.locate_capped(file, on_progress, need, Some(max)).await
    }

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
}
