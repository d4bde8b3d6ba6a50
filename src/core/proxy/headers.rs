//! Which headers cross the proxy, in each direction, and its CORS answer.

use super::Rejection;
use crate::core::redact::scrub;

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
];

/// Headers a cross-origin page may read from the proxy's answer.
pub const EXPOSED_HEADERS: &str =
    "Content-Length, Content-Range, Accept-Ranges, ETag, X-Repo-Commit, X-Linked-Etag, X-Linked-Size, X-Error-Code, X-Error-Message";

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

/// Upstream answer headers the client may see; error text is scrubbed.
pub fn filter_outbound(headers: &[(String, String)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| OUTBOUND.contains(&name.to_ascii_lowercase().as_str()))
        .map(|(name, value)| {
            let name = name.to_ascii_lowercase();
            let value = if name == "x-error-message" {
                scrub(value, None)
            } else {
                value.clone()
            };
            (name, value)
        })
        .collect()
}

/// CORS for an allowed origin: that exact origin, `Vary: Origin`, and never
/// credentials. No Origin header (same-origin, server-side) gets only Vary.
pub fn cors_headers(origin: Option<&str>, allowed: bool, preflight: bool) -> Vec<(String, String)> {
    let mut out = vec![("vary".to_owned(), "Origin".to_owned())];
    if let (Some(origin), true) = (origin, allowed) {
        out.push(("access-control-allow-origin".into(), origin.to_owned()));
        out.push(("access-control-expose-headers".into(), EXPOSED_HEADERS.into()));
        if preflight {
            out.push(("access-control-allow-methods".into(), "GET, HEAD".into()));
            out.push((
                "access-control-allow-headers".into(),
                "Range, If-None-Match, If-Range".into(),
            ));
            out.push(("access-control-max-age".into(), "600".into()));
        }
    }
    out
}
