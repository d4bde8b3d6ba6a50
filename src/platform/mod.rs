//! The I/O seam's implementations: the one place that knows which build this is.
//!
//! The builds differ only here:
//! - `node`: HTTP through `node:http`/`node:https` (bounded memory on large
//!   bodies; see `node_http.rs`), redirects come back to us so the token rule
//!   runs per hop, and the token is read from the option, `process.env` and
//!   the token file. The cache lives on disk.
//! - `browser`: the global `fetch` (pages and Web Workers). No token code is
//!   compiled in at all, so redirects are left to the browser. Files are kept
//!   in the Cache API.
//! - `edge`: the proxy alone, for Fetch-API servers: the global `fetch` with
//!   manual redirects and a bearer, the token from the proxy's option only.

#[cfg(any(
    all(feature = "node", feature = "browser"),
    all(feature = "node", feature = "edge"),
    all(feature = "browser", feature = "edge")
))]
compile_error!("choose one of the features `node`, `browser` and `edge`");
#[cfg(not(any(feature = "node", feature = "browser", feature = "edge")))]
compile_error!("a wasm build needs the feature `node`, `browser` or `edge`");

mod headers;
/// The wasm heap allocator (Talc, growing memory in large steps). wasm-only,
/// like the rest of this module; host tests use the system allocator.
mod heap;
/// Freed small blocks kept for reuse, in front of Talc (see its docs).
mod small_blocks;
mod timer;
#[cfg(not(feature = "edge"))]
mod web_cache;
// The proxy's binding reads a request's headers (server builds).
#[cfg(any(feature = "node", feature = "edge"))]
pub use headers::header_list;
pub use heap::heap_exhausted;
#[cfg(not(feature = "edge"))]
pub use small_blocks::zero_freed;
#[cfg(not(feature = "edge"))]
pub use web_cache::web_cache;

#[cfg(feature = "node")]
mod node;
#[cfg(feature = "node")]
mod node_env;
#[cfg(feature = "node")]
mod node_file;
#[cfg(feature = "node")]
mod node_fs;
#[cfg(feature = "node")]
mod node_http;
#[cfg(feature = "node")]
mod node_proxy_route;
#[cfg(feature = "node")]
mod node_writer;
#[cfg(feature = "node")]
pub use node::{cache_root, configured_credentials, env_var, page_url, proxy_transport, Store, ADVICE};
#[cfg(feature = "node")]
pub use node::{implicit_token, stored_tokens_file, token_file};
#[cfg(feature = "node")]
pub use node_http::NodeHttpTransport as HttpTransport;

#[cfg(feature = "browser")]
mod browser;
#[cfg(any(feature = "browser", feature = "edge"))]
mod fetch;
#[cfg(feature = "browser")]
pub use browser::{cache_root, configured_credentials, env_var, page_url, proxy_transport, Store, ADVICE};
#[cfg(feature = "browser")]
pub use fetch::FetchTransport as HttpTransport;

// `edge`: the proxy on Fetch-API servers (Workers, Vercel Edge): the global
// `fetch` with manual redirects, the token from the proxy's option only.
#[cfg(feature = "edge")]
mod edge;
#[cfg(feature = "edge")]
pub use edge::{configured_credentials, env_var, proxy_transport, ADVICE};
