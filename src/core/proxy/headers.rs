//! Which headers cross the proxy, in each direction; what every value that
//! goes back is scrubbed of; the headers that keep a file from running as
//! the app; and the CORS answer.

use super::rejection::Rejection;
use crate::core::redact::{redact_secrets, scrub};

/// Inbound: only what a file download needs. Cookie, Authorization and
/// X-Forwarded-* are never in this list, so they never go upstream.
const INBOUND: &[&str] = &["range", "if-none-match", "if-range"];

/// Outbound: what the browser build reads. Never Set-Cookie.
const OUTBOUND: &[&str] = &[
    "content-type",
    "content-length",
    "content-range",
    "accept-ranges",
    "etag",
    "x-repo-commit",
    "x-linked-etag",
    "x-linked-size",
    "x-error-code",
    "x-error-message",
    "retry-after",
];

/// Longer values are dropped: no header the proxy passes needs more, and a
/// long one is either a mistake or a payload.
const MAX_VALUE_LEN: usize = 1024;

/// Headers a cross-origin page may read from the proxy's answer.
pub const EXPOSED_HEADERS: &str = "Content-Length, Content-Range, Accept-Ranges, ETag, X-Repo-Commit, X-Linked-Etag, \
                                   X-Linked-Size, X-Error-Code, X-Error-Message, Retry-After";

pub fn filter_inbound(headers: &[(String, String)]) -> Result<Vec<(String, String)>, Rejection> {
    let mut kept = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        if !INBOUND.contains(&name.as_str()) {
            continue;
        }
        if name == "range" && !is_single_byte_range(value) {
            return Err(Rejection::new(416, "Only a single `bytes=` range is accepted."));
        }
        kept.push((name, value.clone()));
    }
    Ok(kept)
}

fn is_single_byte_range(value: &str) -> bool {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return false;
    };
    let Some((start, end)) = spec.split_once('-') else {
        return false;
    };
    let digits = |s: &str| s.len() <= 19 && s.bytes().all(|b| b.is_ascii_digit());
    !(start.is_empty() && end.is_empty()) && digits(start) && digits(end)
}

/// Upstream answer headers the client may see, each value scrubbed as an
/// error message is: the proxy's own token (`secret`), anything shaped like
/// a token, and URL queries go; so do control characters. A value that is
/// too long is dropped.
pub fn filter_outbound(headers: &[(String, String)], secret: Option<&str>) -> Vec<(String, String)> {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            if !OUTBOUND.contains(&name.as_str()) {
                return None;
            }
            let value = if name == "x-error-message" {
                header_text(&scrub(&without(value, secret), None))
            } else {
                header_value(value, secret)?
            };
            Some((name, value))
        })
        .collect()
}

/// One passed-through value, scrubbed; `None` if it cannot be kept.
pub fn header_value(value: &str, secret: Option<&str>) -> Option<String> {
    if value.len() > MAX_VALUE_LEN {
        return None;
    }
    Some(header_text(&redact_secrets(&without(value, secret))))
}

/// `text` without `secret` (the token the proxy holds).
fn without(text: &str, secret: Option<&str>) -> String {
    match secret.filter(|s| !s.is_empty()) {
        Some(secret) => text.replace(secret, "<redacted token>"),
        None => text.to_owned(),
    }
}

/// Text fit for a header value: visible ASCII and spaces only (a runtime
/// refuses anything else, and a line break would end the header).
pub fn header_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c,
            c if c.is_control() => ' ',
            _ => '?',
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Headers on every answer: the browser must not guess a type (nosniff),
/// and a document from the proxy runs in a sandbox with no origin (CSP),
/// so an HTML or SVG file in a repo cannot act as the app that serves the
/// proxy on its own origin. Types a browser would render inline (HTML,
/// XML, SVG, and a missing type) are also sent as downloads.
pub fn safety_headers(content_type: Option<&str>) -> Vec<(String, String)> {
    let mut out = vec![
        ("x-content-type-options".to_owned(), "nosniff".to_owned()),
        ("content-security-policy".to_owned(), "sandbox".to_owned()),
    ];
    if is_renderable(content_type) {
        out.push(("content-disposition".to_owned(), "attachment".to_owned()));
    }
    out
}

/// Whether a browser would show this type as a document (and run what it holds).
pub fn is_renderable(content_type: Option<&str>) -> bool {
    let essence = content_type
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if essence.is_empty() || !essence.contains('/') {
        return true;
    }
    matches!(
        essence.as_str(),
        "text/html" | "text/xml" | "text/xsl" | "application/xml" | "multipart/x-mixed-replace"
    ) || essence.ends_with("+xml")
}

/// The CORS side of the policy: exact origins, and what a page of theirs
/// may send for the app's `authorize` (its own headers, its cookies).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cors {
    /// Exact origins (`scheme://host[:port]`) allowed to read answers.
    pub origins: Vec<String>,
    /// Extra request header names (lower case) a page may send, such as
    /// `authorization` for an app's own session token. Never forwarded.
    pub allow_headers: Vec<String>,
    /// `Access-Control-Allow-Credentials: true`, for an app whose
    /// `authorize` reads its cookies from a page on another origin.
    pub credentials: bool,
}

impl Cors {
    pub fn origin_allowed(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// Whether a preflight may ask for this request header.
    pub fn header_allowed(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        INBOUND.contains(&name.as_str()) || self.allow_headers.contains(&name)
    }

    /// CORS for an allowed origin: that exact origin, `Vary: Origin`, and
    /// credentials only when the app asked for them. No Origin header
    /// (same-origin, server-side) gets only Vary.
    pub fn headers(&self, origin: Option<&str>, preflight: bool) -> Vec<(String, String)> {
        let mut out = vec![("vary".to_owned(), "Origin".to_owned())];
        let Some(origin) = origin.filter(|o| self.origin_allowed(o)) else {
            return out;
        };
        out.push(("access-control-allow-origin".into(), origin.to_owned()));
        out.push(("access-control-expose-headers".into(), EXPOSED_HEADERS.into()));
        if self.credentials {
            out.push(("access-control-allow-credentials".into(), "true".into()));
        }
        if preflight {
            let mut allowed = vec!["Range".to_owned(), "If-None-Match".to_owned(), "If-Range".to_owned()];
            allowed.extend(self.allow_headers.iter().cloned());
            out.push(("access-control-allow-methods".into(), "GET, HEAD".into()));
            out.push(("access-control-allow-headers".into(), allowed.join(", ")));
            out.push(("access-control-max-age".into(), "600".into()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_passed_value_is_scrubbed_of_tokens_and_queries() {
        let secret = "server_secret_value";
        let upstream = h(&[
            ("ETag", "\"hf_abcdefghijklmnopqrstu\""),
            ("X-Linked-Etag", "\"server_secret_value\""),
            ("Content-Range", "bytes 0-1/2 https://cdn.example/x?X-Amz-Signature=s"),
            (
                "x-error-message",
                "bad token server_secret_value\r\nX-Injected: 1 and hf_abcdefghijklmnopqrstu …",
            ),
            ("x-repo-commit", &"a".repeat(2000)),
        ]);
        let out = filter_outbound(&upstream, Some(secret));
        let text = format!("{out:?}");
        for leaked in ["hf_abcdefghij", secret, "Signature", "\r", "\n", "…"] {
            assert!(!text.contains(leaked), "{leaked} in {text}");
        }
        assert!(
            !out.iter().any(|(k, _)| k == "x-repo-commit"),
            "an oversized value is dropped"
        );
        assert!(out.contains(&("etag".into(), "\"<redacted token>\"".into())));
    }

    #[test]
    fn cookies_and_locations_never_pass() {
        let out = filter_outbound(
            &h(&[("set-cookie", "a=b"), ("location", "https://x"), ("etag", "\"e\"")]),
            None,
        );
        assert_eq!(out, h(&[("etag", "\"e\"")]));
    }

    #[test]
    fn documents_are_downloads_and_everything_is_sandboxed() {
        for t in [
            Some("text/html; charset=utf-8"),
            Some("image/svg+xml"),
            Some("application/xhtml+xml"),
            Some("TEXT/XML"),
            Some("application/xml"),
            Some(""),
            Some("nonsense"),
            None,
        ] {
            assert!(is_renderable(t), "{t:?}");
            assert!(safety_headers(t).contains(&("content-disposition".into(), "attachment".into())));
        }
        for t in [
            "application/json",
            "application/octet-stream",
            "text/plain; charset=utf-8",
        ] {
            assert!(!is_renderable(Some(t)), "{t}");
            let headers = safety_headers(Some(t));
            assert!(headers.contains(&("x-content-type-options".into(), "nosniff".into())));
            assert!(headers.contains(&("content-security-policy".into(), "sandbox".into())));
        }
    }

    #[test]
    fn cors_names_the_exact_origin_and_credentials_only_when_asked() {
        let mut cors = Cors {
            origins: vec!["http://localhost:5173".into()],
            ..Cors::default()
        };
        let c = cors.headers(Some("http://localhost:5173"), true);
        assert!(c.contains(&("access-control-allow-origin".into(), "http://localhost:5173".into())));
        assert!(c.contains(&("vary".into(), "Origin".into())));
        assert!(!c.iter().any(|(k, v)| k.contains("credentials") || v == "*"));
        assert_eq!(
            cors.headers(Some("http://evil"), false),
            vec![("vary".to_owned(), "Origin".to_owned())]
        );
        cors.credentials = true;
        cors.allow_headers = vec!["authorization".into()];
        let c = cors.headers(Some("http://localhost:5173"), true);
        assert!(c.contains(&("access-control-allow-credentials".into(), "true".into())));
        assert!(c.contains(&(
            "access-control-allow-headers".into(),
            "Range, If-None-Match, If-Range, authorization".into()
        )));
        assert!(cors.header_allowed("Authorization") && !cors.header_allowed("cookie"));
    }
}
