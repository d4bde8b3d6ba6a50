//! The wasm-bindgen boundary: JS values in, typed Rust calls, JS errors out.
//!
//! Everything below here speaks `HubError`; only errors.rs turns one into a
//! JS `HubError` instance (`From<HubError> for JsValue`; the class lives in
//! the package's JS entry, which registers it at load time). Options
//! objects are read into the core's serde structs (options.rs).

// The tokenizer API and hubFetch: the Node and browser builds (the edge
// build is the proxy alone).
#[cfg(not(feature = "edge"))]
mod batch;
#[cfg(not(feature = "edge"))]
mod chat_api;
#[cfg(not(feature = "edge"))]
mod context;
mod crash;
mod errors;
#[cfg(not(feature = "edge"))]
mod hub_fetch;
mod options;
#[cfg(not(feature = "edge"))]
mod progress;
#[cfg(not(feature = "edge"))]
mod rules;
#[cfg(not(feature = "edge"))]
mod tokenizer;
#[cfg(not(feature = "edge"))]
mod tokenizer_api;
#[cfg(not(feature = "edge"))]
mod tokenizer_settings;

// The proxy holds a token, so only the server builds (Node, edge) have it.
#[cfg(any(feature = "node", feature = "edge"))]
mod proxy;
// Files on disk and the token: server (Node) build only.
#[cfg(feature = "node")]
mod auth;
#[cfg(feature = "node")]
mod hub_api;
