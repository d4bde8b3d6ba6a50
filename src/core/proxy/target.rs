//! Parsing a proxy request target into a validated repo file reference.
//!
//! Only `/{repo}/resolve/{revision}/{path}` and
//! `/datasets/{repo}/resolve/{revision}/{path}` exist. The path is decoded
//! exactly once, segment by segment; anything that could mean something
//! else after a second decoding, or to another parser, is refused. The one
//! revision that may hold a `/` is a `refs/...` name (`refs/pr/1`), either
//! encoded as one segment (`refs%2Fpr%2F1`, as the Hub's clients send it)
//! or written out as `refs/pr/{N}`.
//!
//! The same parser reads the Hub's own redirect targets (`hub_path_target`),
//! so the allow list can be checked again at every hop.

use super::rejection::Rejection;
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
    let raw_segments: Vec<&str> = rest[1..].split('/').collect();
    let (repo_type, raw_segments) = match raw_segments.first().copied() {
        Some("api") => {
            return Err(Rejection::new(
                403,
                "The Hub API is not proxied; only file downloads are.",
            ))
        }
        Some("datasets") => (RepoType::Dataset, &raw_segments[1..]),
        Some("spaces") => return Err(Rejection::new(403, "Spaces are not proxied.")),
        _ => (RepoType::Model, &raw_segments[..]),
    };
    let resolve_at = raw_segments
        .iter()
        .take(3)
        .position(|s| *s == "resolve")
        .filter(|&i| i == 1 || i == 2)
        .ok_or_else(|| Rejection::new(404, "Only /{repo}/resolve/{revision}/{file} is served."))?;
    let repo = decoded_join(&raw_segments[..resolve_at])?;
    let repo = RepoId::parse(&repo).map_err(|e| bad(&e.message))?;
    let (revision, file_at) = revision_at(raw_segments, resolve_at + 1)?;
    file_target(repo_type, repo, revision, raw_segments.get(file_at..))
}

/// The revision starting at `raw[at]`, and where the file path starts.
fn revision_at(raw: &[&str], at: usize) -> Result<(Revision, usize), Rejection> {
    let first = *raw.get(at).ok_or_else(|| Rejection::new(404, "Missing revision."))?;
    // `refs/pr/{N}` written out: three segments, the last all digits.
    if first == "refs" && raw.get(at + 1) == Some(&"pr") && raw.get(at + 2).is_some_and(|n| is_number(n)) {
        let text = format!("refs/pr/{}", raw[at + 2]);
        return Ok((Revision::parse(&text).map_err(|e| bad(&e.message))?, at + 3));
    }
    let text = match decode_segment(first) {
        Ok(text) => text,
        // An encoded `/` is accepted in a `refs/...` revision only.
        Err(_) if first.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("refs%2F")) => decode_refs(first)?,
        Err(e) => return Err(e),
    };
    Ok((Revision::parse(&text).map_err(|e| bad(&e.message))?, at + 1))
}

/// `refs%2Fpr%2F1` → `refs/pr/1`: each `/`-free part decoded once, as a
/// segment would be.
fn decode_refs(raw: &str) -> Result<String, Rejection> {
    let parts = split_encoded_slashes(raw)
        .iter()
        .map(|part| decode_segment(part))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(parts.join("/"))
}

fn split_encoded_slashes(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < raw.len() {
        if raw.as_bytes()[i] == b'%' && raw.get(i + 1..i + 3).is_some_and(|h| h.eq_ignore_ascii_case("2f")) {
            parts.push(&raw[start..i]);
            i += 3;
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(&raw[start..]);
    parts
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.len() <= 9 && text.bytes().all(|b| b.is_ascii_digit())
}

fn decoded_join(raw: &[&str]) -> Result<String, Rejection> {
    Ok(raw
        .iter()
        .map(|s| decode_segment(s))
        .collect::<Result<Vec<_>, _>>()?
        .join("/"))
}

fn file_target(
    repo_type: RepoType,
    repo: RepoId,
    revision: Revision,
    file: Option<&[&str]>,
) -> Result<ProxyTarget, Rejection> {
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Rejection::new(404, "Missing file path."))?;
    let path = RepoPath::parse(&decoded_join(file)?).map_err(|e| bad(&e.message))?;
    Ok(ProxyTarget {
        repo_type,
        repo,
        revision,
        path,
    })
}

/// The repo file a Hub URL path names, for a redirect the Hub sent back to
/// its own origin: `/{repo}/resolve/{rev}/{path}` (a renamed repo) or
/// `/api/resolve-cache/{models|datasets}/{repo}/{commit}/{path}` (where the
/// Hub sends small files). `path` is relative to the endpoint's base and
/// carries no query. `None`: no file the proxy could serve.
pub fn hub_path_target(path: &str) -> Option<ProxyTarget> {
    let rest = path.strip_prefix('/')?;
    if let Some(cached) = rest.strip_prefix("api/resolve-cache/") {
        return resolve_cache_target(cached);
    }
    // The proxy's own route shape, with no base path.
    parse_target(path, "").ok()
}

fn resolve_cache_target(rest: &str) -> Option<ProxyTarget> {
    let raw: Vec<&str> = rest.split('/').collect();
    let repo_type = match *raw.first()? {
        "models" => RepoType::Model,
        "datasets" => RepoType::Dataset,
        _ => return None,
    };
    let raw = &raw[1..];
    // `{org}/{name}/{commit}` or `{name}/{commit}`: the commit is 40 hex.
    let commit_at = [2, 1].into_iter().find(|&i| {
        raw.get(i)
            .is_some_and(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    })?;
    let repo = RepoId::parse(&decoded_join(&raw[..commit_at]).ok()?).ok()?;
    let revision = Revision::parse(raw[commit_at]).ok()?;
    file_target(repo_type, repo, revision, raw.get(commit_at + 1..)).ok()
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
