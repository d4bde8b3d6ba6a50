//! Talking to the Hub: one file at a time, through the transport seam.
//!
//! Nothing here knows which JS runtime it runs in. The platform supplies a
//! [`transport::Transport`] and a [`credentials::Credentials`]; this module
//! applies the token rule, follows redirects and classifies errors.

pub mod api;
pub mod auth_files;
pub mod blob_download;
pub mod cached;
pub mod calls;
pub mod commit_cache;
pub mod credentials;
pub mod download;
pub mod hub_fetch;
pub mod lock;
pub mod metadata;
pub mod progress;
pub mod recent;
pub mod routing;
pub mod snapshot;
pub mod source;
pub mod store;
pub mod tokenizer_files;
pub mod transport;
pub mod warm_load;

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
