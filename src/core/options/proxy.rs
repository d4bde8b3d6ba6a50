//! `createHubProxy(options)`, read into the proxy's policy, limits and
//! timeouts. Keys are camelCase (the proxy is a JS server API); an unknown
//! key is refused by name, nested ones too (a typo such as `origin` would
//! otherwise quietly turn a setting off).

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::values::{non_negative, string_list, token};
use super::{invalid, nested, JsValues};
use crate::core::endpoint::Endpoint;
use crate::core::error::HubError;
use crate::core::proxy::{AllowList, AllowRule, Cors, HostName, LargeFiles, LimitConfig, ProxyPolicy, Timeouts};
use crate::core::token::TokenOption;

pub const CREATE: &str = "createHubProxy";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, bound = "")]
pub struct ProxyOptions<J: JsValues> {
    /// Exact repos the proxy serves: "org/name", or `{ repo, revisions, files }`.
    #[serde(default, deserialize_with = "allow_items")]
    allow: Option<Vec<AllowItem>>,
    #[serde(default, deserialize_with = "string_list")]
    origins: Option<Vec<String>>,
    endpoint: Option<String>,
    #[serde(default, deserialize_with = "token")]
    pub token: Option<TokenOption>,
    #[serde(rename = "basePath")]
    base_path: Option<String>,
    #[serde(rename = "rateLimit", default, deserialize_with = "nested")]
    rate_limit: Option<RateLimit>,
    #[serde(rename = "maxConcurrent", default, deserialize_with = "non_negative")]
    max_concurrent: Option<f64>,
    #[serde(rename = "maxPerClient", default, deserialize_with = "non_negative")]
    max_per_client: Option<f64>,
    #[serde(default, deserialize_with = "string_list")]
    hosts: Option<Vec<String>>,
    /// Called before anything goes upstream (the binding calls it).
    pub authorize: Option<J::Function>,
    /// The access log: the JS half calls it; checked here with the rest.
    #[serde(rename = "onRequest")]
    pub on_request: Option<J::Function>,
    #[serde(rename = "largeFiles", default, deserialize_with = "large_files")]
    large_files: Option<LargeFiles>,
    #[serde(default, deserialize_with = "nested")]
    timeouts: Option<TimeoutsIn>,
    #[serde(rename = "allowHeaders", default, deserialize_with = "string_list")]
    allow_headers: Option<Vec<String>>,
    #[serde(rename = "allowCredentials")]
    allow_credentials: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RateLimit {
    #[serde(default, deserialize_with = "non_negative")]
    requests: Option<f64>,
    #[serde(rename = "perSeconds", default, deserialize_with = "non_negative")]
    per_seconds: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeoutsIn {
    #[serde(default, deserialize_with = "non_negative")]
    idle: Option<f64>,
    #[serde(default, deserialize_with = "non_negative")]
    write: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleIn {
    repo: String,
    #[serde(default, deserialize_with = "string_list")]
    revisions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "string_list")]
    files: Option<Vec<String>>,
}

enum AllowItem {
    Repo(String),
    Rule(RuleIn),
}

/// What the proxy runs with (its functions stay with the binding).
pub struct ProxySettings {
    pub policy: ProxyPolicy,
    pub endpoint: Endpoint,
    pub token: TokenOption,
    pub limits: LimitConfig,
    pub timeouts: Timeouts,
    pub large_files: LargeFiles,
}

impl<J: JsValues> ProxyOptions<J> {
    /// The settings, with `HF_ENDPOINT` as the endpoint's default.
    pub fn settings(&self, hf_endpoint: Option<&str>) -> Result<ProxySettings, HubError> {
        let hosts = self
            .hosts
            .iter()
            .flatten()
            .map(|h| {
                HostName::parse(h).ok_or_else(|| {
                    invalid(
                        CREATE,
                        format_args!(
                            "`hosts`: {h:?} is not a host name (such as \"app.example\" or \"app.example:8443\")."
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let allow_headers = self
            .allow_headers
            .iter()
            .flatten()
            .map(|h| header_name(h))
            .collect::<Result<Vec<_>, _>>()?;
        let rules = self
            .allow
            .iter()
            .flatten()
            .map(|item| match item {
                AllowItem::Repo(repo) => AllowRule::parse(repo, None, None),
                AllowItem::Rule(rule) => AllowRule::parse(&rule.repo, rule.revisions.clone(), rule.files.clone()),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProxySettings {
            policy: ProxyPolicy {
                allow: AllowList::new(rules)?,
                cors: Cors {
                    origins: self.origins.clone().unwrap_or_default(),
                    allow_headers,
                    credentials: self.allow_credentials.unwrap_or(false),
                },
                base_path: self.base_path.clone().unwrap_or_default(),
                hosts,
            },
            endpoint: Endpoint::choose(self.endpoint.as_deref(), hf_endpoint)?,
            token: self.token.clone().unwrap_or_default(),
            limits: self.limits(),
            timeouts: self.timeouts(),
            large_files: self.large_files.unwrap_or_default(),
        })
    }

    fn limits(&self) -> LimitConfig {
        let mut limits = LimitConfig::default();
        if let Some(rate) = &self.rate_limit {
            limits.requests = rate.requests.map_or(limits.requests, |n| n.max(1.0) as u32);
            limits.per_seconds = rate.per_seconds.map_or(limits.per_seconds, |n| n.max(0.001));
        }
        if let Some(n) = self.max_concurrent {
            limits.max_concurrent = n.max(1.0) as u32;
            // The default share of a smaller cap: half of it, at most 8.
            limits.max_per_client = (limits.max_concurrent / 2).clamp(1, 8);
        }
        if let Some(n) = self.max_per_client {
            limits.max_per_client = n.max(1.0) as u32;
        }
        limits.normalized()
    }

    fn timeouts(&self) -> Timeouts {
        let mut timeouts = Timeouts::default();
        if let Some(given) = &self.timeouts {
            let ms = |n: f64| n.clamp(1.0, u32::MAX as f64) as u32;
            timeouts.idle_ms = given.idle.map_or(timeouts.idle_ms, ms);
            timeouts.write_ms = given.write.map_or(timeouts.write_ms, ms);
        }
        timeouts
    }
}

/// A header name a page may send: an HTTP token, kept in lower case.
fn header_name(name: &str) -> Result<String, HubError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !ok {
        return Err(invalid(
            CREATE,
            format_args!("`allowHeaders`: {name:?} is not a header name."),
        ));
    }
    Ok(name.to_ascii_lowercase())
}

/// `largeFiles`: 'stream' (default) or 'redirect'.
fn large_files<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LargeFiles>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref() {
        None => Ok(None),
        Some("stream") => Ok(Some(LargeFiles::Stream)),
        Some("redirect") => Ok(Some(LargeFiles::Redirect)),
        Some(other) => Err(de::Error::invalid_value(
            de::Unexpected::Str(other),
            &"'stream' or 'redirect'",
        )),
    }
}

/// `allow`: a repo, a rule, or a list of them.
fn allow_items<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<AllowItem>>, D::Error> {
    struct Items;
    impl<'de> Visitor<'de> for Items {
        type Value = Option<Vec<AllowItem>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of repos (\"org/name\" or { repo, revisions, files })")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(vec![AllowItem::Repo(v.to_owned())]))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            RuleIn::deserialize(MapAccessDeserializer::new(map)).map(|r| Some(vec![AllowItem::Rule(r)]))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element::<AllowItem>()? {
                out.push(item);
            }
            Ok(Some(out))
        }
    }
    d.deserialize_option(Items)
}

impl<'de> Deserialize<'de> for AllowItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Item;
        impl<'de> Visitor<'de> for Item {
            type Value = AllowItem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a repo (\"org/name\") or { repo, revisions, files }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AllowItem, E> {
                Ok(AllowItem::Repo(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<AllowItem, A::Error> {
                RuleIn::deserialize(MapAccessDeserializer::new(map)).map(AllowItem::Rule)
            }
        }
        d.deserialize_any(Item)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::error::ErrorCode;
    use crate::core::options::{read, Json};

    fn settings(value: serde_json::Value) -> Result<ProxySettings, String> {
        read::<ProxyOptions<Json>, _>(CREATE, value)
            .and_then(|o| o.settings(None))
            .map_err(|e| {
                assert_eq!(e.code, ErrorCode::InvalidOption, "{}", e.message);
                e.message
            })
    }

    #[test]
    fn the_options_make_the_policy() {
        let s = settings(json!({
            "allow": ["org/a", {"repo": "org/b", "revisions": "main", "files": ["config.json"]}],
            "origins": "http://app.test", "basePath": "/hf", "hosts": ["app.test:8443"],
            "allowHeaders": ["Authorization"], "allowCredentials": true, "largeFiles": "redirect",
            "rateLimit": {"requests": 10, "perSeconds": 1}, "maxConcurrent": 4, "timeouts": {"idle": 5},
            "token": false, "endpoint": "http://hub.test"
        }))
        .unwrap();
        assert_eq!(s.policy.cors.origins, ["http://app.test"]);
        assert_eq!(
            (s.policy.cors.allow_headers.as_slice(), s.policy.cors.credentials),
            (&["authorization".to_owned()][..], true)
        );
        assert_eq!((s.policy.base_path.as_str(), s.policy.hosts.len()), ("/hf", 1));
        assert_eq!(s.large_files, LargeFiles::Redirect);
        assert_eq!(
            (s.limits.requests, s.limits.max_concurrent, s.limits.max_per_client),
            (10, 4, 2)
        );
        assert_eq!(
            (s.timeouts.idle_ms, s.timeouts.write_ms),
            (5, Timeouts::default().write_ms)
        );
        assert_eq!(s.token, TokenOption::Disabled);
        assert_eq!(s.endpoint.prefix_url(), "http://hub.test/");
    }

    #[test]
    fn a_smaller_max_concurrent_lowers_the_per_client_share() {
        let share = |v| settings(v).unwrap().limits.max_per_client;
        assert_eq!(share(json!({"allow": "org/a", "maxConcurrent": 40})), 8);
        assert_eq!(share(json!({"allow": "org/a", "maxConcurrent": 1})), 1);
        assert_eq!(
            share(json!({"allow": "org/a", "maxConcurrent": 40, "maxPerClient": 12})),
            12
        );
    }

    #[test]
    fn a_single_repo_is_an_allow_list() {
        assert!(settings(json!({"allow": "org/a"})).is_ok());
    }

    #[test]
    fn an_unknown_key_is_named_at_every_level() {
        let m = settings(json!({"allow": ["org/a"], "origin": "x"})).err().unwrap();
        assert!(
            m.starts_with("createHubProxy: unknown option `origin`; the options are allow, origins,"),
            "{m}"
        );
        let m = settings(json!({"allow": ["org/a"], "rateLimit": {"perSecond": 1}}))
            .err()
            .unwrap();
        assert!(m.contains("unknown option `rateLimit.perSecond`"), "{m}");
        let m = settings(json!({"allow": [{"repo": "org/a", "file": ["x"]}]}))
            .err()
            .unwrap();
        assert!(m.contains("unknown option `allow[0].file`"), "{m}");
    }

    #[test]
    fn wrong_values_say_what_they_must_be() {
        let m = settings(json!({"allow": ["org/a"], "largeFiles": "teleport"}))
            .err()
            .unwrap();
        assert_eq!(m, "createHubProxy: `largeFiles` must be 'stream' or 'redirect'.");
        let m = settings(json!({"allow": [{"revisions": ["main"]}]})).err().unwrap();
        assert_eq!(m, "createHubProxy: `allow[0].repo` is required.");
        let m = settings(json!({"allow": [5]})).err().unwrap();
        assert_eq!(
            m,
            "createHubProxy: `allow[0]` must be a repo (\"org/name\") or { repo, revisions, files }."
        );
        let m = settings(json!({"allow": ["org/a"], "hosts": ["bad host"]}))
            .err()
            .unwrap();
        assert!(m.contains("is not a host name"), "{m}");
        let m = settings(json!({"allow": ["org/a"], "allowHeaders": ["bad header"]}))
            .err()
            .unwrap();
        assert!(m.contains("is not a header name"), "{m}");
        let m = settings(json!({"allow": ["org/a"], "rateLimit": 5})).err().unwrap();
        assert_eq!(m, "createHubProxy: `rateLimit` must be an object.");
    }
}
