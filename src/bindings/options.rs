//! Reading option objects from JS, with a typed error for a wrong type.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::{ErrorCode, HubError};
use crate::core::token::TokenOption;

/// A JS options object; `undefined`/`null` behave like `{}`.
pub struct Options<'a> {
    object: &'a JsValue,
    what: &'static str,
}

impl<'a> Options<'a> {
    pub fn new(object: &'a JsValue, what: &'static str) -> Result<Self, HubError> {
        if object.is_undefined() || object.is_null() || object.is_object() {
            Ok(Options { object, what })
        } else {
            Err(wrong_type(what, "options", "an object"))
        }
    }

    pub fn raw(&self, key: &str) -> Option<JsValue> {
        if !self.object.is_object() {
            return None;
        }
        Reflect::get(self.object, &key.into())
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, HubError> {
        self.raw(key)
            .map(|v| v.as_string().ok_or_else(|| wrong_type(self.what, key, "a string")))
            .transpose()
    }

    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, HubError> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| wrong_type(self.what, key, "true or false")),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<f64>, HubError> {
        self.raw(key)
            .map(|v| {
                v.as_f64()
                    .filter(|n| n.is_finite() && *n >= 0.0)
                    .ok_or_else(|| wrong_type(self.what, key, "a non-negative number"))
            })
            .transpose()
    }

    /// An array option (a single value counts as a one-element array).
    pub fn list(&self, key: &str) -> Option<Vec<JsValue>> {
        self.raw(key).map(|v| {
            if js_sys::Array::is_array(&v) {
                js_sys::Array::from(&v).to_vec()
            } else {
                vec![v]
            }
        })
    }

    pub fn string_list(&self, key: &str) -> Result<Option<Vec<String>>, HubError> {
        self.list(key)
            .map(|items| {
                items
                    .iter()
                    .map(|v| {
                        v.as_string()
                            .ok_or_else(|| wrong_type(self.what, key, "a list of strings"))
                    })
                    .collect()
            })
            .transpose()
    }

    pub fn object(&self, key: &str) -> Option<JsValue> {
        self.raw(key).filter(|v| v.is_object())
    }

    pub fn function(&self, key: &str) -> Result<Option<Function>, HubError> {
        self.raw(key)
            .map(|v| {
                v.dyn_into::<Function>()
                    .map_err(|_| wrong_type(self.what, key, "a function"))
            })
            .transpose()
    }

    /// An `AbortSignal`, e.g. `signal`.
    pub fn abort_signal(&self, key: &str) -> Result<Option<web_sys::AbortSignal>, HubError> {
        self.raw(key)
            .map(|v| {
                v.dyn_into::<web_sys::AbortSignal>()
                    .map_err(|_| wrong_type(self.what, key, "an AbortSignal"))
            })
            .transpose()
    }

    /// `token`: a string, or `false` for "send none even if HF_TOKEN is set".
    pub fn token(&self) -> Result<TokenOption, HubError> {
        match self.raw("token") {
            None => Ok(TokenOption::Unset),
            Some(v) if v.as_bool() == Some(false) => Ok(TokenOption::Disabled),
            Some(v) if v.as_bool() == Some(true) => Ok(TokenOption::Required),
            // Never quote the value: it may be a token of the wrong type.
            Some(v) => v
                .as_string()
                .map(TokenOption::Value)
                .ok_or_else(|| wrong_type(self.what, "token", "a string, true or false")),
        }
    }
}

pub fn wrong_type(what: &str, key: &str, expected: &str) -> HubError {
    HubError::new(ErrorCode::InvalidOption, format!("{what}: `{key}` must be {expected}."))
}

/// A required string argument, such as the text to encode.
pub fn string_arg(value: &JsValue, what: &'static str, name: &str) -> Result<String, HubError> {
    value.as_string().ok_or_else(|| wrong_type(what, name, "a string"))
}

/// Token ids from an Array, a typed array or BigInts, each checked.
pub fn ids_arg(value: &JsValue, what: &'static str) -> Result<Vec<u32>, HubError> {
    if let Some(typed) = value.dyn_ref::<js_sys::Uint32Array>() {
        return Ok(typed.to_vec());
    }
    let bad = || wrong_type(what, "ids", "an array of non-negative integer token ids");
    let iter = js_sys::try_iter(value).ok().flatten().ok_or_else(bad)?;
    iter.map(|item| {
        let item = item.map_err(|_| bad())?;
        let number = match item.as_f64() {
            Some(n) => n,
            None => u64::try_from(item.dyn_into::<js_sys::BigInt>().map_err(|_| bad())?).map_err(|_| bad())? as f64,
        };
        if number.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&number) {
            Ok(number as u32)
        } else {
            Err(bad())
        }
    })
    .collect()
}
