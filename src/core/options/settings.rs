//! The package's shared settings object (`env`), `from_pretrained`'s
//! options, and the rule that combines them with the process environment
//! into what every Hub call obeys: endpoint, proxy, offline mode.
//!
//! `env` keys are camelCase (Transformers.js' `env` style: `proxyAll`,
//! `useBrowserCache`); `from_pretrained`'s are Transformers.js' own
//! (`progress_callback`, `cache_dir`, `local_files_only`), one spelling each.

use serde::Deserialize;

use super::values::token;
use super::JsValues;
use crate::core::endpoint::Endpoint;
use crate::core::environment::is_true;
use crate::core::error::HubError;
use crate::core::proxy::ProxyCredentials;
use crate::core::token::TokenOption;

/// `env`: read at each call, so a change applies to the next one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct EnvSettings<J: JsValues> {
    /// The Hub's origin (else HF_ENDPOINT, else huggingface.co).
    pub endpoint: Option<String>,
    /// The app's hubguard proxy, relative to the page in a browser.
    pub proxy: Option<String>,
    /// Every request through the proxy, public ones too.
    #[serde(rename = "proxyAll")]
    pub proxy_all: Option<bool>,
    /// Keep files in the Cache API where there is one (default true).
    #[serde(rename = "useBrowserCache")]
    pub use_browser_cache: Option<bool>,
    /// The app's own headers for its proxy: an object, or a function
    /// returning one (checked where it is called).
    #[serde(rename = "proxyHeaders")]
    pub proxy_headers: Option<J::Any>,
    /// The credentials mode of requests to the proxy.
    #[serde(rename = "proxyCredentials")]
    pub proxy_credentials: Option<String>,
    /// Keep and restore images of built tokenizers where the platform can
    /// (Node's disk cache; default true).
    #[serde(rename = "tokenizerImages")]
    pub tokenizer_images: Option<bool>,
    /// Refused in a browser (TOKEN_REFUSED), as the `token` option is.
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
}

/// `AutoTokenizer.from_pretrained(repoId, options)`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct LoadOptions<J: JsValues> {
    /// Branch, tag or commit (default `main`).
    pub revision: Option<String>,
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
    pub progress_callback: Option<J::Function>,
    pub cache_dir: Option<String>,
    pub local_files_only: Option<bool>,
    pub signal: Option<J::Signal>,
}

/// What the process says, read by the platform: `HF_ENDPOINT`,
/// `HF_HUB_OFFLINE`, and the page's URL (a browser's relative proxy).
#[derive(Clone, Debug, Default)]
pub struct Environment {
    pub hf_endpoint: Option<String>,
    pub hf_hub_offline: Option<String>,
    pub page_url: Option<String>,
}

/// A call's own settings that take precedence over `env`'s (hubFetch's
/// options), and whether it asked for offline mode.
#[derive(Clone, Copy, Debug, Default)]
pub struct CallSettings<'a> {
    pub endpoint: Option<&'a str>,
    pub proxy: Option<&'a str>,
    pub proxy_all: Option<bool>,
    pub local_files_only: bool,
}

/// Where a call's requests go, and how.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub endpoint: Endpoint,
    /// `env.proxy`, made absolute against the page.
    pub proxy: Option<Endpoint>,
    pub proxy_all: bool,
    /// `local_files_only` or HF_HUB_OFFLINE: no request at all.
    pub offline: bool,
    pub browser_cache: bool,
    pub proxy_credentials: Option<ProxyCredentials>,
    pub tokenizer_images: bool,
}

impl<J: JsValues> EnvSettings<J> {
    pub fn resolve(&self, call: CallSettings<'_>, environment: &Environment) -> Result<Resolved, HubError> {
        let endpoint = Endpoint::choose(
            call.endpoint.or(self.endpoint.as_deref()),
            environment.hf_endpoint.as_deref(),
        )?;
        let proxy = call
            .proxy
            .or(self.proxy.as_deref())
            .map(|p| Endpoint::parse_relative(p, environment.page_url.as_deref()))
            .transpose()?;
        Ok(Resolved {
            endpoint,
            proxy,
            proxy_all: call.proxy_all.or(self.proxy_all).unwrap_or(false),
            offline: call.local_files_only || environment.hf_hub_offline.as_deref().is_some_and(is_true),
            browser_cache: self.use_browser_cache.unwrap_or(true),
            proxy_credentials: self
                .proxy_credentials
                .as_deref()
                .map(ProxyCredentials::parse)
                .transpose()?,
            tokenizer_images: self.tokenizer_images.unwrap_or(true),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::error::ErrorCode;
    use crate::core::options::{read, Json};

    fn env(value: serde_json::Value) -> EnvSettings<Json> {
        read("env", value).unwrap()
    }

    #[test]
    fn env_keys_are_read_and_resolved() {
        let settings = env(json!({
            "endpoint": "http://hub.test", "proxy": "/hf", "proxyAll": true, "useBrowserCache": false,
            "proxyHeaders": {"x": "y"}, "proxyCredentials": "include", "tokenizerImages": false
        }));
        let page = Environment {
            page_url: Some("https://app.test/page".into()),
            ..Environment::default()
        };
        let r = settings.resolve(CallSettings::default(), &page).unwrap();
        assert_eq!(r.endpoint.prefix_url(), "http://hub.test/");
        assert_eq!(r.proxy.unwrap().prefix_url(), "https://app.test/hf/");
        assert!(r.proxy_all && !r.browser_cache && !r.offline && !r.tokenizer_images);
        assert_eq!(r.proxy_credentials, Some(ProxyCredentials::Include));
    }

    #[test]
    fn an_unknown_env_key_is_named() {
        let e = read::<EnvSettings<Json>, _>("env", json!({"proxy_all": true}))
            .err()
            .unwrap();
        assert_eq!(e.code, ErrorCode::InvalidOption);
        assert!(
            e.message
                .starts_with("env: unknown option `proxy_all`; the options are endpoint, proxy, proxyAll,"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_call_setting_wins_over_env_and_env_over_the_process() {
        let settings = env(json!({"endpoint": "http://env.test", "proxyAll": true}));
        let process = Environment {
            hf_endpoint: Some("http://var.test".into()),
            hf_hub_offline: Some("1".into()),
            ..Environment::default()
        };
        let call = CallSettings {
            endpoint: Some("http://call.test"),
            proxy_all: Some(false),
            ..CallSettings::default()
        };
        let r = settings.resolve(call, &process).unwrap();
        assert_eq!(r.endpoint.prefix_url(), "http://call.test/");
        assert!(!r.proxy_all && r.offline, "HF_HUB_OFFLINE=1 is offline");
        let r = env(json!({})).resolve(CallSettings::default(), &process).unwrap();
        assert_eq!(r.endpoint.prefix_url(), "http://var.test/");
        assert!(r.browser_cache && r.tokenizer_images);
    }

    #[test]
    fn load_options_are_transformers_js_spellings_only() {
        let o: LoadOptions<Json> = read(
            "AutoTokenizer.from_pretrained",
            json!({"revision": "v1", "token": false, "progress_callback": 1, "cache_dir": "/c", "local_files_only": true, "signal": {}}),
        )
        .unwrap();
        assert_eq!(
            (o.revision.as_deref(), o.cache_dir.as_deref(), o.local_files_only),
            (Some("v1"), Some("/c"), Some(true))
        );
        assert_eq!(o.token, Some(TokenOption::Disabled));
        let e = read::<LoadOptions<Json>, _>("AutoTokenizer.from_pretrained", json!({"cacheDir": "/c"}))
            .err()
            .unwrap();
        assert!(e.message.contains("unknown option `cacheDir`"), "{}", e.message);
    }

    #[test]
    fn a_bad_proxy_credentials_mode_is_refused() {
        let e = env(json!({"proxyCredentials": "sometimes"}))
            .resolve(CallSettings::default(), &Environment::default())
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidOption);
    }
}
