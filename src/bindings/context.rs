//! The settings every Hub call shares, read once per call from its options
//! and the package's `env`: credentials, endpoint, proxy, cache and offline
//! mode. Calls (from_pretrained, downloadFile, ...) build on this, so they
//! agree on every rule.

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::options::Options;
use crate::core::endpoint::Endpoint;
use crate::core::environment::is_true;
use crate::core::error::HubError;
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
        transport: HttpTransport { signal },
    })
}
