//! The token proxy's decisions: which requests may reach the Hub with the
//! server's token, and what of the answer goes back.
//!
//! Everything is denied unless it matches: a Host the proxy serves, one
//! route shape, an exact repo allowlist, GET/HEAD, a few inbound headers, a
//! few outbound headers. The I/O (fetching upstream, streaming back) lives
//! outside the core; the order of the checks is:
//! host → origin → method → route → allow list → authorize → rate limit and
//! concurrency → upstream (allow list again at each Hub redirect) → answer.

mod allow;
mod answer;
mod auth;
mod client;
mod headers;
mod host;
mod limit;
mod log;
mod policy;
mod rejection;
mod target;

pub use allow::{AllowList, AllowRule};
pub use answer::{answer_redirect, answer_upstream, decide_hop, Answer, Body, Hop, LargeFiles, Upstream};
pub use auth::{authorization, AuthOutcome, AuthValue, AUTHORIZE_FAILED};
pub use client::{proxy_headers, ProxyCredentials};
pub use headers::{
    filter_inbound, filter_outbound, header_value, is_renderable, safety_headers, Cors, EXPOSED_HEADERS,
};
pub use host::{check_host, HostName, LocalAddress};
pub use limit::{LimitConfig, Limiter, Refusal, Timeouts};
pub use log::{AccessEntry, Outcome};
pub use target::{hub_path_target, parse_target, ProxyTarget};

pub use policy::{Decision, InboundRequest, ProxyPolicy, MAX_HEADER_BYTES, MAX_TARGET_LEN};
pub use rejection::Rejection;

#[cfg(test)]
mod tests;
