//! Node: the token comes from the option, `process.env` or the token file.

use wasm_bindgen::prelude::*;

use super::node_http::NodeHttpTransport;
use crate::core::classify::AccessAdvice;
use crate::core::error::HubError;
use crate::core::token::{resolve_token, Token, TokenEnvironment, TokenOption};
use crate::hub::credentials::Credentials;

pub const ADVICE: AccessAdvice = AccessAdvice::TOKEN;

/// A transport with this call's signal. The app's proxy headers and
/// credentials mode are browser settings: a server holds its own token.
pub fn proxy_transport(
    signal: Option<web_sys::AbortSignal>,
    _headers: Vec<(String, String)>,
    _credentials: Option<crate::core::proxy::ProxyCredentials>,
) -> NodeHttpTransport {
    NodeHttpTransport { signal }
}

#[wasm_bindgen(module = "fs")]
extern "C" {
    #[wasm_bindgen(js_name = readFileSync, catch)]
    fn read_file_sync(path: &str, encoding: &str) -> Result<String, JsValue>;
}

#[wasm_bindgen(module = "os")]
extern "C" {
    #[wasm_bindgen(js_name = homedir, catch)]
    fn os_homedir() -> Result<String, JsValue>;
}

pub use super::node_env::env_var;

struct NodeEnvironment;

impl TokenEnvironment for NodeEnvironment {
    fn var(&self, name: &str) -> Option<String> {
        env_var(name)
    }
    fn home_dir(&self) -> Option<String> {
        os_homedir().ok().filter(|h| !h.is_empty())
    }
    fn read_file(&self, path: &str) -> Option<String> {
        read_file_sync(path, "utf8").ok()
    }
}

struct NodeCredentials {
    option: TokenOption,
}

impl Credentials for NodeCredentials {
    fn current(&self) -> Result<Option<Token>, HubError> {
        resolve_token(&self.option, &NodeEnvironment)
    }
}

pub fn configured_credentials(option: TokenOption) -> Result<impl Credentials, HubError> {
    Ok(NodeCredentials { option })
}

/// Node has no page URL: a proxy must be given as an absolute URL.
pub fn page_url() -> Option<String> {
    None
}

pub use super::node_fs::NodeStore as Store;

/// The cache root for this load (`cache_dir` option, HF_HUB_CACHE, HF_HOME...).
pub fn cache_root(option: Option<&str>) -> Option<String> {
    crate::core::cache::cache_root(option, &NodeEnvironment)
}

/// Where `hubguard login` writes the token and every load reads it: the
/// same rule as huggingface_hub (`$HF_TOKEN_PATH`, `$HF_HOME/token`, ...).
pub fn token_file() -> Option<String> {
    crate::core::token::token_file_path(&NodeEnvironment)
}

/// The named tokens `hf auth login` keeps, beside the token file.
pub fn stored_tokens_file() -> Option<String> {
    crate::core::stored_tokens::stored_tokens_path(&NodeEnvironment)
}

/// The token huggingface_hub's `get_token()` would find now (environment,
/// then token file), whether or not implicit tokens are sent.
pub fn implicit_token() -> Result<Option<Token>, HubError> {
    crate::core::token::implicit_token(&NodeEnvironment)
}
