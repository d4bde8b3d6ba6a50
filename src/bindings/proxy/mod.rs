//! `HubProxy` (server builds): the server half of the browser rule. It holds
//! the token, serves only allowlisted repo files, and hands each answer to
//! the package's JS half (server/proxy.cjs) as a plain description: status,
//! headers, and a body that is nothing, a JSON text, or the upstream body to
//! stream. Every answer has a ticket; the JS half calls `finish(ticket)`
//! exactly once when its body has ended, which gives back the concurrency
//! slot and returns the access-log entry. The decisions are the core's
//! (core/proxy); this module converts.

mod config;
mod forward;
mod reply;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::Promise;
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::Request;

use self::config::{configure, ProxyConfig};
use self::reply::{describe, Reply};
use super::options::{read, JsSignal};
use crate::core::error::HubError;
use crate::core::proxy::{
    authorization, AccessEntry, Answer, AuthOutcome, Decision, InboundRequest, Limiter, LocalAddress, Outcome, Refusal,
    AUTHORIZE_FAILED,
};
use crate::platform::header_list;

/// One answer not yet finished: its slot (the client key it was taken
/// for) and its access-log entry.
struct InFlight {
    slot: Option<String>,
    entry: AccessEntry,
    started_ms: f64,
}

struct Proxy {
    config: ProxyConfig,
    limiter: RefCell<Limiter>,
    in_flight: RefCell<HashMap<u32, InFlight>>,
    next_ticket: Cell<u32>,
}

#[wasm_bindgen(js_name = HubProxy)]
pub struct JsHubProxy {
    proxy: Rc<Proxy>,
}

#[wasm_bindgen(js_class = HubProxy)]
impl JsHubProxy {
    /// The options of `createHubProxy` (README, index.d.ts).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsHubProxy, HubError> {
        let config = configure(&options)?;
        let limiter = RefCell::new(Limiter::new(config.limits));
        Ok(JsHubProxy {
            proxy: Rc::new(Proxy {
                config,
                limiter,
                in_flight: RefCell::new(HashMap::new()),
                next_ticket: Cell::new(1),
            }),
        })
    }

    /// `handle(request, { rawTarget?, clientAddress?, localAddress?,
    /// localPort?, hasBody?, signal? })` → `Promise<description>`. Never
    /// rejects: anything, a non-Request included, gets an HTTP answer.
    pub fn handle(&self, request: JsValue, context: JsValue) -> Promise {
        let proxy = self.proxy.clone();
        future_to_promise(async move { Ok(proxy.handle(request, context).await) })
    }

    /// The body of ticket's answer ended after `bytes`, as `outcome`
    /// ('complete', 'aborted', 'timeout', 'failed'): its slot is given back.
    /// Returns the access-log entry (undefined for an unknown ticket).
    pub fn finish(&self, ticket: u32, bytes: f64, outcome: &str) -> JsValue {
        let Some(mut done) = self.proxy.in_flight.borrow_mut().remove(&ticket) else {
            return JsValue::UNDEFINED;
        };
        if let Some(client) = &done.slot {
            self.proxy.limiter.borrow_mut().release(client);
        }
        let elapsed = js_sys::Date::now() - done.started_ms;
        done.entry
            .finish(bytes.max(0.0) as u64, elapsed, Outcome::parse(outcome));
        let json = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(true);
        serde::Serialize::serialize(&done.entry, &json).unwrap_or(JsValue::UNDEFINED)
    }

    /// `{ idle, write }` in milliseconds, for the JS half's stream watchdog.
    pub fn timeouts(&self) -> JsValue {
        let t = self.proxy.config.timeouts;
        let out = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&out, &"idle".into(), &t.idle_ms.into());
        let _ = js_sys::Reflect::set(&out, &"write".into(), &t.write_ms.into());
        out.into()
    }

    #[wasm_bindgen(getter, js_name = hasAuthorize)]
    pub fn has_authorize(&self) -> bool {
        self.proxy.config.authorize.is_some()
    }

    /// Answers in flight (unfinished tickets): for tests and the load benchmark.
    #[wasm_bindgen(getter, js_name = inFlight)]
    pub fn in_flight(&self) -> u32 {
        self.proxy.limiter.borrow().in_flight()
    }
}

/// `handle`'s context, as the JS half builds it (server/proxy.cjs picks
/// these keys, each of its type, from what the app passed).
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandleContext {
    raw_target: Option<String>,
    client_address: Option<String>,
    local_address: Option<String>,
    local_port: Option<f64>,
    has_body: Option<bool>,
    signal: Option<JsSignal>,
}

/// What the request said, read once.
struct Inbound {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    has_body: bool,
    host: Option<String>,
    local: Option<LocalAddress>,
    client: Option<String>,
    signal: Option<web_sys::AbortSignal>,
}

impl Inbound {
    fn read(request: &Request, context: &JsValue) -> Inbound {
        let context: HandleContext = read("handle", context).unwrap_or_default();
        let url = url::Url::parse(&request.url()).ok();
        // A Fetch-API Request's URL is already normalised (dot segments and
        // backslashes resolved); the Node adapter passes the raw target.
        let target = context.raw_target.unwrap_or_else(|| match &url {
            Some(u) => match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            },
            None => "/".to_owned(),
        });
        let headers = header_list(&request.headers());
        let host = headers
            .iter()
            .find(|(k, _)| k == "host")
            .map(|(_, v)| v.clone())
            .or_else(|| {
                url.as_ref().and_then(|u| {
                    u.host_str().map(|h| match u.port() {
                        Some(p) => format!("{h}:{p}"),
                        None => h.to_owned(),
                    })
                })
            });
        let local = match (&context.local_address, context.local_port) {
            (Some(ip), Some(port)) if (0.0..=65535.0).contains(&port) => LocalAddress::parse(ip, port as u16),
            _ => None,
        };
        let has_body = request.body().is_some() || context.has_body.unwrap_or(false);
        Inbound {
            method: request.method(),
            target,
            headers,
            has_body,
            host,
            local,
            client: context.client_address,
            signal: context.signal.map(|s| s.0),
        }
    }
}

impl Proxy {
    async fn handle(self: Rc<Self>, request: JsValue, context: JsValue) -> JsValue {
        let started_ms = js_sys::Date::now();
        let Ok(request) = request.dyn_into::<Request>() else {
            let answer = Answer::error(400, "The proxy handler takes a Fetch API Request.", &[], &[]);
            let entry = AccessEntry::new("unknown", "OTHER", None, 400);
            return self.reply(Reply::plain(answer), entry, None, started_ms);
        };
        let inbound = Inbound::read(&request, &context);
        let decision = self.config.policy.decide(&InboundRequest {
            method: &inbound.method,
            target: &inbound.target,
            headers: &inbound.headers,
            has_body: inbound.has_body,
            host: inbound.host.as_deref(),
            local: inbound.local,
        });
        let origin = inbound
            .headers
            .iter()
            .find(|(k, _)| k == "origin")
            .map(|(_, v)| v.as_str());
        let cors = |preflight| self.config.policy.cors.headers(origin, preflight);
        let address = inbound
            .client
            .clone()
            .or_else(|| origin.map(str::to_owned))
            .unwrap_or_else(|| "unknown".into());
        let (target, head, headers) = match decision {
            Decision::Preflight => {
                let entry = AccessEntry::new(&address, &inbound.method, None, 204);
                return self.reply(Reply::plain(Answer::preflight(&cors(true))), entry, None, started_ms);
            }
            Decision::Reject(r) => {
                let entry = AccessEntry::new(&address, &inbound.method, None, r.status);
                return self.reply(Reply::plain(Answer::refusal(&r, &cors(false))), entry, None, started_ms);
            }
            Decision::Forward { target, head, headers } => (target, head, headers),
        };
        let entry = |identity: &str, status| AccessEntry::new(identity, &inbound.method, Some(&target), status);
        let secrets: Vec<&str> = inbound.headers.iter().map(|(_, v)| v.as_str()).collect();
        let (value, app_response) = reply::call_authorize(self.config.authorize.as_ref(), &request, &target).await;
        let identity = match authorization(value, &address, &secrets) {
            AuthOutcome::Allow { identity } => identity,
            AuthOutcome::Deny(r) => {
                let answer = Answer::refusal(&r, &cors(false));
                return self.reply(Reply::plain(answer), entry(&address, r.status), None, started_ms);
            }
            AuthOutcome::Respond => {
                let response = app_response.unwrap_or(JsValue::UNDEFINED);
                let status = response.dyn_ref::<web_sys::Response>().map_or(0, |r| r.status());
                return self.reply(Reply::app(response), entry(&address, status), None, started_ms);
            }
            AuthOutcome::Fail { log } => {
                let mut e = entry(&address, 500);
                e.error = Some(log);
                return self.reply(
                    Reply::plain(Answer::error(500, AUTHORIZE_FAILED, &cors(false), &[])),
                    e,
                    None,
                    started_ms,
                );
            }
        };
        let acquired = self.limiter.borrow_mut().acquire(&identity, js_sys::Date::now());
        let refused = match acquired {
            Ok(()) => None,
            Err(Refusal::RateLimited(wait)) => Some(Answer::rate_limited(wait, &cors(false))),
            Err(Refusal::ClientBusy) => Some(Answer::rate_limited(1, &cors(false))),
            Err(Refusal::Busy) => Some(Answer::busy(&cors(false))),
        };
        if let Some(answer) = refused {
            let status = answer.status;
            return self.reply(Reply::plain(answer), entry(&identity, status), None, started_ms);
        }
        // From here on the slot is ours until `finish`, on every path.
        let reply = forward::forward(&self.config, &target, head, &headers, &cors(false), inbound.signal).await;
        let status = reply.answer.status;
        self.reply(reply, entry(&identity, status), Some(identity.clone()), started_ms)
    }

    /// Registers the answer's ticket and describes it for the JS half.
    fn reply(&self, reply: Reply, entry: AccessEntry, slot: Option<String>, started_ms: f64) -> JsValue {
        let ticket = self.next_ticket.get();
        self.next_ticket.set(ticket.wrapping_add(1).max(1));
        self.in_flight.borrow_mut().insert(
            ticket,
            InFlight {
                slot,
                entry,
                started_ms,
            },
        );
        describe(reply, ticket)
    }
}
