//! The `Tokenizer` methods JS calls: each converts its arguments, calls the
//! pure core once, and converts the result back. Batches travel as one
//! joined string plus lengths and come back as flat `Uint32Array`s plus row
//! ends, so a batch crosses the boundary once, not once per text (the JS
//! wrapper in api.cjs joins and reshapes).

use std::borrow::Cow;
use std::cell::RefCell;

use js_sys::{Object, Reflect, Uint32Array};
use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::errors::to_js;
use super::options::{ids_arg, string_arg, wrong_type, Options};
use super::tokenizer::JsTokenizer;
use crate::core::error::{ErrorCode, HubError};
use crate::core::tokenizer::{BatchEncoding, CallOptions, ChatOptions, LocalTime, Padding, Side, Truncation};

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
pub fn check_text_size(bytes: usize) -> Result<(), JsValue> {
    crate::core::tokenizer::check_text_size(bytes).map_err(to_js)
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
    pub fn encode_input(&self, len: usize, add_special_tokens: bool) -> Result<u32, JsValue> {
        INPUT
            .with_borrow(|input| {
                let text = input
                    .get(..len)
                    .and_then(|bytes| std::str::from_utf8(bytes).ok())
                    .ok_or_else(|| wrong_type("encode", "text", "a string"))?;
                OUTPUT.with_borrow_mut(|output| {
                    self.inner.encode_into(text, add_special_tokens, output)?;
                    Ok(output.len() as u32)
                })
            })
            .map_err(to_js)
    }

    /// Texts joined end to end, with their lengths in UTF-16 units; returns
    /// `{ ids, ends }` with all ids flat and where each text's ids end.
    #[wasm_bindgen(js_name = encodeBatch)]
    pub fn encode_batch(&self, joined: &str, lengths: &[u32], add_special_tokens: bool) -> Result<JsValue, JsValue> {
        let run = || {
            let texts = split_joined(joined, lengths)?;
            let texts: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
            let (ids, ends) = self.inner.encode_many(&texts, add_special_tokens)?;
            let out = Object::new();
            set(&out, "ids", Uint32Array::from(&ids[..]).into());
            set(&out, "ends", Uint32Array::from(&ends[..]).into());
            Ok(out.into())
        };
        run().map_err(to_js)
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
    ) -> Result<JsValue, JsValue> {
        let mut run = || {
            let options = Options::new(&options, "tokenizer()")?;
            let call_options = call_options(&options, "tokenizer()")?;
            let texts = split_joined(joined, lengths)?;
            let texts: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
            let pairs = match (&pair_joined, &pair_lengths) {
                (Some(j), Some(l)) => Some(split_joined(j, l)?),
                _ => None,
            };
            let pairs: Option<Vec<&str>> = pairs.as_ref().map(|p| p.iter().map(|t| t.as_ref()).collect());
            let batch = self.inner.call(&texts, pairs.as_deref(), &call_options)?;
            Ok(batch_to_js(&batch).into())
        };
        run().map_err(to_js)
    }

    /// `tokenize(text, { pair, add_special_tokens = false })`
    #[wasm_bindgen(js_name = tokenizeText)]
    pub fn tokenize_text(&self, text: &str, options: JsValue) -> Result<Vec<String>, JsValue> {
        let run = || {
            let options = Options::new(&options, "tokenize")?;
            let pair = options.string("pair")?;
            let add = options.bool_or("add_special_tokens", false)?;
            self.inner.tokenize(text, pair.as_deref(), add)
        };
        run().map_err(to_js)
    }

    /// `decode(ids, { skip_special_tokens, clean_up_tokenization_spaces })`
    pub fn decode(&self, ids: JsValue, options: JsValue) -> Result<String, JsValue> {
        let run = || {
            let ids = ids_arg(&ids, "decode")?;
            let (skip, clean_up) = decode_options(&options, "decode")?;
            self.inner.decode_with(&ids, skip, clean_up)
        };
        run().map_err(to_js)
    }

    /// Rows flattened into `ids` (checked like `decode`'s), split at `ends`.
    #[wasm_bindgen(js_name = batchDecode)]
    pub fn batch_decode(&self, ids: JsValue, ends: Vec<u32>, options: JsValue) -> Result<Vec<String>, JsValue> {
        let run = || {
            let ids = ids_arg(&ids, "batch_decode")?;
            let (skip, clean_up) = decode_options(&options, "batch_decode")?;
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
            self.inner.batch_decode(&rows, skip, clean_up)
        };
        run().map_err(to_js)
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

    /// `tokenizer.padding_side = side` and `tokenizer.truncation_side = side`.
    #[wasm_bindgen(js_name = setSide)]
    pub fn set_side(&mut self, property: &str, side: JsValue) -> Result<(), JsValue> {
        let side = side
            .as_string()
            .as_deref()
            .and_then(Side::parse)
            .ok_or_else(|| to_js(wrong_type("tokenizer", property, "'left' or 'right'")))?;
        let settings = self.inner.settings_mut();
        match property {
            "padding_side" => settings.padding_side = side,
            "truncation_side" => settings.truncation_side = side,
            _ => {
                return Err(to_js(HubError::new(
                    ErrorCode::InvalidOption,
                    format!("`{property}` cannot be set."),
                )))
            }
        }
        Ok(())
    }

    /// `tokenizer.pad_token = token`: a string (even one outside the
    /// vocabulary, as transformers allows: padding then says so), or null.
    #[wasm_bindgen(js_name = setPadToken)]
    pub fn set_pad_token(&mut self, token: JsValue) -> Result<(), JsValue> {
        let token = match token.is_null() || token.is_undefined() {
            true => None,
            false => Some(string_arg(&token, "tokenizer", "pad_token").map_err(to_js)?),
        };
        self.inner.settings_mut().set_special_token("pad_token", token);
        Ok(())
    }

    /// `tokenizer.pad_token_id = id`: the token with that id becomes
    /// `pad_token` (null unsets it).
    #[wasm_bindgen(js_name = setPadTokenId)]
    pub fn set_pad_token_id(&mut self, id: JsValue) -> Result<(), JsValue> {
        let token = match id.is_null() || id.is_undefined() {
            true => None,
            false => {
                let token = id
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(n))
                    .and_then(|n| self.inner.id_to_token(n as u32))
                    .ok_or_else(|| {
                        to_js(wrong_type(
                            "tokenizer",
                            "pad_token_id",
                            "the id of a token in the vocabulary, or null",
                        ))
                    })?;
                Some(token)
            }
        };
        self.inner.settings_mut().set_special_token("pad_token", token);
        Ok(())
    }

    /// The settings, as JSON text parsed by the wrapper once after loading
    /// and again after a setter: special tokens and their ids, sides,
    /// limits, templates.
    pub fn info(&self) -> String {
        let settings = self.inner.settings();
        let mut special = Map::new();
        for (name, token) in &settings.special_tokens {
            special.insert(name.clone(), Value::String(token.clone()));
            special.insert(
                format!("{name}_id"),
                self.inner.token_to_id(token).map_or(Value::Null, Value::from),
            );
        }
        let all = self.inner.special_added_tokens();
        let info = serde_json::json!({
            "special": special,
            "all_special_ids": all.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            "all_special_tokens": all.iter().map(|(_, t)| t.clone()).collect::<Vec<_>>(),
            "padding_side": settings.padding_side.as_str(),
            "truncation_side": settings.truncation_side.as_str(),
            // JSON has no Infinity: null stands for "no limit".
            "model_max_length": settings.model_max_length_raw.is_finite().then_some(settings.model_max_length_raw),
            "chat_template": self.inner.chat_template_value(),
        });
        info.to_string()
    }

    /// The template `apply_chat_template` would use (chosen by the core).
    #[wasm_bindgen(js_name = chatTemplate)]
    pub fn chat_template(&self, requested: Option<String>, has_tools: bool) -> Result<String, JsValue> {
        self.inner
            .chat_template_source(requested.as_deref(), has_tools)
            .map_err(to_js)
    }

    /// `apply_chat_template(conversation, options)`: the rendered text(s), or
    /// `{ input_ids, attention_mask }` rows (flattened as in `call`).
    #[wasm_bindgen(js_name = applyChatTemplate)]
    pub fn apply_chat_template(&mut self, conversation: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let mut run = || {
            const WHAT: &str = "apply_chat_template";
            let conversation = to_json(&conversation, WHAT, "conversation")?;
            let opts = Options::new(&options, WHAT)?;
            let tokenize = opts.bool_or("tokenize", true)?;
            let return_dict = opts.bool_or("return_dict", true)?;
            let masks = opts.bool_or("return_assistant_tokens_mask", false)?;
            if masks && !(tokenize && return_dict) {
                return Err(HubError::new(
                    ErrorCode::InvalidOption,
                    "apply_chat_template: `return_assistant_tokens_mask: true` needs `tokenize: true` and \
                     `return_dict: true` (the mask is returned beside `input_ids`).",
                ));
            }
            let continue_final = match opts.raw("continue_final_message") {
                None => None,
                Some(v) => match (v.as_bool(), v.as_string()) {
                    (Some(false), _) => None,
                    (Some(true), _) => Some("content".to_owned()),
                    (_, Some(field)) => Some(field),
                    _ => {
                        return Err(wrong_type(
                            WHAT,
                            "continue_final_message",
                            "true, false or a field name",
                        ))
                    }
                },
            };
            let mut call = match opts.object("tokenizer_kwargs") {
                Some(kwargs) => call_options(&Options::new(&kwargs, WHAT)?, WHAT)?,
                None => CallOptions::new(),
            };
            let own = call_options(&opts, WHAT)?;
            call.padding = own.padding;
            call.truncation = own.truncation;
            call.max_length = own.max_length.or(call.max_length);
            call.add_special_tokens = false;
            let mut extra = match to_json(&options, WHAT, "options")? {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            for key in [
                "tools",
                "documents",
                "chat_template",
                "add_generation_prompt",
                "tokenize",
                "padding",
                "truncation",
                "max_length",
                "return_tensor",
                "return_dict",
                "tokenizer_kwargs",
                "continue_final_message",
                "return_assistant_tokens_mask",
            ] {
                extra.shift_remove(key);
            }
            let date = js_sys::Date::new_0();
            let now = LocalTime {
                local_ms: (date.get_time() - date.get_timezone_offset() * 60_000.0) as i64,
            };
            let chat = ChatOptions {
                add_generation_prompt: opts.bool_or("add_generation_prompt", false)?,
                tools: opts.raw("tools").map(|v| to_json(&v, WHAT, "tools")).transpose()?,
                documents: opts
                    .raw("documents")
                    .map(|v| to_json(&v, WHAT, "documents"))
                    .transpose()?,
                chat_template: opts.string("chat_template")?,
                extra,
                now: Some(now),
                continue_final,
                track_generation: masks,
            };
            let rendered = self.inner.render_chat(&conversation, &chat)?;
            if !tokenize {
                return Ok(if rendered.batched {
                    rendered
                        .texts
                        .iter()
                        .map(|t| JsValue::from_str(t))
                        .collect::<js_sys::Array>()
                        .into()
                } else {
                    JsValue::from_str(&rendered.texts[0])
                });
            }
            let texts: Vec<&str> = rendered.texts.iter().map(String::as_str).collect();
            let batch = if masks {
                self.inner
                    .call_with_assistant_masks(&texts, &rendered.generation_spans, &call)?
            } else {
                self.inner.call(&texts, None, &call)?
            };
            let out = batch_to_js(&batch);
            set(&out, "batched", rendered.batched.into());
            set(&out, "return_dict", return_dict.into());
            if rendered.no_generation_tag {
                set(&out, "no_generation_tag", true.into());
            }
            Ok(out.into())
        };
        run().map_err(to_js)
    }
}

fn set(object: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(object, &key.into(), &value);
}

/// `{ input_ids, attention_mask?, token_type_ids?, ends }`, each flat.
fn batch_to_js(batch: &BatchEncoding) -> Object {
    let flat = |rows: &[Vec<u32>]| -> JsValue {
        let all: Vec<u32> = rows.iter().flatten().copied().collect();
        Uint32Array::from(&all[..]).into()
    };
    let mut ends = Vec::with_capacity(batch.input_ids.len());
    let mut total = 0u32;
    for row in &batch.input_ids {
        total += row.len() as u32;
        ends.push(total);
    }
    let out = Object::new();
    set(&out, "input_ids", flat(&batch.input_ids));
    if let Some(mask) = &batch.attention_mask {
        set(&out, "attention_mask", flat(mask));
    }
    if let Some(types) = &batch.token_type_ids {
        set(&out, "token_type_ids", flat(types));
    }
    if let Some(masks) = &batch.assistant_masks {
        set(&out, "assistant_masks", flat(masks));
    }
    set(&out, "ends", Uint32Array::from(&ends[..]).into());
    out
}

/// Split `joined` into texts of the given UTF-16 lengths. A pair of texts
/// whose lone surrogates met when joined (high at the end of one, low at
/// the start of the next) each get U+FFFD, as each would have alone.
fn split_joined<'a>(joined: &'a str, lengths: &[u32]) -> Result<Vec<Cow<'a, str>>, HubError> {
    let mut out: Vec<Cow<'a, str>> = Vec::with_capacity(lengths.len());
    let mut chars = joined.char_indices().peekable();
    let mut carry = false; // the previous text ended inside a surrogate pair
    for &length in lengths {
        let mut units = if carry { 1u32 } else { 0 };
        let start = chars.peek().map_or(joined.len(), |(i, _)| *i);
        let mut end = start;
        let mut split_pair = false;
        while units < length {
            let Some(&(i, c)) = chars.peek() else { break };
            let width = c.len_utf16() as u32;
            if units + width > length {
                split_pair = true;
                break;
            }
            units += width;
            end = i + c.len_utf8();
            chars.next();
        }
        if units < length && !split_pair {
            return Err(HubError::new(
                ErrorCode::InvalidOption,
                "text lengths do not match the text",
            ));
        }
        let body = &joined[start..end];
        let text = match (carry, split_pair) {
            (false, false) => Cow::Borrowed(body),
            (c, s) => Cow::Owned(format!(
                "{}{body}{}",
                if c { "\u{FFFD}" } else { "" },
                if s { "\u{FFFD}" } else { "" }
            )),
        };
        if split_pair {
            chars.next();
        }
        carry = split_pair;
        out.push(text);
    }
    Ok(out)
}

fn call_options(options: &Options, what: &'static str) -> Result<CallOptions, HubError> {
    let mut out = CallOptions::new();
    out.add_special_tokens = options.bool_or("add_special_tokens", true)?;
    out.padding = match options.raw("padding") {
        None => Padding::None,
        Some(v) => match (v.as_bool(), v.as_string().as_deref()) {
            (Some(false), _) | (_, Some("do_not_pad")) => Padding::None,
            (Some(true), _) | (_, Some("longest")) => Padding::Longest,
            (_, Some("max_length")) => Padding::MaxLength,
            _ => {
                return Err(wrong_type(
                    what,
                    "padding",
                    "true, false, 'longest', 'max_length' or 'do_not_pad'",
                ))
            }
        },
    };
    out.truncation = match options.raw("truncation") {
        None => Truncation::Unset,
        Some(v) => match (v.as_bool(), v.as_string().as_deref()) {
            (Some(false), _) | (_, Some("do_not_truncate")) => Truncation::Off,
            (Some(true), _) | (_, Some("longest_first")) => Truncation::LongestFirst,
            (_, Some("only_first")) => Truncation::OnlyFirst,
            (_, Some("only_second")) => Truncation::OnlySecond,
            _ => {
                return Err(wrong_type(
                    what,
                    "truncation",
                    "true, false, 'longest_first', 'only_first', 'only_second' or 'do_not_truncate'",
                ))
            }
        },
    };
    out.max_length = whole_number(options, what, "max_length")?;
    out.pad_to_multiple_of = whole_number(options, what, "pad_to_multiple_of")?;
    out.return_token_type_ids = optional_bool(options, "return_token_type_ids")?;
    out.return_attention_mask = optional_bool(options, "return_attention_mask")?;
    out.padding_side = match options.raw("padding_side") {
        None => None,
        Some(v) => Some(
            v.as_string()
                .as_deref()
                .and_then(Side::parse)
                .ok_or_else(|| wrong_type(what, "padding_side", "'left' or 'right'"))?,
        ),
    };
    if let Some(v) = options.raw("return_tensor") {
        // Plain arrays only: a caller asking for tensors should know at once.
        if v.as_bool() != Some(false) {
            return Err(wrong_type(
                what,
                "return_tensor",
                "false (hubguard returns plain arrays)",
            ));
        }
    }
    Ok(out)
}

fn whole_number(options: &Options, what: &'static str, key: &str) -> Result<Option<usize>, HubError> {
    match options.number(key)? {
        None => Ok(None),
        Some(n) if n.fract() == 0.0 && n <= u32::MAX as f64 => Ok(Some(n as usize)),
        Some(_) => Err(wrong_type(what, key, "a whole number")),
    }
}

fn optional_bool(options: &Options, key: &str) -> Result<Option<bool>, HubError> {
    match options.raw(key) {
        None => Ok(None),
        Some(_) => options.bool_or(key, false).map(Some),
    }
}

fn decode_options(options: &JsValue, what: &'static str) -> Result<(bool, Option<bool>), HubError> {
    let options = Options::new(options, what)?;
    Ok((
        options.bool_or("skip_special_tokens", false)?,
        optional_bool(&options, "clean_up_tokenization_spaces")?,
    ))
}

/// A JS value as JSON (what `JSON.stringify` keeps: no functions, no undefined).
fn to_json(value: &JsValue, what: &'static str, name: &str) -> Result<Value, HubError> {
    if value.is_undefined() {
        return Ok(Value::Null);
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
