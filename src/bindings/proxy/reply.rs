//! Converting both ways at the proxy's JS edge: the app's `authorize`
//! called and its result read as a core `AuthValue`, and a core `Answer`
//! described as a plain object for the JS half to make a Response of.

use js_sys::{Array, Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::Request;

use crate::core::proxy::{Answer, AuthValue, Body, ProxyTarget};

/// An answer, with what the JS half needs beyond it.
pub struct Reply {
    pub answer: Answer,
    /// The upstream body to stream (`Body::Upstream`): a Node stream in
    /// the Node build, a web ReadableStream in a Fetch-API build.
    pub source: Option<JsValue>,
    /// The app's own Response from `authorize`, sent as it is.
    pub app: Option<JsValue>,
}

impl Reply {
    pub fn plain(answer: Answer) -> Reply {
        Reply {
            answer,
            source: None,
            app: None,
        }
    }

    pub fn streamed(answer: Answer, source: Option<JsValue>) -> Reply {
        Reply {
            answer,
            source,
            app: None,
        }
    }

    pub fn app(response: JsValue) -> Reply {
        Reply {
            answer: Answer::preflight(&[]),
            source: None,
            app: Some(response),
        }
    }
}

/// `{ ticket, status, headers: [[name, value]], body: null | string | source, app? }`.
/// An upstream body that is missing (it cannot be, but if it were) becomes
/// no body, never a stream the runtime would wait on.
pub fn describe(reply: Reply, ticket: u32) -> JsValue {
    let out = Object::new();
    let set = |key: &str, value: &JsValue| {
        let _ = Reflect::set(&out, &key.into(), value);
    };
    set("ticket", &ticket.into());
    if let Some(app) = reply.app {
        set("app", &app);
        return out.into();
    }
    set("status", &reply.answer.status.into());
    let headers = Array::new();
    for (name, value) in &reply.answer.headers {
        headers.push(&Array::of2(&name.into(), &value.into()));
    }
    set("headers", &headers);
    let body = match (&reply.answer.body, reply.source) {
        (Body::Json(text), _) => JsValue::from_str(text),
        (Body::Upstream, Some(source)) => source,
        _ => JsValue::NULL,
    };
    set("body", &body);
    out.into()
}

/// Calls the app's `authorize(request, target)` (awaiting a promise) and
/// reads what it decided. The app's Response, if that is what it returned,
/// comes back as well, to be sent as it is.
pub async fn call_authorize(
    authorize: Option<&Function>,
    request: &Request,
    target: &ProxyTarget,
) -> (AuthValue, Option<JsValue>) {
    let Some(authorize) = authorize else {
        return (AuthValue::Bool(true), None);
    };
    let about = Object::new();
    for (key, value) in [
        ("repo", target.repo.as_str()),
        ("repoType", target.repo_type.as_str()),
        ("revision", target.revision.as_str()),
        ("file", target.path.as_str()),
    ] {
        let _ = Reflect::set(&about, &key.into(), &value.into());
    }
    let returned = match authorize.call2(&JsValue::NULL, request, &about) {
        Ok(value) => value,
        Err(thrown) => return (AuthValue::Threw(message_of(&thrown)), None),
    };
    let value = if returned.has_type::<Promise>() || is_thenable(&returned) {
        match JsFuture::from(Promise::resolve(&returned)).await {
            Ok(value) => value,
            Err(thrown) => return (AuthValue::Threw(message_of(&thrown)), None),
        }
    } else {
        returned
    };
    if let Some(b) = value.as_bool() {
        return (AuthValue::Bool(b), None);
    }
    if let Some(text) = value.as_string() {
        return (AuthValue::Text(text), None);
    }
    if value.dyn_ref::<web_sys::Response>().is_some() {
        return (AuthValue::Response, Some(value));
    }
    let kind = if value.is_undefined() {
        "undefined".to_owned()
    } else if value.is_null() {
        "null".to_owned()
    } else {
        format!("a value of type {}", value.js_typeof().as_string().unwrap_or_default())
    };
    (AuthValue::Other(kind), None)
}

fn is_thenable(value: &JsValue) -> bool {
    value.is_object()
        && Reflect::get(value, &"then".into())
            .ok()
            .is_some_and(|then| then.is_function())
}

/// A thrown value's message (an Error's `message`, else its string form).
fn message_of(thrown: &JsValue) -> String {
    Reflect::get(thrown, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| "a non-Error value".to_owned())
}
