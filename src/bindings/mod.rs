//! The wasm-bindgen boundary: JS values in, typed Rust calls, JS errors out.
//!
//! Everything below here speaks `HubError`; only this module turns one into
//! a JS `HubError` instance (the class lives in the package's JS entry, which
//! registers it at load time).

mod context;
mod crash;
mod errors;
mod fetch_context;
mod hub_fetch;
mod options;
mod progress;
mod tokenizer;
mod tokenizer_api;

// The proxy holds a token, so only the server (Node) build has it.
#[cfg(feature = "node")]
mod proxy;
// Files on disk and the token: server (Node) build only.
#[cfg(feature = "node")]
mod auth;
#[cfg(feature = "node")]
mod hub_api;
