//! `createHubProxy(options)`: the options object, read into the proxy's
//! settings by the core (`core::options::proxy`, which refuses an unknown
//! key by name), plus the `authorize` function the proxy calls.

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::super::options::{read, Js};
use crate::core::endpoint::Endpoint;
use crate::core::error::HubError;
use crate::core::options::proxy::{ProxyOptions, CREATE};
use crate::core::proxy::{LargeFiles, LimitConfig, ProxyPolicy, Timeouts};
use crate::core::token::TokenOption;
use crate::platform;

/// Everything the proxy was configured with.
pub struct ProxyConfig {
    pub policy: ProxyPolicy,
    pub endpoint: Endpoint,
    pub token: TokenOption,
    pub limits: LimitConfig,
    pub timeouts: Timeouts,
    pub large_files: LargeFiles,
    pub authorize: Option<Function>,
}

pub fn configure(options: &JsValue) -> Result<ProxyConfig, HubError> {
    let options: ProxyOptions<Js> = read(CREATE, options)?;
    let settings = options.settings(platform::env_var("HF_ENDPOINT").as_deref())?;
    Ok(ProxyConfig {
        policy: settings.policy,
        endpoint: settings.endpoint,
        token: settings.token,
        limits: settings.limits,
        timeouts: settings.timeouts,
        large_files: settings.large_files,
        authorize: options.authorize.map(|f| f.0),
    })
}
