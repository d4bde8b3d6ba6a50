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
        cors: Cors {
            origins: vec!["http://localhost:5173".into()],
            ..Cors::default()
        },
        base_path: "/hf".into(),
        hosts: vec![],
    }
}

fn request<'a>(method: &'a str, target: &'a str, headers: &'a [(String, String)]) -> InboundRequest<'a> {
    InboundRequest {
        method,
        target,
        headers,
        has_body: false,
        host: None,
        local: None,
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
            host: None,
            local: None,
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
fn pr_revisions_pass_when_the_allow_list_permits_them() {
    let p = ProxyPolicy {
        allow: AllowList::new(vec![
            AllowRule::parse("org/open", None, None).unwrap(),
            AllowRule::parse("org/pinned", Some(vec!["main".into()]), None).unwrap(),
        ])
        .unwrap(),
        ..policy()
    };
    for target in [
        "/hf/org/open/resolve/refs%2Fpr%2F1/tokenizer.json",
        "/hf/org/open/resolve/refs%2fpr%2f1/tokenizer.json",
        "/hf/org/open/resolve/refs/pr/1/tokenizer.json",
    ] {
        let Decision::Forward { target: t, .. } = p.decide(&request("GET", target, &[])) else {
            panic!("{target}")
        };
        assert_eq!(
            (t.revision.as_str(), t.path.as_str()),
            ("refs/pr/1", "tokenizer.json"),
            "{target}"
        );
    }
    let refused = p.decide(&request(
        "GET",
        "/hf/org/pinned/resolve/refs%2Fpr%2F1/tokenizer.json",
        &[],
    ));
    assert!(matches!(refused, Decision::Reject(r) if r.status == 403));
    for hostile in [
        "/hf/org/open/resolve/refs%2F..%2F..%2Fx/tokenizer.json",
        "/hf/org/open/resolve/refs%2F%2Fpr/tokenizer.json",
        "/hf/org/open/resolve/main%2F..%2Fx/tokenizer.json",
        "/hf/org/open/resolve/refs%2Fpr%2F1%252F/tokenizer.json",
    ] {
        assert!(
            matches!(p.decide(&request("GET", hostile, &[])), Decision::Reject(r) if r.status == 400),
            "{hostile}"
        );
    }
}

#[test]
fn a_rebound_host_is_refused_before_anything_else() {
    let p = ProxyPolicy {
        hosts: vec![HostName::parse("app.example").unwrap()],
        ..policy()
    };
    let ok = "/hf/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json";
    let local = LocalAddress::parse("127.0.0.1", 8787);
    let ask = |host| InboundRequest {
        host: Some(host),
        local,
        ..request("GET", ok, &[])
    };
    assert!(matches!(p.decide(&ask("app.example")), Decision::Forward { .. }));
    assert!(matches!(p.decide(&ask("127.0.0.1:8787")), Decision::Forward { .. }));
    assert!(matches!(p.decide(&ask("attacker.example:8787")), Decision::Reject(r) if r.status == 403));
}

#[test]
fn a_preflight_may_ask_for_the_apps_own_headers_when_listed() {
    let p = ProxyPolicy {
        cors: Cors {
            origins: vec!["http://localhost:5173".into()],
            allow_headers: vec!["authorization".into()],
            credentials: true,
        },
        ..policy()
    };
    let headers = h(&[
        ("origin", "http://localhost:5173"),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "authorization, range"),
    ]);
    assert_eq!(p.decide(&request("OPTIONS", "/hf/x", &headers)), Decision::Preflight);
    let Decision::Forward { headers, .. } = p.decide(&request(
        "GET",
        "/hf/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json",
        &h(&[("authorization", "Bearer app-session")]),
    )) else {
        panic!()
    };
    assert!(headers.is_empty(), "the app's credentials are never forwarded");
}

mod hops {
    use url::Url;

    use super::*;
    use crate::core::endpoint::Endpoint;

    fn asked() -> ProxyTarget {
        parse_target("/meta-llama/Llama-2-7b-hf/resolve/main/tokenizer.json", "").unwrap()
    }

    fn hop(to: &str, mode: LargeFiles) -> Hop {
        let endpoint = Endpoint::parse("https://huggingface.co").unwrap();
        decide_hop(&policy().allow, &endpoint, &asked(), &Url::parse(to).unwrap(), mode)
    }

    #[test]
    fn every_hub_hop_is_checked_against_the_allow_list() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        for ok in [
            "https://huggingface.co/meta-llama/Llama-2-7b-hf/resolve/abc/tokenizer.json".to_owned(),
            format!(
                "https://huggingface.co/api/resolve-cache/models/meta-llama/Llama-2-7b-hf/{sha}/tokenizer.json?etag=x"
            ),
            "https://huggingface.co/org/pinned/resolve/v1.0/tokenizer.json".to_owned(),
        ] {
            assert_eq!(hop(&ok, LargeFiles::Stream), Hop::Follow, "{ok}");
        }
        for refused in [
            "https://huggingface.co/hubguard-test/private/resolve/main/tokenizer.json".to_owned(),
            "https://huggingface.co/api/whoami-v2".to_owned(),
            format!("https://huggingface.co/api/resolve-cache/models/other/repo/{sha}/tokenizer.json"),
            "https://huggingface.co/org/pinned/resolve/main/tokenizer.json".to_owned(),
            "https://huggingface.co/meta-llama/Llama-2-7b-hf/tree/main".to_owned(),
        ] {
            assert!(
                matches!(hop(&refused, LargeFiles::Stream), Hop::Refuse(r) if r.status == 403),
                "{refused}"
            );
        }
    }

    #[test]
    fn another_origin_is_followed_or_handed_to_the_client() {
        let cdn = "https://cdn-lfs.hf.co/repos/x?X-Amz-Signature=s";
        assert_eq!(hop(cdn, LargeFiles::Stream), Hop::Follow);
        assert_eq!(hop(cdn, LargeFiles::Redirect), Hop::Redirect);
        // A look-alike is another origin, never the Hub.
        assert_eq!(
            hop(
                "https://huggingface.co.evil.example/api/whoami-v2",
                LargeFiles::Redirect
            ),
            Hop::Redirect
        );
    }

    #[test]
    fn a_mirror_under_a_path_is_matched_below_it() {
        let endpoint = Endpoint::parse("https://mirror.example/hf").unwrap();
        let ok = Url::parse("https://mirror.example/hf/meta-llama/Llama-2-7b-hf/resolve/v2/tokenizer.json").unwrap();
        let out = Url::parse("https://mirror.example/meta-llama/Llama-2-7b-hf/resolve/v2/tokenizer.json").unwrap();
        let allow = &policy().allow;
        assert_eq!(
            decide_hop(allow, &endpoint, &asked(), &ok, LargeFiles::Stream),
            Hop::Follow
        );
        assert!(matches!(
            decide_hop(allow, &endpoint, &asked(), &out, LargeFiles::Stream),
            Hop::Refuse(_)
        ));
    }
}

mod answers {
    use url::Url;

    use super::*;

    const CORS: &[(String, String)] = &[];

    fn up<'a>(status: u16, from_hub: bool, headers: &'a [(String, String)]) -> Upstream<'a> {
        Upstream {
            status,
            from_hub,
            headers,
            head: false,
            secret: Some("server_secret_token"),
        }
    }

    #[test]
    fn every_upstream_status_maps_to_a_valid_answer() {
        for status in [
            0,
            1,
            99,
            100,
            101,
            199,
            200,
            201,
            204,
            205,
            206,
            299,
            300,
            304,
            305,
            399,
            400,
            401,
            404,
            416,
            429,
            500,
            599,
            600,
            999,
            1000,
            u16::MAX,
        ] {
            for from_hub in [true, false] {
                let a = answer_upstream(&up(status, from_hub, &[]), CORS);
                assert!((200..=599).contains(&a.status), "{status} → {}", a.status);
                assert!(!matches!(a.status, 204 | 205 | 304) || a.body == Body::None, "{status}");
                assert!(a.status != 101 && a.status != 100);
            }
        }
        assert_eq!(answer_upstream(&up(204, true, &[]), CORS).status, 502);
        assert_eq!(answer_upstream(&up(999, true, &[]), CORS).status, 502);
        assert_eq!(answer_upstream(&up(404, true, &[]), CORS).status, 404);
        assert_eq!(answer_upstream(&up(404, false, &[]), CORS).status, 502);
        assert_eq!(answer_upstream(&up(416, false, &[]), CORS).status, 416);
        assert_eq!(answer_upstream(&up(206, false, &[]), CORS).body, Body::Upstream);
    }

    #[test]
    fn an_invalid_server_token_is_a_generic_502() {
        let headers = h(&[("x-error-message", "Invalid credentials in Authorization header")]);
        let a = answer_upstream(&up(401, true, &headers), CORS);
        assert_eq!(a.status, 502);
        assert!(!format!("{a:?}").contains("Invalid credentials"));
    }

    #[test]
    fn file_answers_carry_the_safety_headers_and_no_secret() {
        let headers = h(&[
            ("content-type", "text/html"),
            ("etag", "\"server_secret_token\""),
            ("set-cookie", "a=b"),
        ]);
        let a = answer_upstream(&up(200, true, &headers), CORS);
        let has = |k: &str, v: &str| a.headers.contains(&(k.to_owned(), v.to_owned()));
        assert!(has("x-content-type-options", "nosniff") && has("content-security-policy", "sandbox"));
        assert!(
            has("content-disposition", "attachment") && has("cache-control", "private, max-age=0, must-revalidate")
        );
        assert!(!format!("{a:?}").contains("server_secret_token") && !format!("{a:?}").contains("set-cookie"));
        let head = answer_upstream(
            &Upstream {
                head: true,
                ..up(200, true, &headers)
            },
            CORS,
        );
        assert_eq!(head.body, Body::None);
    }

    #[test]
    fn hub_errors_pass_with_their_codes_and_retry_after() {
        let headers = h(&[
            ("x-error-code", "GatedRepo"),
            (
                "x-error-message",
                "Access to model x is restricted; token server_secret_token",
            ),
            ("retry-after", "7"),
        ]);
        let a = answer_upstream(&up(429, true, &headers), CORS);
        assert_eq!(a.status, 429);
        assert!(a.headers.contains(&("retry-after".into(), "7".into())));
        assert!(a.headers.contains(&("x-error-code".into(), "GatedRepo".into())));
        assert!(!format!("{a:?}").contains("server_secret_token"));
    }

    #[test]
    fn redirect_mode_answers_a_302_to_the_signed_url_and_nothing_else_of_the_hub() {
        let hub = h(&[
            ("x-linked-size", "42"),
            ("x-repo-commit", "abc"),
            ("set-cookie", "a=b"),
            ("x-error-message", "no"),
        ]);
        let cdn = Url::parse("https://cdn.example/blob?X-Amz-Signature=s").unwrap();
        let a = answer_redirect(&cdn, &hub, None, CORS);
        assert_eq!((a.status, &a.body), (302, &Body::None));
        assert!(a.headers.contains(&("location".into(), cdn.to_string())));
        assert!(a.headers.contains(&("cache-control".into(), "no-store".into())));
        assert!(a.headers.contains(&("x-linked-size".into(), "42".into())));
        assert!(!a
            .headers
            .iter()
            .any(|(k, _)| k == "set-cookie" || k == "x-error-message"));
    }
}
