//! Options objects from JS, read as serde structs, one struct per call
//! family (in this module's files, and `core::fetch::FetchOptions`). The one
//! place for the rules every options object follows:
//!
//! - `undefined`/`null` is `{}`; anything else but an object is refused;
//! - an unknown key is INVALID_OPTION naming it and listing the options
//!   (the structs say `deny_unknown_fields`; nested objects too);
//! - a value of the wrong type is INVALID_OPTION naming its key (its path,
//!   for a nested one: `tokenizer_kwargs.padding`) and saying what it must
//!   be, without quoting the value (it may be a token).
//!
//! The wasm build reads a JS object through serde-wasm-bindgen, host tests
//! read JSON: both are serde `Deserializer`s. serde-wasm-bindgen's struct
//! reader looks up only the struct's own fields, so `deny_unknown_fields`
//! would never see another key; [`read`] (and [`nested`]) make it walk the
//! object's own keys instead (its map reader), and `serde_path_to_error`
//! names the key a type error is about.

pub mod chat;
pub mod hub_api;
pub mod proxy;
pub mod settings;
pub mod tokenizer;
pub mod values;

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, MapDeserializer};
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, MapAccess, Visitor};

use crate::core::error::{ErrorCode, HubError};
use crate::core::redact::redact_secrets;
use crate::core::repo::truncate_for_message;

/// The JS values an options object may hold as they are (a progress
/// callback, an AbortSignal, ...): JS objects in the wasm build (which
/// checks their type as it reads them), anything in host tests.
pub trait JsValues {
    /// A function (`progress_callback`, `authorize`).
    type Function: DeserializeOwned;
    /// An `AbortSignal`.
    type Signal: DeserializeOwned;
    /// Any value, checked where it is used (`env.proxyHeaders`).
    type Any: DeserializeOwned;
}

/// Host tests: JS values are JSON.
#[cfg(test)]
pub struct Json;

#[cfg(test)]
impl JsValues for Json {
    type Function = serde_json::Value;
    type Signal = serde_json::Value;
    type Any = serde_json::Value;
}

/// `T` from an options object, `what` naming the call in errors
/// (`"tokenizer()"`, `"downloadFile"`).
pub fn read<'de, T, D>(what: &str, deserializer: D) -> Result<T, HubError>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    serde_path_to_error::deserialize::<_, Object<T>>(deserializer)
        .map(|object| object.0)
        .map_err(|e| describe(what, &e.path().to_string(), &e.inner().to_string()))
}

/// For a nested options object (`#[serde(default, deserialize_with =
/// "nested")]`): read as [`read`] reads the outer one, so its unknown keys
/// are refused too.
pub fn nested<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<Object<T>>::deserialize(deserializer).map(|o| o.map(|o| o.0))
}

/// An options object: its own keys walked one by one (a map, not a struct:
/// see the module's docs); `undefined`/`null` read as `{}`.
struct Object<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ObjectVisitor(PhantomData))
    }
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
    type Value = Object<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Object)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        let empty = MapDeserializer::<_, E>::new(std::iter::empty::<(&str, ())>());
        T::deserialize(empty).map(Object)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        self.visit_unit()
    }
}

/// An INVALID_OPTION error `what: message`, in the style every option error has.
pub fn invalid(what: &str, message: impl fmt::Display) -> HubError {
    HubError::new(ErrorCode::InvalidOption, format!("{what}: {message}"))
}

/// `what: \`key\` must be expected.`
pub fn wrong_type(what: &str, key: &str, expected: &str) -> HubError {
    invalid(what, format_args!("`{key}` must be {expected}."))
}

/// The error for serde's `message` about the value at `path`. serde's
/// messages have a fixed form (`unknown field \`k\`, expected one of \`a\`,
/// \`b\``, `invalid type: string "v", expected a number`, `missing field
/// \`k\``, `duplicate field \`k\``); only names and the expectation are
/// kept from them, never the value.
fn describe(what: &str, path: &str, message: &str) -> HubError {
    let message = message.strip_prefix("Error: ").unwrap_or(message);
    let path = if path == "." { "" } else { path };
    let shown = |key: &str| redact_secrets(&truncate_for_message(key));
    let below = |name: &str| match path {
        "" => shown(name),
        parent => shown(&format!("{parent}.{name}")),
    };
    if message.starts_with("unknown field `") {
        // The path ends with the unknown key.
        let names = backticked(message.rsplit_once(", expected ").map_or("", |(_, tail)| tail));
        let options = match names.as_slice() {
            [] => "it takes none".to_owned(),
            names => format!("the options are {}", names.join(", ")),
        };
        return invalid(what, format_args!("unknown option `{}`; {options}.", shown(path)));
    }
    if let Some(name) = named(message, "missing field `") {
        return invalid(what, format_args!("`{}` is required.", below(name)));
    }
    if let Some(name) = named(message, "duplicate field `") {
        return invalid(
            what,
            format_args!("`{}` is given twice (under both of its spellings).", below(name)),
        );
    }
    let expected = message.rsplit_once(", expected ").map_or(message, |(_, e)| e);
    let key = if path.is_empty() {
        "options".to_owned()
    } else {
        shown(path)
    };
    wrong_type(what, &key, wording(expected))
}

/// The name in `` prefix`name` ``.
fn named<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    message.strip_prefix(prefix)?.rsplit_once('`').map(|(name, _)| name)
}

/// The `` `names` `` in serde's list of expected fields.
fn backticked(list: &str) -> Vec<&str> {
    list.split('`').skip(1).step_by(2).collect()
}

/// serde's own expectations, said as this crate's messages say them.
fn wording(expected: &str) -> &str {
    match expected {
        "a boolean" => "true or false",
        "a sequence" => "a list",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number (0 or more)",
        "f32" | "f64" => "a number",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        depth: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: Option<String>,
        #[serde(alias = "isOn")]
        is_on: Option<bool>,
        #[serde(default, deserialize_with = "nested")]
        inner: Option<Inner>,
        list: Option<Vec<String>>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Required {
        #[allow(dead_code)]
        repo: String,
    }

    fn sample(value: serde_json::Value) -> Result<Sample, HubError> {
        read("call", value)
    }

    fn message(value: serde_json::Value) -> String {
        let error = sample(value).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidOption);
        error.message
    }

    #[test]
    fn null_reads_as_an_empty_object() {
        let s = sample(serde_json::Value::Null).unwrap();
        assert!(s.name.is_none() && s.is_on.is_none() && s.inner.is_none());
    }

    #[test]
    fn known_keys_and_aliases_are_read() {
        let s = sample(json!({"name": "n", "isOn": true, "inner": {"depth": 2}, "list": ["a"]})).unwrap();
        assert_eq!(
            (s.name.as_deref(), s.is_on, s.inner.unwrap().depth, s.list),
            (Some("n"), Some(true), Some(2), Some(vec!["a".to_owned()]))
        );
    }

    #[test]
    fn a_value_that_is_not_an_object_is_refused() {
        assert_eq!(message(json!(5)), "call: `options` must be an object.");
    }

    #[test]
    fn an_unknown_key_is_named_with_the_options() {
        assert_eq!(
            message(json!({"nmae": 1})),
            "call: unknown option `nmae`; the options are name, isOn, is_on, inner, list."
        );
    }

    #[test]
    fn an_unknown_key_in_a_nested_object_is_named_by_its_path() {
        assert_eq!(
            message(json!({"inner": {"dpth": 1}})),
            "call: unknown option `inner.dpth`; the options are depth."
        );
    }

    #[test]
    fn a_wrong_type_names_the_key_and_what_it_must_be() {
        assert_eq!(message(json!({"is_on": "yes"})), "call: `is_on` must be true or false.");
        assert_eq!(message(json!({"name": 5})), "call: `name` must be a string.");
        assert_eq!(message(json!({"inner": 5})), "call: `inner` must be an object.");
        assert_eq!(
            message(json!({"inner": {"depth": -1}})),
            "call: `inner.depth` must be a whole number (0 or more)."
        );
        assert_eq!(message(json!({"list": ["a", 1]})), "call: `list[1]` must be a string.");
    }

    #[test]
    fn a_wrong_value_is_never_quoted() {
        let m = message(json!({"is_on": "hf_abcdefghijklmnopqrstuvwxyz, expected x"}));
        assert_eq!(m, "call: `is_on` must be true or false.");
    }

    #[test]
    fn a_token_pasted_as_a_key_is_redacted() {
        let m = message(json!({"hf_abcdefghijklmnopqrstuvwxyz": 1}));
        assert!(!m.contains("hf_abcdefghij"), "{m}");
    }

    #[test]
    fn a_missing_required_key_is_named() {
        let e = read::<Required, _>("downloadFile", json!({})).unwrap_err();
        assert_eq!(e.message, "downloadFile: `repo` is required.");
    }

    #[test]
    fn both_spellings_at_once_are_refused() {
        assert_eq!(
            message(json!({"is_on": true, "isOn": true})),
            "call: `is_on` is given twice (under both of its spellings)."
        );
    }
}
