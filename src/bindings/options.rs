//! JS arguments into Rust: options objects through the core's serde
//! structs (`core::options`, which says what is refused and how), the JS
//! values they keep as they are, and the positional arguments (texts, ids).

use js_sys::Function;
use serde::de::{DeserializeOwned, Error as _, Unexpected};
use serde::{Deserialize, Deserializer};
use wasm_bindgen::{JsCast, JsValue};

use crate::core::error::HubError;
use crate::core::options::{self, JsValues};
#[cfg(not(feature = "edge"))]
use crate::core::{
    options::wrong_type,
    tokenizer::limits::{check_decode_ids, MAX_DECODE_IDS},
};

/// An options object (`undefined`/`null` are `{}`) as the struct `T`.
pub fn read<T: DeserializeOwned>(what: &str, value: &JsValue) -> Result<T, HubError> {
    options::read(what, serde_wasm_bindgen::Deserializer::from(value.clone()))
}

/// The JS values options keep, each checked for its type as it is read.
pub struct Js;

impl JsValues for Js {
    type Function = JsFunction;
    type Signal = JsSignal;
    type Any = JsAny;
}

/// A JS value, untouched.
fn kept<'de, D: Deserializer<'de>>(d: D) -> Result<JsValue, D::Error> {
    serde_wasm_bindgen::preserve::deserialize(d)
}

/// A function option (`progress_callback`, `authorize`).
pub struct JsFunction(pub Function);

impl<'de> Deserialize<'de> for JsFunction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        kept(d)?
            .dyn_into::<Function>()
            .map(JsFunction)
            .map_err(|_| D::Error::invalid_type(Unexpected::Other("another value"), &"a function"))
    }
}

/// A `signal` option.
pub struct JsSignal(pub web_sys::AbortSignal);

impl<'de> Deserialize<'de> for JsSignal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        kept(d)?
            .dyn_into::<web_sys::AbortSignal>()
            .map(JsSignal)
            .map_err(|_| D::Error::invalid_type(Unexpected::Other("another value"), &"an AbortSignal"))
    }
}

/// Any JS value, checked where it is used (by the tokenizer side only, which
/// the proxy-only edge build leaves out).
#[cfg_attr(feature = "edge", allow(dead_code))]
pub struct JsAny(pub JsValue);

impl<'de> Deserialize<'de> for JsAny {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        kept(d).map(JsAny)
    }
}

/// A Rust value as plain JS objects (flattened structs serialize as maps,
/// which would otherwise become JS `Map`s).
#[cfg(not(feature = "edge"))]
pub fn to_value(value: &impl serde::Serialize) -> Result<JsValue, HubError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| HubError::new(crate::core::error::ErrorCode::CacheIo, e.to_string()))
}

/// A required string argument, such as the text to encode.
#[cfg(not(feature = "edge"))]
pub fn string_arg(value: &JsValue, what: &str, name: &str) -> Result<String, HubError> {
    value.as_string().ok_or_else(|| wrong_type(what, name, "a string"))
}

/// Token ids from an Array, a typed array or BigInts, each checked, and
/// counted against the decode limit before they are copied into wasm.
#[cfg(not(feature = "edge"))]
pub fn ids_arg(value: &JsValue, what: &str) -> Result<Vec<u32>, HubError> {
    if let Some(typed) = value.dyn_ref::<js_sys::Uint32Array>() {
        check_decode_ids(typed.length() as usize)?;
        return Ok(typed.to_vec());
    }
    if let Some(array) = value.dyn_ref::<js_sys::Array>() {
        check_decode_ids(array.length() as usize)?;
    }
    let bad = || wrong_type(what, "ids", "an array of non-negative integer token ids");
    let iter = js_sys::try_iter(value).ok().flatten().ok_or_else(bad)?;
    // Other iterables (typed arrays of other kinds) stop one past the limit.
    iter.take(MAX_DECODE_IDS + 1)
        .map(|item| {
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
        .collect::<Result<Vec<u32>, HubError>>()
        .and_then(|ids| check_decode_ids(ids.len()).map(|()| ids))
}

/// A JS value as JSON (what `JSON.stringify` keeps: no functions, no undefined).
#[cfg(not(feature = "edge"))]
pub fn to_json(value: &JsValue, what: &str, name: &str) -> Result<serde_json::Value, HubError> {
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    let bad = || {
        wrong_type(
            what,
            name,
            "plain JSON data (objects, arrays, strings, numbers, booleans)",
        )
    };
    let text = js_sys::JSON::stringify(value).map_err(|_| bad())?;
    let text = text.as_string().ok_or_else(bad)?;
    serde_json::from_str(&text).map_err(|_| bad())
}
