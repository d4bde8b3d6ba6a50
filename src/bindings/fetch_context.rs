//! `createHubFetch(options)` into the settings one `hubFetch` call uses: the
//! options as a serde struct (an unknown key is INVALID_OPTION naming it),
//! over the package's `env` (endpoint, proxy, proxyAll) and the process
//! environment, as every other call reads them.

use js_sys::Function;
use serde::{Deserialize, Deserializer};
use wasm_bindgen::{JsCast, JsValue};

use super::options::{wrong_type, Options};
use crate::core::endpoint::Endpoint;
use crate::core::environment::is_true;
use crate::core::error::HubError;
use crate::core::fetch::{check_keys, options_error, FetchOptions};
use crate::hub::credentials::Credentials;
use crate::platform::{self, HttpTransport};

const WHAT: &str = "createHubFetch";

/// A JS value kept as it is (the progress callback).
pub struct JsCallback(JsValue);

impl<'de> Deserialize<'de> for JsCallback {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_wasm_bindgen::preserve::deserialize(deserializer).map(JsCallback)
    }
}

pub type HubFetchOptions = FetchOptions<JsCallback>;

pub struct FetchContext<C> {
    pub credentials: C,
    pub endpoint: Endpoint,
    pub proxy: Option<Endpoint>,
    pub proxy_all: bool,
    /// `None` where there is no filesystem cache (the browser).
    pub cache_root: Option<String>,
    pub offline: bool,
    pub progress: Option<Function>,
    pub transport: HttpTransport,
}

/// The options object (`undefined` and `null` are `{}`).
pub fn read_options(options: &JsValue) -> Result<HubFetchOptions, HubError> {
    if options.is_undefined() || options.is_null() {
        return Ok(FetchOptions::default());
    }
    if !options.is_object() {
        return Err(wrong_type(WHAT, "options", "an object"));
    }
    let keys: Vec<String> = js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>())
        .iter()
        .filter_map(|k| k.as_string())
        .collect();
    check_keys(keys.iter().map(String::as_str))?;
    serde_wasm_bindgen::from_value(options.clone()).map_err(|e| {
        // serde-wasm-bindgen does not say which key held the wrong type:
        // the one that fails on its own does.
        let culprit = keys.iter().find(|key| {
            let single = js_sys::Object::new();
            let value = js_sys::Reflect::get(options, &key.as_str().into()).unwrap_or(JsValue::UNDEFINED);
            let _ = js_sys::Reflect::set(&single, &key.as_str().into(), &value);
            serde_wasm_bindgen::from_value::<HubFetchOptions>(single.into()).is_err()
        });
        match culprit {
            Some(key) => options_error(&format!("`{key}`: {e}")),
            None => options_error(&e.to_string()),
        }
    })
}

pub fn fetch_context(
    options: &HubFetchOptions,
    env: &JsValue,
    signal: Option<web_sys::AbortSignal>,
) -> Result<FetchContext<impl Credentials>, HubError> {
    let settings = Options::new(env, "env")?;
    let credentials = platform::configured_credentials(options.token_option()?)?;
    // A token in the shared settings is refused the same way (browser).
    platform::configured_credentials(settings.token()?)?;
    let endpoint = Endpoint::choose(
        options.endpoint.clone().or(settings.string("endpoint")?).as_deref(),
        platform::env_var("HF_ENDPOINT").as_deref(),
    )?;
    let proxy = match options.proxy.clone().or(settings.string("proxy")?) {
        Some(p) => Some(Endpoint::parse_relative(&p, platform::page_url().as_deref())?),
        None => None,
    };
    let progress = match &options.progress_callback {
        Some(JsCallback(value)) => Some(
            value
                .clone()
                .dyn_into::<Function>()
                .map_err(|_| wrong_type(WHAT, "progress_callback", "a function"))?,
        ),
        None => None,
    };
    Ok(FetchContext {
        credentials,
        endpoint,
        proxy,
        proxy_all: match options.proxy_all {
            Some(all) => all,
            None => settings.bool_or("proxyAll", false)?,
        },
        cache_root: platform::cache_root(options.cache_dir.as_deref()),
        offline: options.local_files_only.unwrap_or(false)
            || platform::env_var("HF_HUB_OFFLINE").is_some_and(|v| is_true(&v)),
        progress,
        transport: platform::proxy_transport(signal, Vec::new(), None),
    })
}
