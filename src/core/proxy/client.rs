//! What the browser build may send to the app's proxy besides the request:
//! the app's own credentials (`env.proxyHeaders`, `env.proxyCredentials`),
//! so the proxy's `authorize` can check the app's users. Never a Hugging
//! Face token: a value shaped like one is refused (the same rule the
//! redaction uses), since whatever a page sends, its visitors can read.

use crate::core::error::{ErrorCode, HubError};
use crate::core::redact::contains_token_shape;
use crate::core::repo::truncate_for_message;

/// `env.proxyCredentials`: the Fetch API's credentials mode for requests
/// to the proxy (`include` sends cookies to a same-site proxy on another
/// origin).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyCredentials {
    Omit,
    SameOrigin,
    Include,
}

impl ProxyCredentials {
    pub fn parse(value: &str) -> Result<Self, HubError> {
        match value {
            "omit" => Ok(ProxyCredentials::Omit),
            "same-origin" => Ok(ProxyCredentials::SameOrigin),
            "include" => Ok(ProxyCredentials::Include),
            other => Err(HubError::new(
                ErrorCode::InvalidOption,
                format!(
                    "env.proxyCredentials must be 'omit', 'same-origin' or 'include', not {:?}.",
                    truncate_for_message(other)
                ),
            )),
        }
    }
}

/// `env.proxyHeaders` as given (name, value), checked: names are HTTP
/// tokens, values fit in a header, and nothing looks like a Hugging Face
/// token (TOKEN_REFUSED, without quoting it).
pub fn proxy_headers(given: Vec<(String, String)>) -> Result<Vec<(String, String)>, HubError> {
    let invalid = |message: String| HubError::new(ErrorCode::InvalidOption, message);
    given
        .into_iter()
        .map(|(name, value)| {
            let is_token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
            if name.is_empty() || !name.bytes().all(is_token_char) {
                return Err(invalid(format!(
                    "env.proxyHeaders: {:?} is not a header name.",
                    truncate_for_message(&name)
                )));
            }
            if contains_token_shape(&value) || contains_token_shape(&name) {
                return Err(HubError::new(
                    ErrorCode::TokenRefused,
                    format!(
                        "env.proxyHeaders: the {name} header holds what looks like a Hugging Face token. A page \
                         must never send one: its visitors can read it. Send the app's own credentials (a session \
                         token or cookie) and let the proxy, which holds the Hugging Face token, check them in \
                         `authorize`."
                    ),
                ));
            }
            if value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(invalid(format!(
                    "env.proxyHeaders: the {name} header's value has a line break or control character."
                )));
            }
            Ok((name.to_ascii_lowercase(), value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_apps_own_credentials_pass() {
        let ok = proxy_headers(pairs(&[("Authorization", "Bearer app-session-1"), ("X-App", "v")])).unwrap();
        assert_eq!(ok, pairs(&[("authorization", "Bearer app-session-1"), ("x-app", "v")]));
        assert_eq!(ProxyCredentials::parse("include").unwrap(), ProxyCredentials::Include);
        assert_eq!(
            ProxyCredentials::parse("yes").unwrap_err().code,
            ErrorCode::InvalidOption
        );
    }

    #[test]
    fn a_hugging_face_token_is_refused_without_being_quoted() {
        for (name, value) in [
            ("Authorization", "Bearer hf_abcdefghijklmnopqrstuvwxyz"),
            ("X-Token", "hf_abcdefghijklmnop"),
        ] {
            let err = proxy_headers(pairs(&[(name, value)])).unwrap_err();
            assert_eq!(err.code, ErrorCode::TokenRefused);
            assert!(!err.message.contains("hf_abc"), "{}", err.message);
        }
        assert_eq!(
            proxy_headers(pairs(&[("a b", "x")])).unwrap_err().code,
            ErrorCode::InvalidOption
        );
        assert_eq!(
            proxy_headers(pairs(&[("x", "a\r\nb")])).unwrap_err().code,
            ErrorCode::InvalidOption
        );
    }
}
