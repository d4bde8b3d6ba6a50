//! The settings every Hub call shares, read once per call from its options
//! and the package's `env`: credentials, endpoint, proxy, cache and offline
//! mode. Calls (from_pretrained, downloadFile, ...) build on this, so they
//! agree on every rule.

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::options::{wrong_type, Options};
use crate::core::endpoint::Endpoint;
use crate::core::environment::is_true;
use crate::core::error::HubError;
use crate::core::proxy::{proxy_headers, ProxyCredentials};
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
    pub transport: HttpTransport,
    /// `env.proxyHeaders` as given (an object, or a function returning one).
    proxy_headers: Option<JsValue>,
    /// `env.proxyCredentials`.
    proxy_credentials: Option<ProxyCredentials>,
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

/// Read the shared settings. `options` is the call's own object, `env` the
/// package's settings object.
pub fn hub_context(options: &Options, env: &JsValue) -> Result<HubContext<impl Credentials>, HubError> {
    let settings = Options::new(env, "env")?;
    let credentials = platform::configured_credentials(options.token()?)?;
    // A token put in the shared settings is refused the same way (browser).
    platform::configured_credentials(settings.token()?)?;
    let endpoint = Endpoint::choose(
        settings.string("endpoint")?.as_deref(),
        platform::env_var("HF_ENDPOINT").as_deref(),
    )?;
    let proxy = match settings.string("proxy")? {
        Some(p) => Some(Endpoint::parse_relative(&p, platform::page_url().as_deref())?),
        None => None,
    };
    let offline =
        options.bool_or("local_files_only", false)? || platform::env_var("HF_HUB_OFFLINE").is_some_and(|v| is_true(&v));
    // `signal` cancels every request of this call.
    let signal = options.abort_signal("signal")?;
    Ok(HubContext {
        credentials,
        endpoint,
        proxy,
        proxy_all: settings.bool_or("proxyAll", false)?,
        cache_root: platform::cache_root(options.string("cache_dir")?.as_deref()),
        offline,
        progress: options.function("progress_callback")?,
        browser_cache: settings.bool_or("useBrowserCache", true)?,
        transport: platform::proxy_transport(signal, Vec::new(), None),
        proxy_headers: settings.raw("proxyHeaders"),
        proxy_credentials: settings
            .string("proxyCredentials")?
            .map(|c| ProxyCredentials::parse(&c))
            .transpose()?,
    })
}
