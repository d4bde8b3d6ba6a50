//! `HubProxy` (Node build): the server half of the browser rule. It holds the
//! token, serves only allowlisted repo files, and streams them back.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{Headers, ReadableStream, ReadableWritablePair, Request, Response, ResponseInit, TransformStream};

use super::errors::to_js;
use super::options::Options;
use crate::core::classify::PROXY_REFUSED_CODE;
use crate::core::endpoint::Endpoint;
use crate::core::error::HubError;
use crate::core::proxy::{
    cors_headers, filter_outbound, AllowList, AllowRule, Decision, InboundRequest, LimitConfig, Limiter, ProxyPolicy,
    ProxyTarget, Refusal,
};
use crate::core::redact::scrub;
use crate::core::token::TokenOption;
use crate::hub::download::{FileRef, HubClient};
use crate::hub::transport::Method;
use crate::platform::{self, header_list, HttpTransport};

const CREATE: &str = "createHubProxy";

struct Proxy {
    policy: ProxyPolicy,
    endpoint: Endpoint,
    token: TokenOption,
    limiter: RefCell<Limiter>,
}

#[wasm_bindgen(js_name = HubProxy)]
pub struct JsHubProxy {
    proxy: Rc<Proxy>,
}

#[wasm_bindgen(js_class = HubProxy)]
impl JsHubProxy {
    /// Options: allow, origins, endpoint, token, basePath, rateLimit
    /// ({ requests, perSeconds }), maxConcurrent.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<JsHubProxy, JsValue> {
        configure(&options)
            .map(|proxy| JsHubProxy { proxy: Rc::new(proxy) })
            .map_err(to_js)
    }

    /// `handle(request, { rawTarget?, clientAddress?, hasBody? })` →
    /// `Promise<Response>`. Never rejects: every failure is an HTTP answer.
    pub fn handle(&self, request: Request, context: JsValue) -> Promise {
        let proxy = self.proxy.clone();
        future_to_promise(async move { Ok(proxy.handle(request, context).await.into()) })
    }
}

fn configure(options: &JsValue) -> Result<Proxy, HubError> {
    let o = Options::new(options, CREATE)?;
    let mut rules = Vec::new();
    for item in o.list("allow").unwrap_or_default() {
        rules.push(match item.as_string() {
            Some(repo) => AllowRule::parse(&repo, None, None)?,
            None => {
                let rule = Options::new(&item, CREATE)?;
                let repo = rule
                    .string("repo")?
                    .ok_or_else(|| super::options::wrong_type(CREATE, "allow[].repo", "a string"))?;
                AllowRule::parse(&repo, rule.string_list("revisions")?, rule.string_list("files")?)?
            }
        });
    }
    let origins = o.string_list("origins")?.unwrap_or_default();
    let endpoint = Endpoint::choose(
        o.string("endpoint")?.as_deref(),
        platform::env_var("HF_ENDPOINT").as_deref(),
    )?;
    let mut limits = LimitConfig::default();
    if let Some(rate) = o.object("rateLimit") {
        let rate = Options::new(&rate, CREATE)?;
        limits.requests = rate.number("requests")?.map_or(limits.requests, |n| n.max(1.0) as u32);
        limits.per_seconds = rate.number("perSeconds")?.map_or(limits.per_seconds, |n| n.max(0.001));
    }
    limits.max_concurrent = o
        .number("maxConcurrent")?
        .map_or(limits.max_concurrent, |n| n.max(1.0) as u32);
    Ok(Proxy {
        policy: ProxyPolicy {
            allow: AllowList::new(rules)?,
            origins,
            base_path: o.string("basePath")?.unwrap_or_default(),
        },
        endpoint,
        token: o.token()?,
        limiter: RefCell::new(Limiter::new(limits)),
    })
}

impl Proxy {
    async fn handle(self: Rc<Self>, request: Request, context: JsValue) -> Response {
        let context = Options::new(&context, "handle").ok();
        let get = |key: &str| context.as_ref().and_then(|c| c.string(key).ok().flatten());
        // A Fetch-API Request's URL is already normalised (dot segments and
        // backslashes resolved); the Node adapter passes the raw target.
        let target = get("rawTarget").unwrap_or_else(|| path_of(&request.url()));
        let has_body = request.body().is_some()
            || context
                .as_ref()
                .is_some_and(|c| c.bool_or("hasBody", false).unwrap_or(false));
        let headers = header_list(&request.headers());
        let inbound = InboundRequest {
            method: &request.method(),
            target: &target,
            headers: &headers,
            has_body,
        };
        let origin = inbound.header("origin").map(str::to_owned);
        let allowed = origin.as_deref().is_some_and(|o| self.policy.origin_allowed(o));
        let cors = |preflight| cors_headers(origin.as_deref(), allowed, preflight);
        match self.policy.decide(&inbound) {
            Decision::Preflight => answer(204, &cors(true), None),
            Decision::Reject(r) => {
                let said = [
                    ("x-error-code".to_owned(), PROXY_REFUSED_CODE.to_owned()),
                    ("x-error-message".to_owned(), r.message.clone()),
                ];
                json_answer(r.status, &r.message, &cors(false), &said)
            }
            Decision::Forward { target, head, headers } => {
                let client = get("clientAddress")
                    .or(origin.clone())
                    .unwrap_or_else(|| "unknown".into());
                let now = js_sys::Date::now();
                let acquired = self.limiter.borrow_mut().acquire(&client, now);
                match acquired {
                    Err(Refusal::RateLimited(wait)) => {
                        let retry = [("retry-after".to_owned(), wait.to_string())];
                        json_answer(
                            429,
                            "Too many requests from this client; retry later.",
                            &cors(false),
                            &retry,
                        )
                    }
                    Err(Refusal::Busy) => {
                        let retry = [("retry-after".to_owned(), "1".to_owned())];
                        json_answer(503, "The proxy is busy; retry shortly.", &cors(false), &retry)
                    }
                    Ok(()) => {
                        let slot = Slot::new(self.clone());
                        self.forward(&request, target, head, &headers, &cors(false), &slot)
                            .await
                    }
                }
            }
        }
    }

    async fn forward(
        &self,
        request: &Request,
        target: ProxyTarget,
        head: bool,
        headers: &[(String, String)],
        cors: &[(String, String)],
        slot: &Rc<Slot>,
    ) -> Response {
        let credentials = match platform::configured_credentials(self.token.clone()) {
            Ok(c) => c,
            Err(_) => return slot.done(json_answer(500, "The proxy is misconfigured.", cors, &[])),
        };
        let transport = HttpTransport {
            signal: Some(request.signal()),
        };
        let client = HubClient {
            transport: &transport,
            credentials: &credentials,
            endpoint: self.endpoint.clone(),
            advice: platform::ADVICE,
        };
        let file = FileRef {
            repo_type: target.repo_type,
            repo: target.repo,
            revision: target.revision,
            path: target.path,
        };
        let method = if head { Method::Head } else { Method::Get };
        let upstream = match client.follow(&file, method, headers).await {
            Ok(upstream) => upstream,
            // Network or redirect trouble: say which kind, never where.
            Err(e) => {
                return slot.done(json_answer(
                    502,
                    &format!("The proxy could not fetch the file upstream ({}).", e.code),
                    cors,
                    &[],
                ))
            }
        };
        let status = upstream.response.status;
        let from_hub = self.endpoint.is_hub_origin(&upstream.url);
        let error_message = upstream.response.header("x-error-message").unwrap_or("").to_owned();
        if from_hub && status == 401 && error_message.contains("Invalid credentials") {
            // The server's own token is bad: the page must learn nothing about it.
            return slot.done(json_answer(
                502,
                "The proxy's Hub credentials were rejected; its operator must renew them.",
                cors,
                &[],
            ));
        }
        let success = (200..300).contains(&status) || status == 304 || status == 416;
        if !from_hub && !success {
            return slot.done(json_answer(
                502,
                &format!("The file storage answered HTTP {status}."),
                cors,
                &[],
            ));
        }
        let mut out = filter_outbound(&upstream.response.headers);
        out.extend_from_slice(cors);
        if !success {
            let message = if error_message.is_empty() {
                format!("The Hub answered HTTP {status}.")
            } else {
                scrub(&error_message, None)
            };
            out.retain(|(k, _)| k.starts_with("x-error") || k == "vary" || k.starts_with("access-control"));
            return slot.done(json_answer(status, &message, &[], &out));
        }
        // Gated and private bytes must not land in a shared cache.
        out.push(("cache-control".into(), "private, max-age=0, must-revalidate".into()));
        let body = if head || status == 304 {
            None
        } else {
            upstream.response.body.into_stream()
        };
        match body {
            Some(stream) => answer_with_stream(status, &out, stream, slot, request),
            None => slot.done(answer(status, &out, None)),
        }
    }
}

/// One request's place under the concurrency cap, given back exactly once:
/// when the streamed body ends, fails, or the client goes away.
struct Slot {
    proxy: Rc<Proxy>,
    released: Cell<bool>,
}

impl Slot {
    fn new(proxy: Rc<Proxy>) -> Rc<Slot> {
        Rc::new(Slot {
            proxy,
            released: Cell::new(false),
        })
    }

    fn release(&self) {
        if !self.released.replace(true) {
            self.proxy.limiter.borrow_mut().release();
        }
    }

    fn done<T>(&self, value: T) -> T {
        self.release();
        value
    }
}

/// Streams the upstream body through untouched; a TransformStream's flush
/// and the request's abort signal give the concurrency slot back.
fn answer_with_stream(
    status: u16,
    headers: &[(String, String)],
    stream: ReadableStream,
    slot: &Rc<Slot>,
    request: &Request,
) -> Response {
    let transformer = Object::new();
    let on_flush = slot.clone();
    let flush = Closure::once_into_js(move || on_flush.release());
    let _ = Reflect::set(&transformer, &"flush".into(), &flush);
    // A TransformStream is itself a { readable, writable } pair.
    let piped = TransformStream::new_with_transformer(&transformer)
        .map(|t| stream.pipe_through(t.unchecked_ref::<ReadableWritablePair>()));
    let on_abort = slot.clone();
    let abort = Closure::once_into_js(move || on_abort.release());
    let _ = request
        .signal()
        .add_event_listener_with_callback("abort", abort.unchecked_ref());
    match piped {
        Ok(body) => answer(status, headers, Some(&body)),
        Err(_) => slot.done(json_answer(500, "The proxy could not stream the answer.", headers, &[])),
    }
}

fn answer(status: u16, headers: &[(String, String)], body: Option<&ReadableStream>) -> Response {
    let init = ResponseInit::new();
    init.set_status(status);
    if let Ok(h) = Headers::new() {
        for (k, v) in headers {
            let _ = h.set(k, v);
        }
        init.set_headers(&h);
    }
    Response::new_with_opt_readable_stream_and_init(body, &init).unwrap_or_else(|_| Response::error())
}

fn json_answer(status: u16, message: &str, cors: &[(String, String)], extra: &[(String, String)]) -> Response {
    let mut headers: Vec<(String, String)> = cors.to_vec();
    headers.extend_from_slice(extra);
    headers.retain(|(k, _)| k != "content-length" && k != "content-type");
    headers.push(("content-type".into(), "application/json".into()));
    headers.push(("cache-control".into(), "no-store".into()));
    let body = serde_json::json!({ "error": message }).to_string();
    let init = ResponseInit::new();
    init.set_status(status);
    if let Ok(h) = Headers::new() {
        for (k, v) in &headers {
            let _ = h.set(k, v);
        }
        init.set_headers(&h);
    }
    Response::new_with_opt_str_and_init(Some(&body), &init).unwrap_or_else(|_| Response::error())
}

/// The path and query of a Request's absolute URL.
fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        },
        Err(_) => "/".to_owned(),
    }
}
