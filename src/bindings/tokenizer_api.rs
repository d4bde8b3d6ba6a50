//! The `Tokenizer` methods that encode and decode: each reads its options
//! struct (`core::options::tokenizer`), calls the pure core once, and
//! converts the result back. The settings and the chat template are in
//! tokenizer_settings.rs and chat_api.rs; batches' wire format in batch.rs.

use std::cell::RefCell;

use js_sys::{Object, Uint32Array};
use wasm_bindgen::prelude::*;

use super::batch::{as_strs, batch_to_js, set, split_joined};
use super::options::{ids_arg, read};
use super::tokenizer::JsTokenizer;
use crate::core::error::HubError;
use crate::core::options::tokenizer::{
    BatchEncodeOptions, CallOptionsIn, DecodeOptions, EncodeOptions, TokenizeOptions,
};
use crate::core::options::wrong_type;

thread_local! {
    /// `encode`'s text and ids, kept between calls: the JS wrapper writes
    /// UTF-8 straight into `INPUT` and reads the ids out of `OUTPUT`, so a
    /// call allocates nothing at the boundary (profiled: per-call malloc,
    /// realloc and free were a large part of encoding a short text).
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// The address of a buffer of at least `len` bytes for `encodeInput`'s text.
#[wasm_bindgen(js_name = inputBuffer)]
pub fn input_buffer(len: usize) -> *mut u8 {
    INPUT.with_borrow_mut(|input| {
        if input.len() < len {
            input.resize(len, 0);
        }
        input.as_mut_ptr()
    })
}

/// Refuse a text of at least `bytes` UTF-8 bytes before its buffer is
/// made (the JS wrapper passes a string's length, a lower bound).
#[wasm_bindgen(js_name = checkTextSize)]
pub fn check_text_size(bytes: usize) -> Result<(), HubError> {
    crate::core::tokenizer::check_text_size(bytes)
}

/// The address of the ids the last `encodeInput` wrote.
#[wasm_bindgen(js_name = outputIds)]
pub fn output_ids() -> *const u32 {
    OUTPUT.with_borrow(|output| output.as_ptr())
}

/// The module's memory, for the views over those two buffers.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

#[wasm_bindgen(js_class = Tokenizer)]
impl JsTokenizer {
    /// The hot path: encode the first `len` bytes of the input buffer (UTF-8,
    /// checked) into the output buffer; returns how many ids it holds.
    #[wasm_bindgen(js_name = encodeInput)]
    pub fn encode_input(&self, len: usize, add_special_tokens: bool) -> Result<u32, HubError> {
        INPUT.with_borrow(|input| {
            let text = input
                .get(..len)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .ok_or_else(|| wrong_type("encode", "text", "a string"))?;
            OUTPUT.with_borrow_mut(|output| {
                self.inner.encode_into(text, add_special_tokens, output)?;
                Ok(output.len() as u32)
            })
        })
    }

    /// `encode(text, options)`'s options, when given (the hot path takes
    /// none): `add_special_tokens`, default true.
    #[wasm_bindgen(js_name = encodeOptions)]
    pub fn encode_options(&self, options: JsValue) -> Result<bool, HubError> {
        let options: EncodeOptions = read("encode", &options)?;
        Ok(options.add_special_tokens.unwrap_or(true))
    }

    /// Texts joined end to end, with their lengths in UTF-16 units; returns
    /// `{ ids, ends }` with all ids flat and where each text's ids end.
    #[wasm_bindgen(js_name = encodeBatch)]
    pub fn encode_batch(&self, joined: &str, lengths: &[u32], options: JsValue) -> Result<JsValue, HubError> {
        let options: BatchEncodeOptions = read("batch_encode", &options)?;
        let texts = split_joined(joined, lengths)?;
        let (ids, ends) = self
            .inner
            .encode_many(&as_strs(&texts), options.add_special_tokens.unwrap_or(true))?;
        let out = Object::new();
        set(&out, "ids", Uint32Array::from(&ids[..]).into());
        set(&out, "ends", Uint32Array::from(&ends[..]).into());
        Ok(out.into())
    }

    /// `tokenizer(text, options)` for a batch (joined as for `encodeBatch`;
    /// `pair_joined` is `undefined` without `text_pair`).
    pub fn call(
        &mut self,
        joined: &str,
        lengths: &[u32],
        pair_joined: Option<String>,
        pair_lengths: Option<Vec<u32>>,
        options: JsValue,
    ) -> Result<JsValue, HubError> {
        let options: CallOptionsIn = read("tokenizer()", &options)?;
        let texts = split_joined(joined, lengths)?;
        let pairs = match (&pair_joined, &pair_lengths) {
            (Some(j), Some(l)) => Some(split_joined(j, l)?),
            _ => None,
        };
        let pairs = pairs.as_deref().map(as_strs);
        let batch = self
            .inner
            .call(&as_strs(&texts), pairs.as_deref(), &options.to_call_options())?;
        Ok(batch_to_js(&batch).into())
    }

    /// `tokenize(text, { pair, add_special_tokens = false })`
    #[wasm_bindgen(js_name = tokenizeText)]
    pub fn tokenize_text(&self, text: &str, options: JsValue) -> Result<Vec<String>, HubError> {
        let options: TokenizeOptions = read("tokenize", &options)?;
        self.inner.tokenize(
            text,
            options.pair.as_deref(),
            options.add_special_tokens.unwrap_or(false),
        )
    }

    /// `decode(ids, { skip_special_tokens, clean_up_tokenization_spaces })`
    pub fn decode(&self, ids: JsValue, options: JsValue) -> Result<String, HubError> {
        let ids = ids_arg(&ids, "decode")?;
        let options: DecodeOptions = read("decode", &options)?;
        self.inner.decode_with(
            &ids,
            options.skip_special_tokens.unwrap_or(false),
            options.clean_up_tokenization_spaces,
        )
    }

    /// Rows flattened into `ids` (checked like `decode`'s), split at `ends`.
    #[wasm_bindgen(js_name = batchDecode)]
    pub fn batch_decode(&self, ids: JsValue, ends: Vec<u32>, options: JsValue) -> Result<Vec<String>, HubError> {
        let ids = ids_arg(&ids, "batch_decode")?;
        let options: DecodeOptions = read("batch_decode", &options)?;
        let mut rows = Vec::with_capacity(ends.len());
        let mut start = 0usize;
        for &end in &ends {
            let end = end as usize;
            if end < start || end > ids.len() {
                return Err(wrong_type("batch_decode", "batch", "an array of id arrays"));
            }
            rows.push(&ids[start..end]);
            start = end;
        }
        self.inner.batch_decode(
            &rows,
            options.skip_special_tokens.unwrap_or(false),
            options.clean_up_tokenization_spaces,
        )
    }

    /// The id of each token, `undefined` for unknown ones.
    #[wasm_bindgen(js_name = tokenToId)]
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// `{ tokens, ids }`, ordered by id (the JS wrapper builds the object).
    pub fn vocab(&self) -> JsValue {
        let vocab = self.inner.vocab();
        let tokens = js_sys::Array::new_with_length(vocab.len() as u32);
        for (i, (token, _)) in vocab.iter().enumerate() {
            tokens.set(i as u32, JsValue::from_str(token));
        }
        let ids: Vec<u32> = vocab.iter().map(|(_, id)| *id).collect();
        let out = Object::new();
        set(&out, "tokens", tokens.into());
        set(&out, "ids", Uint32Array::from(&ids[..]).into());
        out.into()
    }
}
