//! Node build: `Transport` over `node:http` / `node:https`.
//!
//! Why not Node's global `fetch` (undici): it reads ahead of its consumer, so
//! a large download's peak memory grows with the file whatever we do with the
//! bytes, and it is slower. An `IncomingMessage` stops reading from the socket
//! when we stop pulling (measured: docs/BENCHMARKS.md, "Design
//! measurements"), and a body read here frees each buffer once copied
//! (`node_body.cjs`). Redirects are never followed here, so the token rule
//! runs per hop in `hub::download`.

use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, ReadableStream};

use url::Url;

use super::node_proxy_route;
use crate::core::environment::{request_timeout_variable, timeout_millis};
use crate::core::forward_proxy::Route;
use crate::core::redact::scrub;
use crate::hub::transport::{Body, HttpRequest, HttpResponse, Method, Transport, TransportError, TransportErrorKind};

#[wasm_bindgen(module = "node:http")]
extern "C" {
    #[wasm_bindgen(js_name = request, catch)]
    fn http_request(url: &str, options: &Object) -> Result<ClientRequest, JsValue>;
}

#[wasm_bindgen(module = "node:https")]
extern "C" {
    #[wasm_bindgen(js_name = request, catch)]
    fn https_request(url: &str, options: &Object) -> Result<ClientRequest, JsValue>;
}

#[wasm_bindgen(module = "node:stream")]
extern "C" {
    type Readable;
    #[wasm_bindgen(static_method_of = Readable, js_name = toWeb)]
    fn to_web(stream: &IncomingMessage, options: &Object) -> ReadableStream;
}

#[wasm_bindgen(module = "/src/platform/node_body.cjs")]
extern "C" {
    /// Frees a chunk's memory now (it reads as empty afterwards).
    fn release(chunk: &JsValue);
    /// Frees each socket read of the message's connection once parsed;
    /// gives the function that stops it.
    #[wasm_bindgen(js_name = releaseSocketReads)]
    fn release_socket_reads(message: &IncomingMessage) -> Function;
}

#[wasm_bindgen]
extern "C" {
    type ClientRequest;
    #[wasm_bindgen(method)]
    fn on(this: &ClientRequest, event: &str, listener: &Function);
    #[wasm_bindgen(method)]
    fn once(this: &ClientRequest, event: &str, listener: &Function);
    #[wasm_bindgen(method)]
    fn end(this: &ClientRequest);

    type IncomingMessage;
    #[wasm_bindgen(method, getter, js_name = statusCode)]
    fn status_code(this: &IncomingMessage) -> u16;
    /// `[name, value, name, value, ...]` as received, repeats kept.
    #[wasm_bindgen(method, getter, js_name = rawHeaders)]
    fn raw_headers(this: &IncomingMessage) -> Array;
    /// The whole body has arrived (it may still be unread).
    #[wasm_bindgen(method, getter)]
    fn complete(this: &IncomingMessage) -> bool;
    #[wasm_bindgen(method, getter, js_name = readableEnded)]
    fn readable_ended(this: &IncomingMessage) -> bool;
    #[wasm_bindgen(method)]
    fn resume(this: &IncomingMessage);
    #[wasm_bindgen(method)]
    fn destroy(this: &IncomingMessage);
}

/// `signal` aborts every request this transport makes (the proxy passes
/// its client's, so a disconnect cancels the upstream download).
#[derive(Default)]
pub struct NodeHttpTransport {
    pub signal: Option<AbortSignal>,
}

pub struct NodeHttpBody {
    /// `None` once handed on as a stream.
    message: Option<IncomingMessage>,
    /// The message's async iterator, made on the first read.
    chunks: Option<js_sys::AsyncIterator>,
    /// Stops freeing the connection's socket reads (set on the first read).
    stop_releasing: Option<Function>,
    finished: bool,
    signal: Option<AbortSignal>,
}

impl Transport for NodeHttpTransport {
    type Body = NodeHttpBody;

    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse<NodeHttpBody>, TransportError> {
        let route = node_proxy_route::route(&request.url)?;
        let failed = |e: JsValue| self.failure(&e, &request.url, &route);
        let idle_ms = idle_timeout_ms(request.method);
        let (options, headers) = self.options(request, idle_ms).map_err(failed)?;
        // The URL to hand to `request`: the target, unless a plain-http
        // request goes to a forward proxy.
        let target = match &route {
            Route::Direct => request.url.as_str().to_owned(),
            Route::Proxy(proxy) => {
                node_proxy_route::prepare(&request.url, proxy, &options, &headers).map_err(failed)?
            }
        };
        let https = target.starts_with("https:");
        let answer = Promise::new(&mut |resolve, reject| {
            let made = if https {
                https_request(&target, &options)
            } else {
                http_request(&target, &options)
            };
            let client = match made {
                Ok(client) => client,
                Err(e) => {
                    let _ = reject.call1(&JsValue::UNDEFINED, &e);
                    return;
                }
            };
            client.once("response", &resolve);
            // `on`, not `once`: a later error (after the answer started) must
            // find a listener, or Node would throw it at the top level. Once
            // the promise is settled, calling `reject` does nothing.
            client.on("error", &reject);
            if let Some(give_up) = destroy_with_timeout(&client, idle_ms, request.method) {
                client.once("timeout", &give_up);
            }
            client.end();
        });
        let message: IncomingMessage = JsFuture::from(answer).await.map_err(failed)?.unchecked_into();
        Ok(HttpResponse {
            status: message.status_code(),
            headers: header_pairs(&message.raw_headers()),
            body: NodeHttpBody {
                message: Some(message),
                chunks: None,
                stop_releasing: None,
                finished: false,
                signal: self.signal.clone(),
            },
        })
    }

    async fn pause(&self, millis: u32) {
        super::timer::sleep(millis).await
    }

    fn is_aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }

    fn now_millis(&self) -> f64 {
        js_sys::Date::now()
    }
}

impl NodeHttpTransport {
    /// `http.request` options: method, headers (the bearer only where the
    /// caller put it), the abort signal and the idle timeout.
    fn options(&self, request: &HttpRequest, idle_ms: u32) -> Result<(Object, Object), JsValue> {
        let headers = Object::new();
        Reflect::set(&headers, &"user-agent".into(), &USER_AGENT.into())?;
        for (name, value) in &request.headers {
            Reflect::set(&headers, &name.to_ascii_lowercase().into(), &value.into())?;
        }
        if let Some(token) = &request.bearer {
            Reflect::set(
                &headers,
                &"authorization".into(),
                &format!("Bearer {}", token.expose()).into(),
            )?;
        }
        let options = Object::new();
        Reflect::set(&options, &"method".into(), &request.method.as_str().into())?;
        Reflect::set(&options, &"headers".into(), &headers)?;
        // Node waits forever for a silent server unless told otherwise.
        Reflect::set(&options, &"timeout".into(), &idle_ms.into())?;
        if let Some(signal) = &self.signal {
            Reflect::set(&options, &"signal".into(), signal)?;
        }
        Ok((options, headers))
    }

    /// A request that got no answer: cancelled, the forward proxy's
    /// failure (named), or the target's.
    fn failure(&self, error: &JsValue, url: &Url, route: &Route) -> TransportError {
        if self.is_aborted() {
            return transport_error(TransportErrorKind::Aborted, error);
        }
        let plain = transport_error(TransportErrorKind::Connect, error);
        if let Route::Proxy(proxy) = route {
            if plain.kind != TransportErrorKind::Aborted {
                if let Some(proxied) = node_proxy_route::failure(url, proxy, error, &plain.detail) {
                    return proxied;
                }
            }
        }
        plain
    }
}

/// Read for each request, like every other setting from the environment:
/// a HEAD asks for a file's metadata (HF_HUB_ETAG_TIMEOUT), a GET for its
/// bytes (HF_HUB_DOWNLOAD_TIMEOUT).
fn idle_timeout_ms(method: Method) -> u32 {
    let variable = request_timeout_variable(method == Method::Head);
    timeout_millis(super::node_env::env_var(variable).as_deref())
}

const USER_AGENT: &str = concat!("hubguard/", env!("CARGO_PKG_VERSION"), "; node");

/// The `timeout` event only reports the idle socket; ending the request is
/// ours to do. `client.destroy` bound to a timeout error, so no Rust
/// closure has to outlive the request. (`None` only if the runtime's
/// ClientRequest had no `destroy`, which Node's always has.)
fn destroy_with_timeout(client: &ClientRequest, idle_ms: u32, method: Method) -> Option<Function> {
    // No `code`: the message, which names the setting, becomes the detail.
    let error = js_sys::Error::new(&format!(
        "nothing received for {idle_ms} ms; {} sets the limit",
        request_timeout_variable(method == Method::Head)
    ));
    let destroy = Reflect::get(client, &"destroy".into()).ok()?;
    let bind: Function = Reflect::get(&destroy, &"bind".into()).ok()?.dyn_into().ok()?;
    bind.call2(&destroy, client, &error).ok()?.dyn_into().ok()
}

impl NodeHttpBody {
    /// The body as a web stream, to hand on without reading it (the proxy).
    pub fn into_stream(mut self) -> Option<ReadableStream> {
        let message = self.message.take()?;
        // Room for a few socket reads ahead (the default is one chunk, which
        // pauses the socket after every read), still bounded: 16 reads of at
        // most 64 KiB, about 1 MiB per proxied download.
        let strategy = Object::new();
        let _ = Reflect::set(&strategy, &"highWaterMark".into(), &16.into());
        let options = Object::new();
        let _ = Reflect::set(&options, &"strategy".into(), &strategy);
        Some(Readable::to_web(&message, &options))
    }

    /// The body as the `IncomingMessage` itself, to hand on without reading
    /// it: the proxy pipes it to its client natively, or reads it as a stream.
    pub fn into_source(mut self) -> Option<JsValue> {
        self.message.take().map(Into::into)
    }

    fn stop_releasing(&mut self) {
        if let Some(stop) = self.stop_releasing.take() {
            let _ = stop.call0(&JsValue::UNDEFINED);
        }
    }

    fn dropped(&self, e: &JsValue) -> TransportError {
        let kind = if self.signal.as_ref().is_some_and(AbortSignal::aborted) {
            TransportErrorKind::Aborted
        } else {
            TransportErrorKind::Dropped
        };
        transport_error(kind, e)
    }
}

impl Body for NodeHttpBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        if self.finished {
            return Ok(None);
        }
        let Some(message) = &self.message else {
            return Ok(None);
        };
        let chunks: js_sys::AsyncIterator = match &self.chunks {
            Some(chunks) => chunks.clone(),
            None => {
                let make: Function = Reflect::get(message, &js_sys::Symbol::async_iterator())
                    .map_err(|e| self.dropped(&e))?
                    .unchecked_into();
                let made: js_sys::AsyncIterator = make.call0(message).map_err(|e| self.dropped(&e))?.unchecked_into();
                self.chunks = Some(made.clone());
                self.stop_releasing = Some(release_socket_reads(message));
                made
            }
        };
        let step = JsFuture::from(chunks.next().map_err(|e| self.dropped(&e))?)
            .await
            .map_err(|e| self.dropped(&e))?;
        if Reflect::get(&step, &"done".into()).is_ok_and(|d| d.is_truthy()) {
            self.finished = true;
            self.stop_releasing();
            return Ok(None);
        }
        let value = Reflect::get(&step, &"value".into()).map_err(|e| self.dropped(&e))?;
        let chunk = value.unchecked_ref::<Uint8Array>().to_vec();
        // Ours alone (node:http's copy of this piece of body): freed now
        // rather than when V8 next collects.
        release(&value);
        Ok(Some(chunk))
    }
}

/// An answer left unread must not hold its connection: a body that has fully
/// arrived (a redirect's few bytes, a HEAD) is drained from memory so the
/// connection goes back to the pool; one still arriving is cut.
impl Drop for NodeHttpBody {
    fn drop(&mut self) {
        self.stop_releasing();
        let Some(message) = &self.message else { return };
        if self.finished || message.readable_ended() {
            return;
        }
        if message.complete() {
            message.resume();
        } else {
            message.destroy();
        }
    }
}

/// Names lower-cased, as the Fetch API gives them.
fn header_pairs(raw: &Array) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(raw.length() as usize / 2);
    let mut i = 0;
    while i + 1 < raw.length() {
        if let (Some(name), Some(value)) = (raw.get(i).as_string(), raw.get(i + 1).as_string()) {
            out.push((name.to_ascii_lowercase(), value));
        }
        i += 2;
    }
    out
}

/// Node's short reason (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`), else its
/// message, scrubbed: a message could quote a URL.
fn transport_error(kind: TransportErrorKind, error: &JsValue) -> TransportError {
    let field = |name: &str| Reflect::get(error, &name.into()).ok().and_then(|v| v.as_string());
    if field("name").as_deref() == Some("AbortError") {
        return TransportError {
            kind: TransportErrorKind::Aborted,
            detail: "aborted".into(),
        };
    }
    let detail = field("code")
        .or_else(|| field("message"))
        .unwrap_or_else(|| "unknown error".to_owned());
    TransportError {
        kind,
        detail: scrub(&detail, None),
    }
}
