//! The Host check: a request must name a host this proxy serves.
//!
//! A page on `attacker.example` whose DNS name is rebound to 127.0.0.1 can
//! reach a local proxy with the browser's blessing: same origin, so CORS
//! never applies. What gives it away is the Host header, which still says
//! `attacker.example`. So a proxy serves only: the address the connection
//! arrived on (an IP literal, which no rebinding page can have as its
//! origin), `localhost` when that address is a loopback one, and the names
//! its operator lists (`hosts`, `--public-host`).

use std::net::IpAddr;

use super::rejection::Rejection;
use crate::core::repo::truncate_for_message;

/// A listed name: `app.example` (any port) or `app.example:8443`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostName {
    name: String,
    port: Option<u16>,
}

impl HostName {
    pub fn parse(value: &str) -> Option<HostName> {
        let (name, port) = split_host(value.trim())?;
        Some(HostName { name, port })
    }
}

/// Where the connection arrived: the socket's local address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalAddress {
    pub ip: IpAddr,
    pub port: u16,
}

impl LocalAddress {
    /// Node's `socket.localAddress` (`::ffff:127.0.0.1` for IPv4 on a dual
    /// stack socket) and `localPort`.
    pub fn parse(ip: &str, port: u16) -> Option<LocalAddress> {
        let ip: IpAddr = ip.trim_start_matches('[').trim_end_matches(']').parse().ok()?;
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        Some(LocalAddress { ip, port })
    }
}

/// Lower-case name without a trailing dot, and the port if one is given.
/// IPv6 literals keep their brackets off: `[::1]:8787` → (`::1`, 8787).
fn split_host(value: &str) -> Option<(String, Option<u16>)> {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '/' || c == '@')
    {
        return None;
    }
    let (name, port) = if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':')?.parse::<u16>().ok()?),
        };
        (inside, port)
    } else {
        match value.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') => (name, Some(port.parse::<u16>().ok()?)),
            Some(_) => return None, // a bare IPv6 literal needs brackets in Host
            None => (value, None),
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    (!name.is_empty()).then_some((name, port))
}

/// `Ok` when `host` (the Host header, or the request URL's host) names
/// this proxy. With neither listed names nor a known local address (a bare
/// Fetch-API handler behind a framework that owns its hostnames), every
/// host passes: there is nothing to check against.
pub fn check_host(host: Option<&str>, listed: &[HostName], local: Option<LocalAddress>) -> Result<(), Rejection> {
    if listed.is_empty() && local.is_none() {
        return Ok(());
    }
    let refuse = |shown: &str| {
        Rejection::new(
            403,
            format!(
                "Host {:?} is not served by this proxy. If that name is yours, list it in `hosts` \
                 (or pass --public-host).",
                truncate_for_message(shown)
            ),
        )
    };
    let Some(raw) = host else {
        return Err(Rejection::new(400, "A Host header is required."));
    };
    let (name, port) = split_host(raw).ok_or_else(|| refuse(raw))?;
    let listed_match = listed
        .iter()
        .any(|h| h.name == name && (h.port.is_none() || h.port == port));
    if listed_match || local.is_some_and(|l| is_local(&name, port, l)) {
        Ok(())
    } else {
        Err(refuse(raw))
    }
}

/// The connection's own address, with its port (or none, meaning 80), and
/// `localhost` for a loopback address: no DNS answer can make either.
fn is_local(name: &str, port: Option<u16>, local: LocalAddress) -> bool {
    let port_ok = port.unwrap_or(80) == local.port;
    let name_ok = match name.parse::<IpAddr>() {
        Ok(ip) => LocalAddress::parse(&ip.to_string(), local.port).is_some_and(|a| a.ip == local.ip),
        Err(_) => local.ip.is_loopback() && (name == "localhost" || name.ends_with(".localhost")),
    };
    port_ok && name_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(ip: &str, port: u16) -> Option<LocalAddress> {
        LocalAddress::parse(ip, port)
    }

    fn names(list: &[&str]) -> Vec<HostName> {
        list.iter().map(|n| HostName::parse(n).unwrap()).collect()
    }

    #[test]
    fn the_listening_address_and_localhost_pass_by_default() {
        let at = local("127.0.0.1", 8787);
        for ok in [
            "127.0.0.1:8787",
            "localhost:8787",
            "LOCALHOST:8787",
            "app.localhost:8787",
        ] {
            assert_eq!(check_host(Some(ok), &[], at), Ok(()), "{ok}");
        }
        assert_eq!(check_host(Some("[::1]:8787"), &[], local("::1", 8787)), Ok(()));
        assert_eq!(
            check_host(Some("127.0.0.1:8787"), &[], local("::ffff:127.0.0.1", 8787)),
            Ok(())
        );
        assert_eq!(check_host(Some("10.0.0.5"), &[], local("10.0.0.5", 80)), Ok(()));
    }

    #[test]
    fn a_rebound_name_is_refused() {
        let at = local("127.0.0.1", 8787);
        for bad in [
            "attacker.example:8787",
            "attacker.example",
            "127.0.0.1:9999",
            "127.0.0.2:8787",
            "localhost.attacker.example:8787",
            "a b",
            "::1",
            "user@127.0.0.1:8787",
        ] {
            let r = check_host(Some(bad), &[], at).unwrap_err();
            assert_eq!(r.status, 403, "{bad}");
        }
        assert_eq!(check_host(None, &[], at).unwrap_err().status, 400);
        // localhost is only the loopback's name.
        assert!(check_host(Some("localhost:80"), &[], local("10.0.0.5", 80)).is_err());
    }

    #[test]
    fn listed_names_pass_with_any_port_unless_one_is_given() {
        let listed = names(&["App.Example", "api.example:8443"]);
        let at = local("127.0.0.1", 8787);
        assert_eq!(check_host(Some("app.example"), &listed, at), Ok(()));
        assert_eq!(check_host(Some("app.example.:443"), &listed, at), Ok(()));
        assert_eq!(check_host(Some("api.example:8443"), &listed, at), Ok(()));
        assert!(check_host(Some("api.example"), &listed, at).is_err());
        assert!(check_host(Some("evil.example"), &listed, None).is_err());
    }

    #[test]
    fn nothing_to_check_against_passes() {
        assert_eq!(check_host(Some("anything.example"), &[], None), Ok(()));
    }
}
