//! Forward proxies from the environment (corporate networks): which proxy,
//! if any, a request to a URL goes through, read from `HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` as huggingface_hub's HTTP stack
//! (httpx over urllib's `getproxies`) and curl read them. The Node platform
//! then opens a `CONNECT` tunnel through the chosen proxy for https (TLS end
//! to end: the proxy sees only `host:port`) or sends it the absolute URL for
//! plain http.
//!
//! The rules, where the clients differ, and what hubguard does:
//! - **Which variable.** `https_proxy` for https URLs and `http_proxy` for
//!   http ones, else `all_proxy`. The lower-case name wins over the upper-case
//!   one, and a lower-case name set to "" hides the upper-case one (urllib
//!   and so httpx; `all_proxy` still applies then). Upper-case `HTTP_PROXY` is ignored when `REQUEST_METHOD` is set:
//!   in a CGI script it comes from the client's `Proxy:` header (httpoxy).
//! - **A value** without `://` is taken as `http://value`; only `http://`
//!   proxies are supported (a clear error otherwise, never a silent direct
//!   connection). The port defaults to 80, as httpx has it. `user:pass@`
//!   becomes `Proxy-Authorization: Basic …`, for the proxy only.
//! - **`NO_PROXY`** (lower-case first): entries split on commas and blanks,
//!   case-insensitive, a trailing dot ignored.
//!   - `*` (as the whole value or as one entry) bypasses every proxy.
//!   - `example.com`, `.example.com` and `*.example.com` all match
//!     `example.com` and every subdomain, never `wwwexample.com` (curl and
//!     requests; httpx alone does not match `example.com` itself for the
//!     last two).
//!   - `host:port` matches that port only (httpx, requests; curl ignores
//!     ports), `[v6]:port` likewise.
//!   - IP addresses match exactly, and CIDR ranges (`10.0.0.0/8`,
//!     `fd00::/8`) match the addresses in them (httpx, curl). Names are never
//!     resolved: `localhost` does not match `127.0.0.1`.
//!   - Anything else is ignored.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// A forward proxy chosen for one request. `Debug` hides the credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct ForwardProxy {
    host: String,
    port: u16,
    /// `Basic …` for `Proxy-Authorization`, from the URL's `user:pass@`.
    authorization: Option<String>,
    /// The variable it came from (`HTTPS_PROXY`, `https_proxy`, ...).
    variable: &'static str,
}

impl ForwardProxy {
    /// The host to connect to (an IPv6 address without brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `Proxy-Authorization` value, sent to the proxy and nowhere else.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// `http://host:port (HTTPS_PROXY)`: for messages, without credentials.
    pub fn describe(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("http://{host}:{} (from {})", self.port, self.variable)
    }

    /// The detail of a failure to connect through this proxy, for the
    /// transport's error: names the proxy, never the Hub.
    pub fn unreachable(&self, reason: &str) -> String {
        format!("the forward proxy {} could not be reached ({reason})", self.describe())
    }

    /// The proxy answered a `CONNECT` with something other than 2xx.
    pub fn refused(&self, target: &str, status: u16, reason: &str) -> String {
        let reason = reason.trim();
        let sep = if reason.is_empty() { "" } else { " " };
        format!(
            "the forward proxy {} refused the tunnel to {target} (HTTP {status}{sep}{reason}){}",
            self.describe(),
            if status == 407 {
                "; put the proxy's user and password in the variable: http://user:password@host:port"
            } else {
                ""
            }
        )
    }
}

/// The error message for a request the forward proxy failed (`detail` is
/// one of the texts above, or an unusable setting): about the proxy, with
/// what to check.
pub fn failure_message(detail: &str) -> String {
    let mut chars = detail.trim().chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    format!(
        "{first}{}. Check HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, or list the host in NO_PROXY to connect without the proxy.",
        chars.as_str()
    )
}

impl fmt::Debug for ForwardProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForwardProxy")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("authorization", &self.authorization.as_ref().map(|_| "<redacted>"))
            .field("variable", &self.variable)
            .finish()
    }
}

/// How a request to one URL is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Direct,
    Proxy(ForwardProxy),
}

/// The route for `url`, from the environment `var` reads. `Err` is the
/// detail of an unusable proxy setting (without its credentials).
pub fn route_for(url: &Url, var: impl Fn(&str) -> Option<String>) -> Result<Route, String> {
    let https = url.scheme() == "https";
    let cgi = var("REQUEST_METHOD").is_some();
    let scheme_var = if https {
        pick(&var, "https_proxy", "HTTPS_PROXY", true)
    } else {
        pick(&var, "http_proxy", "HTTP_PROXY", !cgi)
    };
    let chosen = match scheme_var {
        Some(found) => Some(found),
        None => pick(&var, "all_proxy", "ALL_PROXY", true),
    };
    let Some((variable, value)) = chosen else {
        return Ok(Route::Direct);
    };
    if value.trim().is_empty() {
        return Ok(Route::Direct);
    }
    let no_proxy = pick(&var, "no_proxy", "NO_PROXY", true)
        .map(|(_, v)| v)
        .unwrap_or_default();
    if bypasses(&no_proxy, url) {
        return Ok(Route::Direct);
    }
    parse_proxy(&value, variable).map(Route::Proxy)
}

/// `lower` if set, else `upper` if `upper_allowed`; empty values count as
/// unset, and a lower-case name set to "" also hides the upper-case one
/// (urllib's `getproxies`, which huggingface_hub's httpx uses).
fn pick(
    var: &impl Fn(&str) -> Option<String>,
    lower: &'static str,
    upper: &'static str,
    upper_allowed: bool,
) -> Option<(&'static str, String)> {
    if let Some(v) = var(lower) {
        return (!v.is_empty()).then_some((lower, v));
    }
    if !upper_allowed {
        return None;
    }
    var(upper).filter(|v| !v.is_empty()).map(|v| (upper, v))
}

fn parse_proxy(value: &str, variable: &'static str) -> Result<ForwardProxy, String> {
    let value = value.trim();
    let text = if value.contains("://") {
        value.to_owned()
    } else {
        format!("http://{value}")
    };
    let unusable = |why: &str| format!("the forward proxy in {variable} is not usable: {why}");
    let url = Url::parse(&text).map_err(|_| unusable("it is not a URL such as http://proxy.example:3128"))?;
    if url.scheme() != "http" {
        return Err(unusable(&format!(
            "its scheme is {}://, and hubguard supports http:// forward proxies only",
            url.scheme()
        )));
    }
    let host = match url.host() {
        Some(Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        _ => return Err(unusable("it has no host")),
    };
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let authorization = (!url.username().is_empty() || url.password().is_some()).then(|| {
        let pair = format!("{}:{}", decode(url.username()), decode(url.password().unwrap_or("")));
        format!("Basic {}", base64::encode(pair))
    });
    Ok(ForwardProxy {
        host,
        port: url.port().unwrap_or(80),
        authorization,
        variable,
    })
}

/// Whether `NO_PROXY`'s `value` sends requests to `url` direct.
pub fn bypasses(value: &str, url: &Url) -> bool {
    let port = url.port_or_known_default().unwrap_or(0);
    let host = match url.host() {
        Some(Host::Domain(d)) => Target::Name(d.trim_end_matches('.').to_ascii_lowercase()),
        Some(Host::Ipv4(ip)) => Target::Ip(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Target::Ip(IpAddr::V6(ip)),
        None => return false,
    };
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
        .filter_map(Entry::parse)
        .any(|entry| entry.matches(&host, port))
}

enum Target {
    Name(String),
    Ip(IpAddr),
}

enum Entry {
    All,
    Name {
        name: String,
        port: Option<u16>,
    },
    Net {
        addr: IpAddr,
        prefix: u8,
        port: Option<u16>,
    },
}

impl Entry {
    fn parse(raw: &str) -> Option<Entry> {
        let raw = raw.trim();
        if raw == "*" {
            return Some(Entry::All);
        }
        // `[v6]` or `[v6]:port`
        if let Some(rest) = raw.strip_prefix('[') {
            let (inside, after) = rest.split_once(']')?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?.parse().ok()?),
            };
            return Entry::net(inside, port);
        }
        // A bare IP (v6 included: its colons are not a port) or a CIDR.
        if raw.parse::<IpAddr>().is_ok() || raw.contains('/') {
            return Entry::net(raw, None);
        }
        let (name, port) = match raw.rsplit_once(':') {
            Some((name, port)) => (name, Some(port.parse().ok()?)),
            None => (raw, None),
        };
        if let Ok(ip) = name.parse::<IpAddr>() {
            return Some(Entry::Net {
                addr: ip,
                prefix: full_prefix(ip),
                port,
            });
        }
        let name = name
            .trim_start_matches("*.")
            .trim_start_matches('.')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        valid.then_some(Entry::Name { name, port })
    }

    /// An address, or `addr/prefix`.
    fn net(text: &str, port: Option<u16>) -> Option<Entry> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => {
                let addr: IpAddr = addr.parse().ok()?;
                let prefix: u8 = prefix.parse().ok()?;
                (prefix <= full_prefix(addr)).then_some((addr, prefix))?
            }
            None => {
                let addr: IpAddr = text.parse().ok()?;
                (addr, full_prefix(addr))
            }
        };
        Some(Entry::Net { addr, prefix, port })
    }

    fn matches(&self, host: &Target, port: u16) -> bool {
        match (self, host) {
            (Entry::All, _) => true,
            (Entry::Name { name, port: p }, Target::Name(host)) => {
                p.map_or(true, |p| p == port)
                    && (host == name || host.strip_suffix(name.as_str()).is_some_and(|h| h.ends_with('.')))
            }
            (Entry::Net { addr, prefix, port: p }, Target::Ip(ip)) => {
                p.map_or(true, |p| p == port) && in_network(*ip, *addr, *prefix)
            }
            _ => false,
        }
    }
}

fn full_prefix(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    let (ip, net, bits) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u32::from(a) as u128, u32::from(b) as u128, 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), 128),
        // An IPv4-mapped IPv6 host against an IPv4 entry.
        (IpAddr::V6(a), IpAddr::V4(b)) => match a.to_ipv4_mapped() {
            Some(a) => (u32::from(a) as u128, u32::from(b) as u128, 32),
            None => return false,
        },
        _ => return false,
    };
    let shift = bits - u32::from(prefix);
    if shift >= 128 {
        return true;
    }
    (ip >> shift) == (net >> shift)
}

#[cfg(test)]
mod tests;
