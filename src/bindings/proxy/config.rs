//! `createHubProxy(options)`: the options object, read into the proxy's
//! policy. An unknown key is refused by name (a typo such as `origin` would
//! otherwise quietly turn a setting off).

use js_sys::{Function, Object};
use wasm_bindgen::{JsCast, JsValue};

use super::super::options::{wrong_type, Options};
use crate::core::endpoint::Endpoint;
use crate::core::error::{ErrorCode, HubError};
use crate::core::proxy::{AllowList, AllowRule, Cors, HostName, LargeFiles, LimitConfig, ProxyPolicy, Timeouts};
use crate::core::token::TokenOption;
use crate::platform;

pub const CREATE: &str = "createHubProxy";

const KNOWN: &[&str] = &[
    "allow",
    "origins",
    "endpoint",
    "token",
    "basePath",
    "rateLimit",
    "maxConcurrent",
    "maxPerClient",
    "hosts",
    "authorize",
    "onRequest",
    "largeFiles",
    "timeouts",
    "allowHeaders",
    "allowCredentials",
];

/// Everything the proxy was configured with.
pub struct ProxyConfig {
    pub policy: ProxyPolicy,
    pub endpoint: Endpoint,
    pub token: TokenOption,
    pub limits: LimitConfig,
    pub timeouts: Timeouts,
    pub large_files: LargeFiles,
    pub authorize: Option<Function>,
}

pub fn configure(options: &JsValue) -> Result<ProxyConfig, HubError> {
    let o = Options::new(options, CREATE)?;
    refuse_unknown(options)?;
    let origins = o.string_list("origins")?.unwrap_or_default();
    let endpoint = Endpoint::choose(
        o.string("endpoint")?.as_deref(),
        platform::env_var("HF_ENDPOINT").as_deref(),
    )?;
    let hosts = o
        .string_list("hosts")?
        .unwrap_or_default()
        .iter()
        .map(|h| {
            HostName::parse(h).ok_or_else(|| {
                invalid(format!(
                    "`hosts`: {h:?} is not a host name (such as \"app.example\" or \"app.example:8443\")."
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let allow_headers = o
        .string_list("allowHeaders")?
        .unwrap_or_default()
        .iter()
        .map(|h| header_name(h))
        .collect::<Result<Vec<_>, _>>()?;
    o.function("onRequest")?; // read by the JS half; checked here with the rest
    Ok(ProxyConfig {
        policy: ProxyPolicy {
            allow: allow_list(&o)?,
            cors: Cors {
                origins,
                allow_headers,
                credentials: o.bool_or("allowCredentials", false)?,
            },
            base_path: o.string("basePath")?.unwrap_or_default(),
            hosts,
        },
        endpoint,
        token: o.token()?,
        limits: limits(&o)?,
        timeouts: timeouts(&o)?,
        large_files: match o.string("largeFiles")?.as_deref() {
            None | Some("stream") => LargeFiles::Stream,
            Some("redirect") => LargeFiles::Redirect,
            Some(_) => return Err(wrong_type(CREATE, "largeFiles", "'stream' or 'redirect'")),
        },
        authorize: o.function("authorize")?,
    })
}

fn invalid(message: String) -> HubError {
    HubError::new(ErrorCode::InvalidOption, format!("{CREATE}: {message}"))
}

fn refuse_unknown(options: &JsValue) -> Result<(), HubError> {
    let Some(object) = options.dyn_ref::<Object>() else {
        return Ok(());
    };
    for key in Object::keys(object).iter().filter_map(|k| k.as_string()) {
        if !KNOWN.contains(&key.as_str()) {
            return Err(invalid(format!(
                "unknown option `{}`; the options are {}.",
                crate::core::repo::truncate_for_message(&key),
                KNOWN.join(", ")
            )));
        }
    }
    Ok(())
}

fn allow_list(o: &Options<'_>) -> Result<AllowList, HubError> {
    let mut rules = Vec::new();
    for item in o.list("allow").unwrap_or_default() {
        rules.push(match item.as_string() {
            Some(repo) => AllowRule::parse(&repo, None, None)?,
            None => {
                let rule = Options::new(&item, CREATE)?;
                let repo = rule
                    .string("repo")?
                    .ok_or_else(|| wrong_type(CREATE, "allow[].repo", "a string"))?;
                AllowRule::parse(&repo, rule.string_list("revisions")?, rule.string_list("files")?)?
            }
        });
    }
    AllowList::new(rules)
}

fn limits(o: &Options<'_>) -> Result<LimitConfig, HubError> {
    let mut limits = LimitConfig::default();
    if let Some(rate) = o.object("rateLimit") {
        let rate = Options::new(&rate, CREATE)?;
        limits.requests = rate.number("requests")?.map_or(limits.requests, |n| n.max(1.0) as u32);
        limits.per_seconds = rate.number("perSeconds")?.map_or(limits.per_seconds, |n| n.max(0.001));
    }
    if let Some(n) = o.number("maxConcurrent")? {
        limits.max_concurrent = n.max(1.0) as u32;
        // The default share of a smaller cap: half of it, at most 8.
        limits.max_per_client = (limits.max_concurrent / 2).clamp(1, 8);
    }
    if let Some(n) = o.number("maxPerClient")? {
        limits.max_per_client = n.max(1.0) as u32;
    }
    Ok(limits.normalized())
}

fn timeouts(o: &Options<'_>) -> Result<Timeouts, HubError> {
    let mut timeouts = Timeouts::default();
    if let Some(given) = o.object("timeouts") {
        let given = Options::new(&given, CREATE)?;
        let ms = |n: f64| n.clamp(1.0, u32::MAX as f64) as u32;
        timeouts.idle_ms = given.number("idle")?.map_or(timeouts.idle_ms, ms);
        timeouts.write_ms = given.number("write")?.map_or(timeouts.write_ms, ms);
    }
    Ok(timeouts)
}

/// A header name a page may send: an HTTP token, kept in lower case.
fn header_name(name: &str) -> Result<String, HubError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !ok {
        return Err(invalid(format!("`allowHeaders`: {name:?} is not a header name.")));
    }
    Ok(name.to_ascii_lowercase())
}
