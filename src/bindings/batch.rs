//! Batches across the boundary: texts travel as one joined string plus
//! their lengths, and come back as flat `Uint32Array`s plus row ends, so a
//! batch crosses once, not once per text (the JS wrapper in api.cjs joins
//! and reshapes).

use std::borrow::Cow;

use js_sys::{Object, Reflect, Uint32Array};
use wasm_bindgen::JsValue;

use crate::core::error::{ErrorCode, HubError};
use crate::core::tokenizer::BatchEncoding;

pub fn set(object: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(object, &key.into(), &value);
}

/// `{ input_ids, attention_mask?, token_type_ids?, assistant_masks?, ends }`, each flat.
pub fn batch_to_js(batch: &BatchEncoding) -> Object {
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
pub fn split_joined<'a>(joined: &'a str, lengths: &[u32]) -> Result<Vec<Cow<'a, str>>, HubError> {
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

/// The texts of `split_joined` as `&str`s.
pub fn as_strs<'a>(texts: &'a [Cow<'_, str>]) -> Vec<&'a str> {
    texts.iter().map(|t| t.as_ref()).collect()
}
