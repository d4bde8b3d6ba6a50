//! The pure core: everything that decides, nothing that does I/O.
//!
//! No module here may import `wasm_bindgen`, `js_sys` or `web_sys`; all of it
//! is tested with plain `cargo test` on the host.

pub mod cache;
pub mod classify;
pub mod crash;
pub mod endpoint;
pub mod environment;
pub mod error;
pub mod fetch;
pub mod forward_proxy;
pub mod options;
pub mod patterns;
pub mod proxy;
pub mod redact;
pub mod redirect;
pub mod repo;
pub mod routing;
pub mod secret;
pub mod stored_tokens;
pub mod token;
pub mod tokenizer;

pub use error::{ErrorCode, HubError};
