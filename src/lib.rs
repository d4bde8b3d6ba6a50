//! hubguard: private and gated Hugging Face tokenizers for JavaScript,
//! without leaking an access token.
//!
//! - [`core`] decides: ids, URLs, the token rule, errors, tokenization. Pure.
//! - [`hub`] fetches files from the Hub through the [`hub::transport`] seam.
//! - `platform` implements that seam with the JS runtime's `fetch` (wasm only).
//! - `bindings` is the wasm-bindgen boundary (wasm only).

pub mod core;
pub mod hub;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod platform;
// The wasm heap's small-block cache is plain Rust over any allocator: its
// tests run on the host, against the system allocator, in a platform module
// that holds only that file.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod platform {
    mod small_blocks;
}
