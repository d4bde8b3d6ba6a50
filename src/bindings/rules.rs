//! Rules the package's JavaScript needs from the core, exported so that it
//! does not write them again: the token shape (the browser entry's warning
//! about a bundled token), the redaction of what the CLI prints, and the
//! names of the special tokens a tokenizer has properties for.

use wasm_bindgen::prelude::*;

/// Whether `value`, whole, is shaped like a Hugging Face token.
#[cfg(feature = "browser")]
#[wasm_bindgen(js_name = isTokenShape)]
pub fn is_token_shape(value: &str) -> bool {
    crate::core::redact::is_token_shape(value)
}

/// `text` without any of `secrets` and without what is shaped like a token
/// or a signed URL's query: for what the CLI prints.
#[cfg(feature = "node")]
#[wasm_bindgen(js_name = redactOutput)]
pub fn redact_output(text: &str, secrets: Vec<String>) -> String {
    crate::core::redact::redact_known(text, &secrets)
}

/// `bos_token`, `eos_token`, ...: the named special tokens, each with a
/// `{name}` and a `{name}_id` property on a loaded tokenizer.
#[cfg(not(feature = "edge"))]
#[wasm_bindgen(js_name = specialTokenNames)]
pub fn special_token_names() -> Vec<String> {
    crate::core::tokenizer::SPECIAL_TOKEN_NAMES
        .iter()
        .map(|name| name.to_string())
        .collect()
}
