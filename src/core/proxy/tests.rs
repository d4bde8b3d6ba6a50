use super::*;
use crate::core::repo::RepoType;

fn policy() -> ProxyPolicy {
    ProxyPolicy {
        allow: AllowList::new(vec![
            AllowRule::parse("meta-llama/Llama-2-7b-hf", None, None).unwrap(),
            AllowRule::parse(
                "org/pinned",
                Some(vec!["v1.0".into()]),
                Some(vec!["tokenizer.json".into()]),
            )
            .unwrap(),
            AllowRule::parse("datasets/org/data", None, None).unwrap(),
        ])
        .unwrap(),
        origins: vec!["http://localhost:5173".into()],
        base_path: "/hf".into(),
    }
}

fn request<'a>(method: &'a str, target: &'a str, headers: &'a [(String, String)]) -> InboundRequest<'a> {
    InboundRequest {
        method,
        target,
        headers,
        has_body: false,
    }
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn forwards_allowed_files_with_filtered_headers() {
    let headers = h(&[
        ("range", "bytes=0-99"),
        ("cookie", "session=1"),
        ("authorization", "Bearer hf_browser"),
        ("x-forwarded-for", "1.2.3.4"),
        ("if-none-match", "\"abc\""),
        ("origin", "http://localhost:5173"),
    ]);
    let decision = policy().decide(&request(
        "GET",
        "/hf/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json",
        &headers,
    ));
    let Decision::Forward { target, head, headers } = decision else {
        panic!("{decision:?}")
    };
    assert_eq!(target.repo.as_str(), "meta-llama/Llama-2-7b-hf");
    assert_eq!(target.path.as_str(), "tokenizer.json");
    assert!(!head);
    assert_eq!(headers, h(&[("range", "bytes=0-99"), ("if-none-match", "\"abc\"")]));
}

#[test]
fn decodes_once_and_accepts_datasets_pins_and_head() {
    let p = policy();
    let d = p.decide(&request(
        "HEAD",
        "/hf/datasets/org/data/resolve/main/dir/a%20b.csv",
        &[],
    ));
    let Decision::Forward { target, head: true, .. } = d else {
        panic!("{d:?}")
    };
    assert_eq!(
        (target.repo_type, target.path.as_str()),
        (RepoType::Dataset, "dir/a b.csv")
    );
    assert!(matches!(
        p.decide(&request("GET", "/hf/org/pinned/resolve/v1.0/tokenizer.json", &[])),
        Decision::Forward { .. }
    ));
}

#[test]
fn preflight_is_local() {
    let headers = h(&[
        ("origin", "http://localhost:5173"),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "range"),
    ]);
    assert_eq!(
        policy().decide(&request("OPTIONS", "/hf/anything", &headers)),
        Decision::Preflight
    );
}

/// Hostile requests: each must be refused with a 4xx, before any upstream.
#[test]
fn hostile_requests_are_refused() {
    let long = format!("/hf/meta-llama/Llama-2-7b-hf/resolve/main/{}", "a".repeat(3000));
    let ok = "/hf/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json";
    type Case<'a> = (&'a str, &'a str, Vec<(String, String)>, bool);
    let cases: Vec<Case> = vec![
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/../../../etc/passwd",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/%2e%2e/%2e%2e/secret",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/%2E%2E%2Fsecret",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/%252e%252e/secret",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/a%5c..%5csecret",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/a\\..\\secret",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main//tokenizer.json",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/./tokenizer.json",
            vec![],
            false,
        ),
        ("GET", "/hf/meta-llama/Llama-2-7b-hf/resolve/main/a%00b", vec![], false),
        ("GET", "/hf/meta-llama/Llama-2-7b-hf/resolve/main/%ff%fe", vec![], false),
        (
            "GET",
            "http://evil.example/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json",
            vec![],
            false,
        ),
        (
            "GET",
            "//evil.example/hf/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/@evil.example/meta-llama/resolve/main/tokenizer.json",
            vec![],
            false,
        ),
        ("GET", "/hf/api/whoami-v2", vec![], false),
        ("GET", "/hf/api/models/meta-llama/Llama-2-7b-hf", vec![], false),
        ("GET", "/hf/other/model/resolve/main/tokenizer.json", vec![], false),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf-evil/resolve/main/tokenizer.json",
            vec![],
            false,
        ),
        ("GET", "/hf/org/pinned/resolve/main/tokenizer.json", vec![], false),
        ("GET", "/hf/org/pinned/resolve/v1.0/model.safetensors", vec![], false),
        (
            "GET",
            "/hf/datasets/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json",
            vec![],
            false,
        ),
        (
            "GET",
            "/elsewhere/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json",
            vec![],
            false,
        ),
        (
            "GET",
            "/hf/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json?x=1",
            vec![],
            false,
        ),
        ("POST", ok, vec![], false),
        ("PUT", ok, vec![], false),
        ("DELETE", ok, vec![], false),
        ("GET", ok, vec![], true),
        ("GET", ok, h(&[("origin", "http://evil.example")]), false),
        ("GET", ok, h(&[("origin", "http://localhost:5173.evil.example")]), false),
        ("GET", ok, h(&[("origin", "null")]), false),
        ("GET", ok, h(&[("range", "bytes=0-1,5-6")]), false),
        ("GET", ok, h(&[("range", "items=0-1")]), false),
        ("GET", ok, h(&[("x-big", &"a".repeat(20_000))]), false),
        ("GET", long.as_str(), vec![], false),
        (
            "OPTIONS",
            ok,
            h(&[
                ("origin", "http://localhost:5173"),
                ("access-control-request-method", "POST"),
            ]),
            false,
        ),
        (
            "OPTIONS",
            ok,
            h(&[
                ("origin", "http://localhost:5173"),
                ("access-control-request-method", "GET"),
                ("access-control-request-headers", "authorization"),
            ]),
            false,
        ),
    ];
    assert!(cases.len() >= 20);
    for (method, target, headers, has_body) in &cases {
        let req = InboundRequest {
            method,
            target,
            headers,
            has_body: *has_body,
        };
        match policy().decide(&req) {
            Decision::Reject(r) => assert!((400..500).contains(&r.status), "{method} {target}: {r:?}"),
            other => panic!("{method} {target} was not refused: {other:?}"),
        }
    }
}

#[test]
fn empty_allow_list_is_a_config_error() {
    assert!(AllowList::new(vec![]).is_err());
}

#[test]
fn outbound_headers_are_filtered_and_scrubbed() {
    let upstream = h(&[
        ("content-type", "application/json"),
        ("set-cookie", "a=b"),
        ("x-error-message", "bad hf_abcdefghijklmnopqrstu"),
        ("location", "https://cdn/x?X-Amz-Signature=s"),
        ("etag", "\"e\""),
    ]);
    let out = filter_outbound(&upstream);
    assert_eq!(out.len(), 3);
    assert!(!out
        .iter()
        .any(|(k, v)| k == "set-cookie" || k == "location" || v.contains("hf_abcdefghij")));
}

#[test]
fn cors_names_the_exact_origin_and_never_credentials() {
    let c = cors_headers(Some("http://localhost:5173"), true, true);
    assert!(c.contains(&("access-control-allow-origin".into(), "http://localhost:5173".into())));
    assert!(c.contains(&("vary".into(), "Origin".into())));
    assert!(!c.iter().any(|(k, v)| k.contains("credentials") || v == "*"));
    assert_eq!(
        cors_headers(Some("http://evil"), false, false),
        vec![("vary".to_owned(), "Origin".to_owned())]
    );
}
