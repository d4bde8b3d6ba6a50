//! What the app's `authorize(request, target)` decides, whatever it returns.
//!
//! - `false`: 403;
//! - a `Response`: sent as it is (how an app answers 401 in its own words);
//! - a non-empty string: allowed, and the string is the client's identity
//!   (it keys the rate limit and appears in the access log);
//! - `true`: allowed, with the client's address as its identity;
//! - anything else, or a throw: 500 with a generic message, and the reason
//!   goes to the access log, without the request's header values.

use super::rejection::Rejection;
use crate::core::redact::scrub;
use crate::core::repo::truncate_for_message;

/// What `authorize` returned, as the bindings see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthValue {
    Bool(bool),
    Text(String),
    Response,
    /// Any other value; the text names its kind ("undefined", "a number").
    Other(String),
    /// It threw (or its promise rejected) with this message.
    Threw(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthOutcome {
    Allow {
        identity: String,
    },
    Deny(Rejection),
    /// Send the app's own Response.
    Respond,
    /// A 500 to the client; `log` (scrubbed) to the access log.
    Fail {
        log: String,
    },
}

/// The answer a failed `authorize` gets: nothing about why.
pub const AUTHORIZE_FAILED: &str =
    "The proxy could not check this request; its operator can see why in the access log.";

/// `secrets`: the request's header values, kept out of what is logged.
pub fn authorization(value: AuthValue, client_address: &str, secrets: &[&str]) -> AuthOutcome {
    match value {
        AuthValue::Bool(true) => AuthOutcome::Allow {
            identity: client_address.to_owned(),
        },
        AuthValue::Bool(false) => AuthOutcome::Deny(Rejection::new(403, "This client may not use this proxy.")),
        AuthValue::Text(identity) if !identity.is_empty() => AuthOutcome::Allow { identity },
        AuthValue::Text(_) => fail("authorize returned an empty string", secrets),
        AuthValue::Response => AuthOutcome::Respond,
        AuthValue::Other(kind) => fail(
            &format!("authorize returned {kind}; return true, false, a non-empty string (the identity) or a Response"),
            secrets,
        ),
        AuthValue::Threw(message) => fail(&format!("authorize threw: {message}"), secrets),
    }
}

fn fail(text: &str, secrets: &[&str]) -> AuthOutcome {
    AuthOutcome::Fail {
        log: without_secrets(text, secrets),
    }
}

/// `text` with every value in `secrets` (8 characters or more: shorter ones
/// would blank out ordinary words) cut out, then scrubbed as any foreign
/// text is (token shapes, URL queries, control characters).
pub fn without_secrets(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().map(|s| s.trim()).filter(|s| s.len() >= 8) {
        out = out.replace(secret, "<redacted>");
        // `Bearer xyz` quoted as `xyz` alone.
        if let Some((_, credential)) = secret.split_once(' ').filter(|(_, c)| c.len() >= 8) {
            out = out.replace(credential, "<redacted>");
        }
    }
    scrub(&out, None)
}

/// An identity as the access log shows it.
pub fn shown_identity(identity: &str) -> String {
    truncate_for_message(&scrub(identity, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(value: AuthValue) -> AuthOutcome {
        authorization(
            value,
            "127.0.0.1",
            &["Bearer app-session-secret-1234", "sid=cookie-value-5678"],
        )
    }

    #[test]
    fn each_result_means_what_the_readme_says() {
        assert_eq!(
            decide(AuthValue::Bool(true)),
            AuthOutcome::Allow {
                identity: "127.0.0.1".into()
            }
        );
        assert_eq!(
            decide(AuthValue::Text("user-42".into())),
            AuthOutcome::Allow {
                identity: "user-42".into()
            }
        );
        assert!(matches!(decide(AuthValue::Bool(false)), AuthOutcome::Deny(r) if r.status == 403));
        assert_eq!(decide(AuthValue::Response), AuthOutcome::Respond);
        for odd in [AuthValue::Text(String::new()), AuthValue::Other("undefined".into())] {
            assert!(matches!(decide(odd), AuthOutcome::Fail { .. }));
        }
    }

    #[test]
    fn a_throw_is_logged_without_the_request_headers() {
        let AuthOutcome::Fail { log } = decide(AuthValue::Threw(
            "bad session app-session-secret-1234 from sid=cookie-value-5678 and hf_abcdefghijklmnop".into(),
        )) else {
            panic!()
        };
        assert!(log.starts_with("authorize threw: bad session"), "{log}");
        for secret in ["app-session-secret-1234", "cookie-value-5678", "hf_abcdefghijklmnop"] {
            assert!(!log.contains(secret), "{log}");
        }
    }
}
