//! Parsing a proxy request target into a validated repo file reference.
//!
//! Only `/{repo}/resolve/{revision}/{path}` and
//! `/datasets/{repo}/resolve/{revision}/{path}` exist. The path is decoded
//! exactly once, segment by segment; anything that could mean something
//! else after a second decoding, or to another parser, is refused.

use super::Rejection;
use crate::core::repo::{RepoId, RepoPath, RepoType, Revision};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyTarget {
    pub repo_type: RepoType,
    pub repo: RepoId,
    pub revision: Revision,
    pub path: RepoPath,
}

fn bad(message: &str) -> Rejection {
    Rejection::new(400, message)
}

pub fn parse_target(raw: &str, base_path: &str) -> Result<ProxyTarget, Rejection> {
    // Origin-form only: no absolute URLs, no `//host`, no backslashes.
    if !raw.starts_with('/') || raw.starts_with("//") {
        return Err(bad("Only paths are accepted, not absolute URLs."));
    }
    if raw.contains('\\') {
        return Err(bad("Backslashes are not allowed."));
    }
    if raw.contains('?') || raw.contains('#') {
        return Err(bad("Query strings are not accepted."));
    }
    let base = base_path.trim_end_matches('/');
    let rest = raw
        .strip_prefix(base)
        .filter(|r| r.starts_with('/'))
        .ok_or_else(|| Rejection::new(404, "Not a proxy path."))?;
    let segments = rest[1..]
        .split('/')
        .map(decode_segment)
        .collect::<Result<Vec<_>, _>>()?;
    let (repo_type, segments) = match segments.first().map(String::as_str) {
        Some("api") => {
            return Err(Rejection::new(
                403,
                "The Hub API is not proxied; only file downloads are.",
            ))
        }
        Some("datasets") => (RepoType::Dataset, &segments[1..]),
        Some("spaces") => return Err(Rejection::new(403, "Spaces are not proxied.")),
        _ => (RepoType::Model, &segments[..]),
    };
    let resolve_at = segments
        .iter()
        .take(3)
        .position(|s| s == "resolve")
        .filter(|&i| i == 1 || i == 2)
        .ok_or_else(|| Rejection::new(404, "Only /{repo}/resolve/{revision}/{file} is served."))?;
    let repo = RepoId::parse(&segments[..resolve_at].join("/")).map_err(|e| bad(&e.message))?;
    let revision = segments
        .get(resolve_at + 1)
        .ok_or_else(|| Rejection::new(404, "Missing revision."))?;
    let revision = Revision::parse(revision).map_err(|e| bad(&e.message))?;
    let file = segments
        .get(resolve_at + 2..)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Rejection::new(404, "Missing file path."))?;
    let path = RepoPath::parse(&file.join("/")).map_err(|e| bad(&e.message))?;
    Ok(ProxyTarget {
        repo_type,
        repo,
        revision,
        path,
    })
}

/// Percent-decode one segment, once. Refused: encoded `/` or `\`, anything
/// still containing `%` afterwards (double encoding), bad escapes, invalid
/// UTF-8, control characters, and empty, `.` or `..` segments.
fn decode_segment(segment: &str) -> Result<String, Rejection> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = segment
                .get(i + 1..i + 3)
                .ok_or_else(|| bad("Malformed percent-encoding."))?;
            let byte = u8::from_str_radix(hex, 16).map_err(|_| bad("Malformed percent-encoding."))?;
            if matches!(byte, b'/' | b'\\' | b'%') {
                return Err(bad("Encoded '/', '\\' or '%' is not allowed."));
            }
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).map_err(|_| bad("The path is not valid UTF-8."))?;
    if text.is_empty() || text == "." || text == ".." {
        return Err(bad("Empty, '.' and '..' path segments are not allowed."));
    }
    if text.chars().any(|c| c.is_control() || c == '\\') {
        return Err(bad("Control characters are not allowed."));
    }
    Ok(text)
}
