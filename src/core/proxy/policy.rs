//! The first decision on a request: Host, size, Origin, method, route,
//! allow list and inbound headers, in that order (see mod.rs).

use super::allow::AllowList;
use super::headers::{filter_inbound, Cors};
use super::host::{check_host, HostName, LocalAddress};
use super::rejection::Rejection;
use super::target::{parse_target, ProxyTarget};
use crate::core::repo::truncate_for_message;

/// The request as it reached the proxy, before any interpretation.
#[derive(Clone, Debug)]
pub struct InboundRequest<'a> {
    pub method: &'a str,
    /// The request target exactly as received (path and query).
    pub target: &'a str,
    /// Lower-case names.
    pub headers: &'a [(String, String)],
    pub has_body: bool,
    /// The Host header, else the request URL's host.
    pub host: Option<&'a str>,
    /// The address the connection arrived on, when the server knows it.
    pub local: Option<LocalAddress>,
}

impl InboundRequest<'_> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What to do with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer a CORS preflight locally (204), never upstream.
    Preflight,
    /// Fetch this file upstream with these (filtered) request headers.
    Forward {
        target: ProxyTarget,
        head: bool,
        headers: Vec<(String, String)>,
    },
    Reject(Rejection),
}

pub struct ProxyPolicy {
    pub allow: AllowList,
    pub cors: Cors,
    /// Where the proxy is mounted (`/hf`), stripped before parsing.
    pub base_path: String,
    /// Names served besides the connection's own address (`hosts`).
    pub hosts: Vec<HostName>,
}

/// Longer URLs or header sets are refused outright: no Hub file needs them.
pub const MAX_TARGET_LEN: usize = 2048;
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

impl ProxyPolicy {
    pub fn decide(&self, request: &InboundRequest<'_>) -> Decision {
        match self.check(request) {
            Ok(decision) => decision,
            Err(rejection) => Decision::Reject(rejection),
        }
    }

    fn check(&self, request: &InboundRequest<'_>) -> Result<Decision, Rejection> {
        check_host(request.host, &self.hosts, request.local)?;
        if request.target.len() > MAX_TARGET_LEN {
            return Err(Rejection::new(414, "The request URL is too long."));
        }
        let header_bytes: usize = request.headers.iter().map(|(k, v)| k.len() + v.len() + 4).sum();
        if header_bytes > MAX_HEADER_BYTES {
            return Err(Rejection::new(431, "The request headers are too large."));
        }
        if let Some(origin) = request.header("origin") {
            if !self.cors.origin_allowed(origin) {
                return Err(Rejection::new(
                    403,
                    format!("Origin {:?} may not use this proxy.", truncate_for_message(origin)),
                ));
            }
        }
        let head = match request.method {
            "GET" => false,
            "HEAD" => true,
            "OPTIONS" => return self.preflight(request),
            _ => return Err(Rejection::new(405, "Only GET and HEAD are proxied.")),
        };
        if request.has_body {
            return Err(Rejection::new(400, "Requests to the proxy must not have a body."));
        }
        let target = parse_target(request.target, &self.base_path)?;
        self.allow.check(&target)?;
        let headers = filter_inbound(request.headers)?;
        Ok(Decision::Forward { target, head, headers })
    }

    fn preflight(&self, request: &InboundRequest<'_>) -> Result<Decision, Rejection> {
        let method = request.header("access-control-request-method").unwrap_or("");
        if !matches!(method, "GET" | "HEAD") {
            return Err(Rejection::new(405, "Only GET and HEAD are proxied."));
        }
        if let Some(asked) = request.header("access-control-request-headers") {
            if let Some(bad) = asked
                .split(',')
                .map(str::trim)
                .find(|h| !h.is_empty() && !self.cors.header_allowed(h))
            {
                return Err(Rejection::new(
                    403,
                    format!(
                        "Header {:?} may not be sent through this proxy.",
                        truncate_for_message(bad)
                    ),
                ));
            }
        }
        Ok(Decision::Preflight)
    }
}
