//! `createHubFetch(options)` / `configureTransformers(env, options)`: the
//! per-instance options, as a serde struct. An unknown key is refused with
//! INVALID_OPTION naming it (a typo such as `cacheDirectory` must not be
//! silently ignored). `F` is the type a JS callback arrives as (a JS value
//! in the wasm build; anything in host tests).

use serde::Deserialize;

use crate::core::error::{ErrorCode, HubError};
use crate::core::token::TokenOption;

// Missing keys are `None` (serde's rule for Option fields).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FetchOptions<F> {
    /// A token (Node), or `false` for none even if HF_TOKEN is set.
    pub token: Option<TokenValue>,
    /// Instead of `env.endpoint` / HF_ENDPOINT.
    pub endpoint: Option<String>,
    /// Instead of `env.proxy`.
    pub proxy: Option<String>,
    #[serde(rename = "proxyAll")]
    pub proxy_all: Option<bool>,
    #[serde(alias = "cacheDir")]
    pub cache_dir: Option<String>,
    #[serde(alias = "localFilesOnly")]
    pub local_files_only: Option<bool>,
    /// Download progress of the files hubguard fetches (Transformers.js'
    /// event shape).
    pub progress_callback: Option<F>,
}

/// Every key the struct reads, aliases included. serde-wasm-bindgen reads
/// only a struct's own fields from a JS object, so `deny_unknown_fields`
/// never sees the others there: the binding checks the object's keys
/// against this list (a host test keeps it equal to the struct's).
pub const KEYS: &[&str] = &[
    "token",
    "endpoint",
    "proxy",
    "proxyAll",
    "cache_dir",
    "cacheDir",
    "local_files_only",
    "localFilesOnly",
    "progress_callback",
];

/// INVALID_OPTION naming the first key that is not an option.
pub fn check_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<(), HubError> {
    match keys.into_iter().find(|k| !KEYS.contains(k)) {
        None => Ok(()),
        Some(unknown) => Err(options_error(&format!(
            "unknown option `{}`",
            crate::core::repo::truncate_for_message(unknown)
        ))),
    }
}

impl<F> Default for FetchOptions<F> {
    fn default() -> Self {
        FetchOptions {
            token: None,
            endpoint: None,
            proxy: None,
            proxy_all: None,
            cache_dir: None,
            local_files_only: None,
            progress_callback: None,
        }
    }
}

/// `token`: a string, or `false`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum TokenValue {
    Value(String),
    Flag(bool),
}

impl<F> FetchOptions<F> {
    pub fn token_option(&self) -> Result<TokenOption, HubError> {
        match &self.token {
            None => Ok(TokenOption::Unset),
            Some(TokenValue::Flag(false)) => Ok(TokenOption::Disabled),
            Some(TokenValue::Value(token)) => Ok(TokenOption::Value(token.clone())),
            Some(TokenValue::Flag(true)) => Err(options_error("`token` must be a string or false")),
        }
    }
}

/// A serde error about the options object, as the caller should see it:
/// serde names the offending key (`unknown field `cacheDirectory``).
pub fn options_error(detail: &str) -> HubError {
    // serde quotes a value it could not read; a token may be that value.
    let detail = crate::core::redact::redact_secrets(detail.trim_start_matches("Error: "));
    HubError::new(
        ErrorCode::InvalidOption,
        format!(
            "createHubFetch: {detail}. The options are token, endpoint, proxy, proxyAll, cache_dir, \
             local_files_only and progress_callback."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<FetchOptions<serde_json::Value>, HubError> {
        serde_json::from_str(json).map_err(|e| options_error(&e.to_string()))
    }

    #[test]
    fn known_keys_and_aliases() {
        let o = parse(r#"{"token": false, "cacheDir": "/c", "localFilesOnly": true, "proxyAll": true}"#).unwrap();
        assert!(matches!(o.token_option().unwrap(), TokenOption::Disabled));
        assert_eq!(o.cache_dir.as_deref(), Some("/c"));
        assert_eq!((o.local_files_only, o.proxy_all), (Some(true), Some(true)));
        let o = parse(r#"{"token": "hf_abc", "endpoint": null}"#).unwrap();
        assert!(matches!(o.token_option().unwrap(), TokenOption::Value(_)));
        assert_eq!(o.endpoint, None);
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = parse(r#"{"cacheDirectory": "/c"}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidOption);
        assert!(err.message.contains("cacheDirectory"), "{}", err.message);
    }

    #[test]
    fn the_key_list_is_the_structs() {
        for key in KEYS {
            let json = format!("{{{key:?}: null}}");
            assert!(parse(&json).is_ok(), "{key} is in KEYS but not read by the struct");
            check_keys([*key]).unwrap();
        }
        for unknown in ["cacheDirectory", "Token", "revision"] {
            assert!(parse(&format!("{{{unknown:?}: null}}")).is_err());
            let err = check_keys(["token", unknown]).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidOption);
            assert!(err.message.contains(&format!("`{unknown}`")), "{}", err.message);
        }
    }

    #[test]
    fn wrong_types_are_refused_without_quoting_a_token() {
        let err = parse(r#"{"token": true}"#).unwrap().token_option().unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidOption);
        let err = parse(r#"{"endpoint": 5}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidOption);
        let err = parse(r#"{"proxy": "hf_abcdefghijklmnopqrstu", "oops": 1}"#).unwrap_err();
        assert!(!err.message.contains("hf_abcdefghij"), "{}", err.message);
    }
}
