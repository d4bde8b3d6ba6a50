//! The settings every Hub call shares, read once per call from its options
//! and the package's `env` (`core::options::settings` decides; this reads
//! the process environment and makes the platform's objects): credentials,
//! endpoint, proxy, cache and offline mode. Calls (from_pretrained,
//! downloadFile, hubFetch, ...) build on this, so they agree on every rule.

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::options::{read, Js, JsFunction, JsSignal};
use crate::core::endpoint::Endpoint;
use crate::core::error::HubError;
use crate::core::options::settings::{CallSettings, EnvSettings, Environment};
use crate::core::options::wrong_type;
use crate::core::proxy::{proxy_headers, ProxyCredentials};
use crate::core::token::TokenOption;
use crate::hub::credentials::Credentials;
use crate::platform::{self, HttpTransport};

pub struct HubContext<C> {
    pub credentials: C,
    pub endpoint: Endpoint,
    /// `env.proxy`, resolved against the page in a browser.
    pub proxy: Option<Endpoint>,
    /// `env.proxyAll`: every request goes through the proxy.
    pub proxy_all: bool,
    /// `None` where there is no filesystem cache (the browser).
    pub cache_root: Option<String>,
    /// `local_files_only` or HF_HUB_OFFLINE: no request at all.
    pub offline: bool,
    pub progress: Option<Function>,
    /// `env.useBrowserCache` (default true, as in Transformers.js): keep
    /// files in the Cache API where the runtime has one.
    pub browser_cache: bool,
    /// `env.tokenizerImages` (default true): where the runtime keeps images
    /// of built tokenizers, a load the disk cache serves answers its files.
    pub tokenizer_images: bool,
    pub transport: HttpTransport,
    /// `env.proxyHeaders` as given (an object, or a function returning one).
    proxy_headers: Option<JsValue>,
    /// `env.proxyCredentials`.
    proxy_credentials: Option<ProxyCredentials>,
}

/// What one call brings: its own options' share of the settings.
#[derive(Default)]
pub struct CallParts<'a> {
    pub token: Option<TokenOption>,
    pub cache_dir: Option<&'a str>,
    pub progress: Option<&'a JsFunction>,
    pub signal: Option<&'a JsSignal>,
    pub settings: CallSettings<'a>,
}

impl<C> HubContext<C> {
    /// The transport for requests to the app's proxy: this call's signal,
    /// plus the app's own headers and credentials mode (browser build; the
    /// Node build sends neither). A token-shaped value is TOKEN_REFUSED.
    pub async fn proxy_transport(&self) -> Result<HttpTransport, HubError> {
        let headers = match &self.proxy_headers {
            Some(given) => proxy_headers(header_pairs(given).await?)?,
            None => Vec::new(),
        };
        Ok(platform::proxy_transport(
            self.transport.signal.clone(),
            headers,
            self.proxy_credentials,
        ))
    }
}

/// `env.proxyHeaders`: an object of strings, or a function returning one
/// (awaited if it returns a promise), called for each load.
async fn header_pairs(given: &JsValue) -> Result<Vec<(String, String)>, HubError> {
    let wrong = || {
        wrong_type(
            "env",
            "proxyHeaders",
            "an object of strings, or a function returning one",
        )
    };
    let mut value = given.clone();
    if let Some(f) = value.dyn_ref::<Function>() {
        value = f.call0(&JsValue::UNDEFINED).map_err(|_| wrong())?;
        if value.has_type::<Promise>() {
            value = JsFuture::from(value.unchecked_into::<Promise>())
                .await
                .map_err(|_| wrong())?;
        }
    }
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let object = value.dyn_ref::<Object>().ok_or_else(wrong)?;
    Object::entries(object)
        .iter()
        .map(|pair| {
            let pair: Array = pair.unchecked_into();
            match (pair.get(0).as_string(), pair.get(1).as_string()) {
                (Some(name), Some(value)) => Ok((name, value)),
                _ => Err(wrong()),
            }
        })
        .collect()
}

/// The process environment the settings depend on.
fn environment() -> Environment {
    Environment {
        hf_endpoint: platform::env_var("HF_ENDPOINT"),
        hf_hub_offline: platform::env_var("HF_HUB_OFFLINE"),
        page_url: platform::page_url(),
    }
}

/// Read the shared settings: `call`'s share, over the package's `env`.
pub fn hub_context(call: CallParts<'_>, env: &JsValue) -> Result<HubContext<impl Credentials>, HubError> {
    let settings: EnvSettings<Js> = read("env", env)?;
    let credentials = platform::configured_credentials(call.token.unwrap_or_default())?;
    // A token put in the shared settings is refused the same way (browser).
    platform::configured_credentials(settings.token.clone().unwrap_or_default())?;
    let resolved = settings.resolve(call.settings, &environment())?;
    Ok(HubContext {
        credentials,
        endpoint: resolved.endpoint,
        proxy: resolved.proxy,
        proxy_all: resolved.proxy_all,
        cache_root: platform::cache_root(call.cache_dir),
        offline: resolved.offline,
        progress: call.progress.map(|f| f.0.clone()),
        browser_cache: resolved.browser_cache,
        tokenizer_images: resolved.tokenizer_images,
        // `signal` cancels every request of this call.
        transport: platform::proxy_transport(call.signal.map(|s| s.0.clone()), Vec::new(), None),
        proxy_headers: settings.proxy_headers.map(|h| h.0),
        proxy_credentials: resolved.proxy_credentials,
    })
}
