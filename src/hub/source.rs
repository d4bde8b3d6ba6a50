//! Where a tokenizer's files come from: the Hub directly, or through the
//! local cache (which may answer without the network).

use super::credentials::Credentials;
use super::download::{FileRef, HubClient};
use super::progress::Progress;
use super::transport::Transport;
use crate::core::error::HubError;

#[allow(async_fn_in_trait)]
pub trait FileSource {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError>;
}

impl<T: Transport, C: Credentials> FileSource for HubClient<'_, T, C> {
    async fn get(&self, file: &FileRef, on_progress: &dyn Fn(Progress)) -> Result<Vec<u8>, HubError> {
        self.fetch_bytes(file, on_progress).await
    }
}
