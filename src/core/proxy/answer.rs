//! What the proxy answers: for its own refusals, for whatever status and
//! headers came from upstream (every status maps to a valid answer), and
//! for a redirect the Hub sent (followed, refused, or handed to the client
//! in `largeFiles: 'redirect'` mode).

use url::Url;

use super::allow::AllowList;
use super::headers::{filter_outbound, header_text, safety_headers};
use super::rejection::Rejection;
use super::target::{hub_path_target, ProxyTarget};
use crate::core::classify::PROXY_REFUSED_CODE;
use crate::core::endpoint::Endpoint;

/// What goes back to the client as the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    None,
    /// `{"error": message}`.
    Json(String),
    /// The upstream body, streamed untouched.
    Upstream,
}

/// A complete answer: a status a runtime accepts, headers fit to send, and
/// a body that agrees with both (none for HEAD, 204 or 304).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

/// How files the Hub stores on another origin (its LFS or Xet CDN) reach
/// the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LargeFiles {
    /// Through the proxy (the default).
    #[default]
    Stream,
    /// A 302 to the Hub's signed CDN URL: the bytes skip the proxy.
    Redirect,
}

impl Answer {
    /// A JSON error the proxy itself writes. `extra` may add `retry-after`
    /// or the upstream's `x-error-*`.
    pub fn error(status: u16, message: &str, cors: &[(String, String)], extra: &[(String, String)]) -> Answer {
        let mut headers: Vec<(String, String)> = cors.to_vec();
        headers.extend(
            extra
                .iter()
                .filter(|(k, _)| k != "content-length" && k != "content-type")
                .cloned(),
        );
        headers.push(("content-type".into(), "application/json".into()));
        headers.push(("cache-control".into(), "no-store".into()));
        headers.extend(safety_headers(Some("application/json")));
        let body = serde_json::json!({ "error": message }).to_string();
        Answer {
            status,
            headers,
            body: Body::Json(body),
        }
    }

    /// One of the proxy's own refusals, marked so the browser build tells
    /// it from the Hub's (PROXY_REFUSED).
    pub fn refusal(rejection: &Rejection, cors: &[(String, String)]) -> Answer {
        let said = [
            ("x-error-code".to_owned(), PROXY_REFUSED_CODE.to_owned()),
            ("x-error-message".to_owned(), header_text(&rejection.message)),
        ];
        Answer::error(rejection.status, &rejection.message, cors, &said)
    }

    pub fn preflight(cors: &[(String, String)]) -> Answer {
        Answer {
            status: 204,
            headers: cors.to_vec(),
            body: Body::None,
        }
    }

    pub fn rate_limited(retry_after_s: u64, cors: &[(String, String)]) -> Answer {
        let retry = [("retry-after".to_owned(), retry_after_s.max(1).to_string())];
        Answer::error(429, "Too many requests from this client; retry later.", cors, &retry)
    }

    pub fn busy(cors: &[(String, String)]) -> Answer {
        let retry = [("retry-after".to_owned(), "1".to_owned())];
        Answer::error(503, "The proxy is busy; retry shortly.", cors, &retry)
    }

    /// The body's length in bytes, when the proxy wrote it.
    pub fn json_len(&self) -> u64 {
        match &self.body {
            Body::Json(text) => text.len() as u64,
            _ => 0,
        }
    }
}

/// The final upstream answer, as far as the proxy's answer depends on it.
pub struct Upstream<'a> {
    pub status: u16,
    /// Whether the Hub's own origin sent it (else its file storage did).
    pub from_hub: bool,
    pub headers: &'a [(String, String)],
    pub head: bool,
    /// The token the proxy holds, scrubbed from whatever goes back.
    pub secret: Option<&'a str>,
}

impl Upstream<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every upstream status maps to a valid answer:
/// - 200/206 stream the body (none for HEAD), 304 has none;
/// - the Hub's 4xx/5xx pass through as JSON errors with its error headers,
///   except its invalid-token 401, which becomes a generic 502 (the page
///   must learn nothing about the server's token);
/// - the file storage's 416 passes (a Range past the end), its other
///   failures are a 502 that names only the status;
/// - anything else (1xx, 204, 205, other 2xx, 3xx that were not followed,
///   600 and up) is a 502: no file answer looks like that.
pub fn answer_upstream(up: &Upstream<'_>, cors: &[(String, String)]) -> Answer {
    let status = up.status;
    let message = up.header("x-error-message").unwrap_or("");
    if matches!(status, 200 | 206 | 304) {
        let mut headers = filter_outbound(up.headers, up.secret);
        headers.retain(|(k, _)| !k.starts_with("x-error") && k != "retry-after");
        let safety = safety_headers(up.header("content-type"));
        headers.extend_from_slice(cors);
        // Gated and private bytes must not land in a shared cache.
        headers.push(("cache-control".into(), "private, max-age=0, must-revalidate".into()));
        headers.extend(safety);
        let body = if up.head || status == 304 {
            Body::None
        } else {
            Body::Upstream
        };
        return Answer { status, headers, body };
    }
    if up.from_hub && status == 401 && message.contains("Invalid credentials") {
        return Answer::error(
            502,
            "The proxy's Hub credentials were rejected; its operator must renew them.",
            cors,
            &[],
        );
    }
    let passes = if up.from_hub {
        (400..=599).contains(&status)
    } else {
        status == 416
    };
    if passes {
        let mut extra = filter_outbound(up.headers, up.secret);
        extra.retain(|(k, _)| k.starts_with("x-error") || k == "retry-after" || k == "content-range");
        let text = match extra.iter().find(|(k, _)| k == "x-error-message") {
            Some((_, m)) if !m.is_empty() => m.clone(),
            _ if up.from_hub => format!("The Hub answered HTTP {status}."),
            _ => "The requested range is not satisfiable.".to_owned(),
        };
        return Answer::error(status, &text, cors, &extra);
    }
    let message = if up.from_hub {
        format!("The Hub answered with an unexpected HTTP status ({status}) for a file.")
    } else {
        format!("The file storage answered HTTP {status}.")
    };
    Answer::error(502, &message, cors, &[])
}

/// `largeFiles: 'redirect'`: a 302 to the signed CDN URL the Hub gave, with
/// the file's metadata from the Hub's own answer. The URL is a time-limited
/// credential for this one file (never the token), so it is not cached.
pub fn answer_redirect(
    location: &Url,
    hub_headers: &[(String, String)],
    secret: Option<&str>,
    cors: &[(String, String)],
) -> Answer {
    let mut headers = filter_outbound(hub_headers, secret);
    headers.retain(|(k, _)| matches!(k.as_str(), "x-repo-commit" | "x-linked-etag" | "x-linked-size" | "etag"));
    headers.extend_from_slice(cors);
    headers.push(("location".into(), location.as_str().to_owned()));
    headers.push(("cache-control".into(), "no-store".into()));
    headers.push(("referrer-policy".into(), "no-referrer".into()));
    headers.extend(safety_headers(Some("application/octet-stream")));
    Answer {
        status: 302,
        headers,
        body: Body::None,
    }
}

/// What to do with a redirect the Hub (or its storage) answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hop {
    Follow,
    /// Hand the client a 302 to this other origin (`largeFiles: 'redirect'`).
    Redirect,
    Refuse(Rejection),
}

/// A hop back to the Hub's origin carries the token again, so it must name
/// a file the allow list permits, like the first request: a renamed repo's
/// new name, or the same file at the commit the Hub resolved the revision
/// to (`/api/resolve-cache/...`). Anything else on the Hub is refused. A
/// hop to another origin (the CDN) gets no token: followed when streaming,
/// handed to the client in redirect mode.
pub fn decide_hop(
    allow: &AllowList,
    endpoint: &Endpoint,
    asked: &ProxyTarget,
    to: &Url,
    large_files: LargeFiles,
) -> Hop {
    if !endpoint.is_hub_origin(to) {
        return match large_files {
            LargeFiles::Stream => Hop::Follow,
            LargeFiles::Redirect => Hop::Redirect,
        };
    }
    let refused = || {
        Hop::Refuse(Rejection::new(
            403,
            format!(
                "The Hub redirected {} of {} to a file this proxy does not allow.",
                asked.path, asked.repo
            ),
        ))
    };
    let Some(target) = endpoint.path_within(to).and_then(|p| hub_path_target(&p)) else {
        return refused();
    };
    let same_file_at_commit = target.repo_type == asked.repo_type
        && target.repo == asked.repo
        && target.path == asked.path
        && target.revision.is_commit_hash();
    if same_file_at_commit || allow.check(&target).is_ok() {
        Hop::Follow
    } else {
        refused()
    }
}
