use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |name: &str| map.get(name).cloned()
}

fn url(text: &str) -> Url {
    Url::parse(text).unwrap()
}

/// `Some("host:port")` when proxied, `None` when direct.
fn proxy_for(target: &str, pairs: &[(&str, &str)]) -> Option<String> {
    match route_for(&url(target), env(pairs)).unwrap() {
        Route::Direct => None,
        Route::Proxy(p) => Some(format!("{}:{}", p.host(), p.port())),
    }
}

const HUB: &str = "https://huggingface.co/org/repo/resolve/main/tokenizer.json";

#[test]
fn https_urls_use_https_proxy_and_http_urls_http_proxy() {
    let vars = [
        ("HTTPS_PROXY", "http://s.example:3128"),
        ("HTTP_PROXY", "http://p.example:8080"),
    ];
    assert_eq!(proxy_for(HUB, &vars).as_deref(), Some("s.example:3128"));
    assert_eq!(
        proxy_for("http://127.0.0.1:9/x", &vars).as_deref(),
        Some("p.example:8080")
    );
}

#[test]
fn all_proxy_is_the_fallback_and_scheme_variables_win() {
    assert_eq!(
        proxy_for(HUB, &[("ALL_PROXY", "a.example:1")]).as_deref(),
        Some("a.example:1")
    );
    let both = [("all_proxy", "a.example:1"), ("HTTPS_PROXY", "s.example:2")];
    assert_eq!(proxy_for(HUB, &both).as_deref(), Some("s.example:2"));
}

#[test]
fn lower_case_wins_and_an_empty_lower_case_value_hides_the_upper_case_one() {
    let both = [("https_proxy", "lower.example:1"), ("HTTPS_PROXY", "upper.example:2")];
    assert_eq!(proxy_for(HUB, &both).as_deref(), Some("lower.example:1"));
    assert_eq!(
        proxy_for(HUB, &[("https_proxy", ""), ("HTTPS_PROXY", "upper.example:2")]),
        None
    );
    let all = [
        ("https_proxy", ""),
        ("HTTPS_PROXY", "upper.example:2"),
        ("ALL_PROXY", "a.example:3"),
    ];
    assert_eq!(proxy_for(HUB, &all).as_deref(), Some("a.example:3"));
    // An empty upper-case value falls through to ALL_PROXY.
    assert_eq!(
        proxy_for(HUB, &[("HTTPS_PROXY", ""), ("ALL_PROXY", "a.example:3")]).as_deref(),
        Some("a.example:3")
    );
    assert_eq!(proxy_for(HUB, &[]), None);
}

#[test]
fn upper_case_http_proxy_is_ignored_in_cgi_scripts() {
    let cgi = [("HTTP_PROXY", "evil.example:1"), ("REQUEST_METHOD", "GET")];
    assert_eq!(proxy_for("http://h.example/", &cgi), None);
    let lower = [("http_proxy", "p.example:1"), ("REQUEST_METHOD", "GET")];
    assert_eq!(proxy_for("http://h.example/", &lower).as_deref(), Some("p.example:1"));
}

#[test]
fn a_value_without_scheme_is_http_and_the_port_defaults_to_80() {
    assert_eq!(
        proxy_for(HUB, &[("HTTPS_PROXY", "proxy.corp")]).as_deref(),
        Some("proxy.corp:80")
    );
    assert_eq!(
        proxy_for(HUB, &[("HTTPS_PROXY", "http://[::1]:3128/")]).as_deref(),
        Some("::1:3128")
    );
}

#[test]
fn user_and_password_become_basic_proxy_authorization_and_never_show() {
    let Route::Proxy(p) = route_for(&url(HUB), env(&[("HTTPS_PROXY", "http://us%40er:p%3Ass@proxy:3128")])).unwrap()
    else {
        panic!("expected a proxy")
    };
    // base64("us@er:p:ss")
    assert_eq!(p.authorization(), Some("Basic dXNAZXI6cDpzcw=="));
    assert_eq!(p.describe(), "http://proxy:3128 (from HTTPS_PROXY)");
    let shown = format!(
        "{p:?} {} {}",
        p.unreachable("ECONNREFUSED"),
        p.refused("h:443", 407, "Auth")
    );
    assert!(
        !shown.contains("p%3Ass") && !shown.contains("p:ss") && !shown.contains("dXNA"),
        "{shown}"
    );
}

#[test]
fn unsupported_proxies_are_an_error_that_names_the_variable_and_hides_the_password() {
    for value in ["socks5://u:secret@h:1080", "https://u:secret@h:443", "http://"] {
        let err = route_for(&url(HUB), env(&[("https_proxy", value)])).unwrap_err();
        assert!(err.contains("https_proxy") && !err.contains("secret"), "{err}");
    }
}

#[test]
fn refusals_name_the_proxy_and_the_status() {
    let p = parse_proxy("http://proxy:3128", "HTTPS_PROXY").unwrap();
    let text = p.refused("127.0.0.1:443", 407, "Proxy Authentication Required");
    assert!(text.starts_with(
        "the forward proxy http://proxy:3128 (from HTTPS_PROXY) refused the tunnel to 127.0.0.1:443 (HTTP 407"
    ));
    assert!(p
        .unreachable("ECONNREFUSED")
        .contains("could not be reached (ECONNREFUSED)"));
}

fn direct(target: &str, no_proxy: &str) -> bool {
    bypasses(no_proxy, &url(target))
}

#[test]
fn no_proxy_domains_match_the_name_and_its_subdomains_only() {
    for entry in [
        "example.com",
        ".example.com",
        "*.example.com",
        "EXAMPLE.com.",
        "other.org, example.com",
    ] {
        assert!(direct("https://example.com/", entry), "{entry}");
        assert!(direct("https://www.example.com/", entry), "{entry}");
        assert!(direct("https://a.b.Example.COM./", entry), "{entry}");
        assert!(!direct("https://wwwexample.com/", entry), "{entry}");
        assert!(!direct("https://example.com.org/", entry), "{entry}");
    }
}

#[test]
fn no_proxy_ports_must_match_when_given() {
    assert!(direct("https://example.com:8443/", "example.com:8443"));
    assert!(!direct("https://example.com/", "example.com:8443"));
    assert!(direct("https://example.com/", "example.com:443"));
    assert!(direct("http://example.com:8080/", "example.com"));
    assert!(direct("http://[::1]:8080/", "[::1]:8080"));
    assert!(!direct("http://[::1]:8081/", "[::1]:8080"));
    assert!(direct("http://127.0.0.1:5/", "127.0.0.1:5"));
    assert!(!direct("http://127.0.0.1:6/", "127.0.0.1:5"));
}

#[test]
fn no_proxy_star_bypasses_everything() {
    assert!(direct(HUB, "*"));
    assert!(direct(HUB, "other.org, *"));
    assert!(!direct(HUB, ""));
    // Not a wildcard pattern: ignored.
    assert!(!direct(HUB, "*huggingface.co"));
}

#[test]
fn no_proxy_ip_addresses_and_cidr_ranges() {
    assert!(direct("http://10.1.2.3/", "10.0.0.0/8"));
    assert!(!direct("http://11.1.2.3/", "10.0.0.0/8"));
    assert!(direct("http://10.0.0.1/", "10.0.0.1"));
    assert!(!direct("http://10.0.0.2/", "10.0.0.1"));
    assert!(direct("http://[::1]/", "::1"));
    assert!(direct("http://[fd00::5]/", "fd00::/8"));
    assert!(!direct("http://[fe00::5]/", "fd00::/8"));
    assert!(direct("http://1.2.3.4/", "0.0.0.0/0"));
    // Names are not resolved, and bad entries are ignored.
    assert!(!direct("http://127.0.0.1/", "localhost"));
    assert!(!direct("http://localhost/", "127.0.0.1"));
    assert!(!direct("http://10.0.0.1/", "10.0.0.0/33, a/b, [::1"));
}

#[test]
fn no_proxy_is_read_lower_case_first_and_splits_on_blanks_too() {
    let vars = [
        ("HTTPS_PROXY", "proxy:1"),
        ("no_proxy", "huggingface.co"),
        ("NO_PROXY", "other.org"),
    ];
    assert_eq!(proxy_for(HUB, &vars), None);
    let vars = [("HTTPS_PROXY", "proxy:1"), ("NO_PROXY", "a.org huggingface.co")];
    assert_eq!(proxy_for(HUB, &vars), None);
    let vars = [
        ("HTTPS_PROXY", "proxy:1"),
        ("no_proxy", ""),
        ("NO_PROXY", "huggingface.co"),
    ];
    assert_eq!(proxy_for(HUB, &vars).as_deref(), Some("proxy:1"));
}
