//! The I/O seam: the smallest HTTP interface hubguard needs.
//!
//! One request, one answer with a body read chunk by chunk. Redirects are not
//! followed here (the caller does that, to apply the token rule per hop), and
//! the bearer token is a separate field so nothing else can carry it.

use std::fmt;

use url::Url;

use crate::core::endpoint::origin_of;
use crate::core::token::Token;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
        }
    }
}

pub struct HttpRequest {
    pub method: Method,
    pub url: Url,
    /// Sent as `Authorization: Bearer`; set only for the Hub's own origin.
    pub bearer: Option<Token>,
    /// Other request headers (Range, If-None-Match), already filtered.
    pub headers: Vec<(String, String)>,
}

/// Shows the origin only: the path and query of a CDN URL are a signature.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("origin", &origin_of(&self.url))
            .field("bearer", &self.bearer)
            .field("headers", &self.headers)
            .finish()
    }
}

pub struct HttpResponse<B> {
    pub status: u16,
    /// Names in lower case, as the Fetch API gives them.
    pub headers: Vec<(String, String)>,
    pub body: B,
}

impl<B> HttpResponse<B> {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// No answer at all: refused, unreachable, DNS, TLS.
    Connect,
    /// The answer started, then the connection broke.
    Dropped,
    /// The caller's AbortSignal fired: not a failure to retry.
    Aborted,
    /// The forward proxy from the environment (HTTPS_PROXY ...) could not be
    /// reached, refused the tunnel, or is not usable; `detail` names it
    /// (never its password) and is the message's core.
    Proxy,
}

/// A failure below HTTP. `detail` is the runtime's own short reason (such as
/// `ECONNREFUSED`); the platform must not put a URL in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    pub detail: String,
}

/// The body of an answer, read in chunks so memory stays bounded.
#[allow(async_fn_in_trait)] // single-threaded wasm: no Send bound wanted
pub trait Body {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError>;
}

#[allow(async_fn_in_trait)]
pub trait Transport {
    type Body: Body;
    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse<Self::Body>, TransportError>;
    /// Wait before a retry. Time belongs to the runtime, like the network.
    async fn pause(&self, millis: u32);
    /// Whether the caller has cancelled (checked between retries and while
    /// waiting for another process's download).
    fn is_aborted(&self) -> bool;
    /// A monotonic-enough clock in milliseconds (to pace lock refreshes).
    fn now_millis(&self) -> f64;
}
