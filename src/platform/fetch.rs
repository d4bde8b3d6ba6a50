//! Browser and edge builds: `Transport` over the global `fetch`, with the
//! body streamed.
//!
//! In the browser build no request ever carries a token (it has no token
//! code), so redirects are safely left to the browser: a cross-origin 3xx is
//! opaque to a page anyway. The edge build (the proxy on Fetch-API servers)
//! asks for redirects back and sets the bearer itself.

use js_sys::{Promise, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortSignal, Headers, ReadableStream, ReadableStreamDefaultReader, Request, RequestCredentials, RequestInit,
    RequestRedirect, Response,
};

use super::headers::header_list;
use crate::core::proxy::ProxyCredentials;
use crate::core::redact::scrub;
use crate::hub::transport::{Body, HttpRequest, HttpResponse, Transport, TransportError, TransportErrorKind};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, not `window.fetch`: Node and Web Workers have no
    /// `window`.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(input: &Request) -> Result<Promise, JsValue>;
}

/// `signal` aborts every request this transport makes (the proxy passes
/// its client's, so a disconnect cancels the upstream download). Requests
/// to the app's proxy also carry the app's own `headers` and credentials
/// mode (`env.proxyHeaders`, `env.proxyCredentials`).
#[derive(Default)]
pub struct FetchTransport {
    pub signal: Option<AbortSignal>,
    pub headers: Vec<(String, String)>,
    pub credentials: Option<ProxyCredentials>,
}

pub struct FetchBody {
    stream: Option<ReadableStream>,
    reader: Option<ReadableStreamDefaultReader>,
    /// To tell a cancelled read from a dropped connection.
    signal: Option<AbortSignal>,
}

impl FetchBody {
    /// The body as a stream, to hand on without reading it (the proxy).
    #[cfg(feature = "browser")]
    pub fn into_stream(self) -> Option<ReadableStream> {
        self.stream
    }

    /// The same, as the proxy's JS half takes it.
    #[cfg(feature = "edge")]
    pub fn into_source(self) -> Option<JsValue> {
        self.stream.map(Into::into)
    }
}

impl Transport for FetchTransport {
    type Body = FetchBody;

    async fn send(&self, request: &HttpRequest) -> Result<HttpResponse<FetchBody>, TransportError> {
        let connect = |e: JsValue| {
            let kind = if self.abort_fired() {
                TransportErrorKind::Aborted
            } else {
                TransportErrorKind::Connect
            };
            transport_error(kind, &e)
        };
        let headers = Headers::new().map_err(connect)?;
        for (name, value) in self.headers.iter().chain(&request.headers) {
            headers.set(name, value).map_err(connect)?;
        }
        let init = RequestInit::new();
        if let Some(signal) = &self.signal {
            init.set_signal(Some(signal));
        }
        init.set_method(request.method.as_str());
        init.set_headers(&headers);
        // The browser build holds no token: the browser follows redirects.
        // The edge build holds one: redirects come back, so the token rule
        // runs per hop (hub::download), and the bearer goes where it says.
        #[cfg(not(feature = "edge"))]
        init.set_redirect(RequestRedirect::Follow);
        #[cfg(feature = "edge")]
        {
            init.set_redirect(RequestRedirect::Manual);
            if let Some(token) = &request.bearer {
                headers
                    .set("authorization", &format!("Bearer {}", token.expose()))
                    .map_err(connect)?;
            }
        }
        if let Some(mode) = self.credentials {
            init.set_credentials(match mode {
                ProxyCredentials::Omit => RequestCredentials::Omit,
                ProxyCredentials::SameOrigin => RequestCredentials::SameOrigin,
                ProxyCredentials::Include => RequestCredentials::Include,
            });
        }
        let js_request = Request::new_with_str_and_init(request.url.as_str(), &init).map_err(connect)?;
        let answer = JsFuture::from(global_fetch(&js_request).map_err(connect)?)
            .await
            .map_err(connect)?;
        let response: Response = answer.unchecked_into();
        Ok(HttpResponse {
            status: response.status(),
            headers: header_list(&response.headers()),
            body: FetchBody {
                stream: response.body(),
                reader: None,
                signal: self.signal.clone(),
            },
        })
    }

    async fn pause(&self, millis: u32) {
        super::timer::sleep(millis).await
    }

    fn is_aborted(&self) -> bool {
        self.abort_fired()
    }

    fn now_millis(&self) -> f64 {
        js_sys::Date::now()
    }
}

impl FetchTransport {
    fn abort_fired(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }
}

impl Body for FetchBody {
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        if let Some(stream) = self.stream.take() {
            self.reader = Some(stream.get_reader().unchecked_into());
        }
        let Some(reader) = &self.reader else {
            return Ok(None);
        };
        let dropped = |e: JsValue| {
            let kind = if self.signal.as_ref().is_some_and(AbortSignal::aborted) {
                TransportErrorKind::Aborted
            } else {
                TransportErrorKind::Dropped
            };
            transport_error(kind, &e)
        };
        let step = JsFuture::from(reader.read()).await.map_err(dropped)?;
        if Reflect::get(&step, &"done".into()).map_err(dropped)?.is_truthy() {
            self.reader = None;
            return Ok(None);
        }
        let value = Reflect::get(&step, &"value".into()).map_err(dropped)?;
        Ok(Some(value.unchecked_into::<Uint8Array>().to_vec()))
    }
}

/// The runtime's short reason: Node puts a code such as `ECONNREFUSED` in
/// `error.cause.code`. Text is scrubbed, since a message could quote a URL.
fn transport_error(kind: TransportErrorKind, error: &JsValue) -> TransportError {
    let field = |obj: &JsValue, name: &str| Reflect::get(obj, &name.into()).ok().filter(|v| !v.is_undefined());
    // An AbortSignal that fired rejects with an AbortError (or its reason).
    if field(error, "name").and_then(|n| n.as_string()).as_deref() == Some("AbortError") {
        return TransportError {
            kind: TransportErrorKind::Aborted,
            detail: "aborted".into(),
        };
    }
    let cause = field(error, "cause");
    let detail = cause
        .as_ref()
        .and_then(|c| field(c, "code"))
        .and_then(|c| c.as_string())
        .or_else(|| {
            cause
                .as_ref()
                .and_then(|c| field(c, "message"))
                .and_then(|m| m.as_string())
        })
        .or_else(|| field(error, "message").and_then(|m| m.as_string()))
        .unwrap_or_else(|| "unknown error".to_owned());
    TransportError {
        kind,
        detail: scrub(&detail, None),
    }
}
