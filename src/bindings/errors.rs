//! `HubError` → a JS `HubError` (class registered by the JS entry point):
//! the one conversion, so exports return `Result<_, HubError>` (wasm-bindgen
//! throws the error through `From<HubError> for JsValue`) or use `?`.

use std::cell::RefCell;

use js_sys::{Function, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::error::HubError;

thread_local! {
    static ERROR_CLASS: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called once by the package's entry file with its `HubError` class, so
/// errors thrown from Rust are `instanceof HubError`.
#[wasm_bindgen(js_name = registerErrorClass)]
pub fn register_error_class(class: Function) {
    ERROR_CLASS.with(|c| *c.borrow_mut() = Some(class));
}

impl From<HubError> for JsValue {
    fn from(error: HubError) -> JsValue {
        to_js(error)
    }
}

fn to_js(error: HubError) -> JsValue {
    let error = error.redacted();
    let details = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&details, &key.into(), &value);
    };
    set("code", error.code.as_str().into());
    set("status", error.status.map(JsValue::from).unwrap_or(JsValue::UNDEFINED));
    set(
        "repoId",
        error.repo_id.clone().map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
    );
    set(
        "file",
        error.file.clone().map(JsValue::from).unwrap_or(JsValue::UNDEFINED),
    );
    set(
        "retryAfter",
        error
            .retry_after
            .map(|s| JsValue::from(s as f64))
            .unwrap_or(JsValue::UNDEFINED),
    );
    let message = JsValue::from(error.message);
    let constructed = ERROR_CLASS.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|class| Reflect::construct(class, &js_sys::Array::of2(&message, &details)).ok())
    });
    constructed.unwrap_or_else(|| {
        // Only reached if the wasm module is used without its JS entry.
        let plain = js_sys::Error::new(&message.as_string().unwrap_or_default());
        plain.set_name("HubError");
        let _ = Object::assign(&plain, &details);
        plain.into()
    })
}
