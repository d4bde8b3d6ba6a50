//! `createHubFetch(options)` / `configureTransformers(env, options)`: the
//! per-instance options, read by `core::options::read` like every options
//! object (an unknown key such as `cacheDirectory` is INVALID_OPTION naming
//! it). Transformers.js' and huggingface_hub's spellings of the cache
//! settings are both accepted (`cache_dir`/`cacheDir`,
//! `local_files_only`/`localFilesOnly`); `proxyAll` is `env`'s.

use std::fmt;

use serde::de::{self, Deserializer, Unexpected, Visitor};
use serde::Deserialize;

use crate::core::options::settings::CallSettings;
use crate::core::options::JsValues;
use crate::core::token::TokenOption;

pub const WHAT: &str = "createHubFetch";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct FetchOptions<J: JsValues> {
    /// A token (Node), or `false` for none even if HF_TOKEN is set.
    #[serde(default, deserialize_with = "token_or_false")]
    pub token: Option<TokenOption>,
    /// Instead of `env.endpoint` / HF_ENDPOINT.
    pub endpoint: Option<String>,
    /// Instead of `env.proxy`.
    pub proxy: Option<String>,
    /// Instead of `env.proxyAll`.
    #[serde(rename = "proxyAll")]
    pub proxy_all: Option<bool>,
    #[serde(alias = "cacheDir")]
    pub cache_dir: Option<String>,
    #[serde(alias = "localFilesOnly")]
    pub local_files_only: Option<bool>,
    /// Download progress of the files hubguard fetches (Transformers.js'
    /// event shape).
    pub progress_callback: Option<J::Function>,
}

impl<J: JsValues> FetchOptions<J> {
    /// What these options set over `env`.
    pub fn call_settings(&self) -> CallSettings<'_> {
        CallSettings {
            endpoint: self.endpoint.as_deref(),
            proxy: self.proxy.as_deref(),
            proxy_all: self.proxy_all,
            local_files_only: self.local_files_only.unwrap_or(false),
        }
    }
}

/// `token`: a string, or `false`.
fn token_or_false<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TokenOption>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<TokenOption>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or false")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            match v {
                false => Ok(Some(TokenOption::Disabled)),
                true => Err(E::invalid_value(Unexpected::Bool(true), &self)),
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(TokenOption::Value(v.to_owned())))
        }
    }
    d.deserialize_option(V)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::error::{ErrorCode, HubError};
    use crate::core::options::{read, Json};

    fn parse(value: serde_json::Value) -> Result<FetchOptions<Json>, HubError> {
        read(WHAT, value)
    }

    #[test]
    fn known_keys_and_aliases() {
        let o = parse(json!({"token": false, "cacheDir": "/c", "localFilesOnly": true, "proxyAll": true})).unwrap();
        assert_eq!(o.token, Some(TokenOption::Disabled));
        assert_eq!(o.cache_dir.as_deref(), Some("/c"));
        assert_eq!((o.local_files_only, o.proxy_all), (Some(true), Some(true)));
        let o = parse(json!({"token": "hf_abc", "endpoint": null})).unwrap();
        assert!(matches!(o.token, Some(TokenOption::Value(_))));
        assert_eq!(o.endpoint, None);
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = parse(json!({"cacheDirectory": "/c"})).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidOption);
        assert!(
            err.message.contains("unknown option `cacheDirectory`"),
            "{}",
            err.message
        );
        assert!(
            err.message
                .contains("the options are token, endpoint, proxy, proxyAll, cacheDir, cache_dir,"),
            "{}",
            err.message
        );
    }

    #[test]
    fn wrong_types_are_refused_without_quoting_a_token() {
        let err = parse(json!({"token": true})).err().unwrap();
        assert_eq!(err.message, "createHubFetch: `token` must be a string or false.");
        let err = parse(json!({"endpoint": 5})).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidOption);
        let err = parse(json!({"proxyAll": "hf_abcdefghijklmnopqrstu"})).err().unwrap();
        assert!(!err.message.contains("hf_abcdefghij"), "{}", err.message);
    }

    #[test]
    fn the_options_override_env() {
        let o =
            parse(json!({"endpoint": "http://e", "proxy": "/p", "proxyAll": false, "local_files_only": true})).unwrap();
        let s = o.call_settings();
        assert_eq!(
            (s.endpoint, s.proxy, s.proxy_all, s.local_files_only),
            (Some("http://e"), Some("/p"), Some(false), true)
        );
    }
}
