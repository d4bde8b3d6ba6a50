//! The I/O seam's implementations: the one place that knows which build this is.
//!
//! Both builds use the runtime's global `fetch` (Node 18+, browsers, Web
//! Workers). They differ only here:
//! - `node`: redirects come back to us (`redirect: "manual"` returns the real
//!   3xx in Node) so the token rule runs per hop; the token is read from the
//!   option, `process.env` and the token file.
//! - `browser`: no token code is compiled in at all. Redirects are left to
//!   the browser, which is safe because no request ever carries a token.

#[cfg(all(feature = "node", feature = "browser"))]
compile_error!("choose one of the features `node` and `browser`, not both");
#[cfg(not(any(feature = "node", feature = "browser")))]
compile_error!("a wasm build needs the feature `node` or `browser`");

mod fetch;
mod web_cache;
pub use fetch::{header_list, FetchTransport};
pub use web_cache::web_cache;

#[cfg(feature = "node")]
mod node;
#[cfg(feature = "node")]
mod node_fs;
#[cfg(feature = "node")]
pub use node::token_file;
#[cfg(feature = "node")]
pub use node::{attach_bearer, cache_root, configured_credentials, env_var, page_url, Store, ADVICE, REDIRECT_MODE};

#[cfg(feature = "browser")]
mod browser;
#[cfg(feature = "browser")]
pub use browser::{attach_bearer, cache_root, configured_credentials, env_var, page_url, Store, ADVICE, REDIRECT_MODE};
