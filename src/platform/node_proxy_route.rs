//! Node build: sending a request through a forward proxy from the
//! environment (the route is decided in `core::forward_proxy`). https goes
//! through a `CONNECT` tunnel (`node_tunnel.cjs`'s agent), plain http to the
//! proxy in absolute form; either way only the proxy hears
//! `Proxy-Authorization`. A failure of the proxy itself names the proxy.

use js_sys::{Object, Reflect};
use url::Url;
use wasm_bindgen::prelude::*;

use crate::core::forward_proxy::{route_for, ForwardProxy, Route};
use crate::hub::transport::{TransportError, TransportErrorKind};

#[wasm_bindgen(module = "/src/platform/node_tunnel.cjs")]
extern "C" {
    /// An `https.Agent` whose connections are tunnels through the proxy.
    #[wasm_bindgen(js_name = tunnelAgent)]
    fn tunnel_agent(host: &str, port: u16, authorization: Option<String>) -> JsValue;
}

/// The route for `url` now (the environment is read for each request).
pub fn route(url: &Url) -> Result<Route, TransportError> {
    route_for(url, super::node_env::env_var).map_err(|detail| TransportError {
        kind: TransportErrorKind::Proxy,
        detail,
    })
}

/// How to call `http(s).request` for `url` through `proxy`: the URL to
/// pass (the target, or the proxy for plain http), after setting the
/// options that route it.
pub fn prepare(url: &Url, proxy: &ForwardProxy, options: &Object, headers: &Object) -> Result<String, JsValue> {
    if url.scheme() == "https" {
        let agent = tunnel_agent(proxy.host(), proxy.port(), proxy.authorization().map(str::to_owned));
        Reflect::set(options, &"agent".into(), &agent)?;
        return Ok(url.as_str().to_owned());
    }
    // Plain http: the proxy gets the whole URL as the request target.
    Reflect::set(options, &"host".into(), &proxy.host().into())?;
    Reflect::set(options, &"port".into(), &proxy.port().into())?;
    Reflect::set(options, &"path".into(), &url.as_str().into())?;
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    Reflect::set(headers, &"host".into(), &host.into())?;
    if let Some(authorization) = proxy.authorization() {
        Reflect::set(headers, &"proxy-authorization".into(), &authorization.into())?;
    }
    Ok(format!("http://{}/", host_port(proxy)))
}

fn host_port(proxy: &ForwardProxy) -> String {
    if proxy.host().contains(':') {
        format!("[{}]:{}", proxy.host(), proxy.port())
    } else {
        format!("{}:{}", proxy.host(), proxy.port())
    }
}

/// A request through `proxy` failed before any answer: the proxy's own
/// failure if it was one (`None` otherwise: the target's, through the
/// tunnel, such as a TLS error).
pub fn failure(url: &Url, proxy: &ForwardProxy, error: &JsValue, code: &str) -> Option<TransportError> {
    let field = |name: &str| Reflect::get(error, &name.into()).ok();
    let kind = field("hubguardProxy").and_then(|v| v.as_string());
    let detail = match kind.as_deref() {
        Some("refused") => {
            let status = field("proxyStatus").and_then(|v| v.as_f64()).unwrap_or(0.0) as u16;
            let reason = field("proxyReason").and_then(|v| v.as_string()).unwrap_or_default();
            let target = format!(
                "{}:{}",
                url.host_str().unwrap_or_default(),
                url.port_or_known_default().unwrap_or(0)
            );
            proxy.refused(&target, status, &reason)
        }
        Some(_) => proxy.unreachable(code),
        // Plain http talks to the proxy itself: any connection failure is its.
        None if url.scheme() == "http" => proxy.unreachable(code),
        None => return None,
    };
    Some(TransportError {
        kind: TransportErrorKind::Proxy,
        detail,
    })
}
