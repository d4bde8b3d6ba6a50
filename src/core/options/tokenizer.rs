//! The options of the tokenizer's methods: `tokenizer(text, options)` (and
//! `apply_chat_template`'s `tokenizer_kwargs`), `encode`, `batch_encode`,
//! `tokenize`, `decode`/`batch_decode` and `get_chat_template`. Keys are
//! Transformers.js' (snake_case, as in Python).

use serde::Deserialize;

use super::values::{no_tensors, padding, present, side, truncation, whole};
use crate::core::tokenizer::{CallOptions, Padding, Side, Truncation};

/// `tokenizer(text, options)`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallOptionsIn {
    /// The second sequence(s): the JS wrapper joins them before the call
    /// crosses into wasm, so only the key is known here.
    #[serde(default, deserialize_with = "present")]
    pub text_pair: bool,
    pub add_special_tokens: Option<bool>,
    #[serde(default, deserialize_with = "padding")]
    pub padding: Option<Padding>,
    #[serde(default, deserialize_with = "truncation")]
    pub truncation: Option<Truncation>,
    #[serde(default, deserialize_with = "whole")]
    pub max_length: Option<usize>,
    #[serde(default, deserialize_with = "whole")]
    pub pad_to_multiple_of: Option<usize>,
    pub return_token_type_ids: Option<bool>,
    pub return_attention_mask: Option<bool>,
    #[serde(default, deserialize_with = "side")]
    pub padding_side: Option<Side>,
    #[serde(default, deserialize_with = "no_tensors")]
    pub return_tensor: Option<bool>,
}

impl CallOptionsIn {
    pub fn to_call_options(&self) -> CallOptions {
        CallOptions {
            add_special_tokens: self.add_special_tokens.unwrap_or(true),
            padding: self.padding.unwrap_or_default(),
            truncation: self.truncation.unwrap_or_default(),
            max_length: self.max_length,
            pad_to_multiple_of: self.pad_to_multiple_of,
            return_token_type_ids: self.return_token_type_ids,
            return_attention_mask: self.return_attention_mask,
            padding_side: self.padding_side,
        }
    }
}

/// `encode(text, options)`; a `text_pair` sends the call through
/// `tokenizer()` (the JS wrapper does that).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodeOptions {
    pub add_special_tokens: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub text_pair: bool,
}

/// `batch_encode(texts, options)`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchEncodeOptions {
    pub add_special_tokens: Option<bool>,
}

/// `tokenize(text, options)`: without special tokens unless asked.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizeOptions {
    pub pair: Option<String>,
    pub add_special_tokens: Option<bool>,
}

/// `decode(ids, options)` and `batch_decode(batch, options)`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecodeOptions {
    pub skip_special_tokens: Option<bool>,
    /// `None`: the config's.
    pub clean_up_tokenization_spaces: Option<bool>,
}

/// `get_chat_template(options)`: a template by name, or the `tool_use`
/// one when tools are given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatTemplateChoice {
    pub chat_template: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub tools: bool,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::error::ErrorCode;
    use crate::core::options::read;

    #[test]
    fn call_options_default_as_transformers_does() {
        let o: CallOptionsIn = read("tokenizer()", serde_json::Value::Null).unwrap();
        let (c, d) = (o.to_call_options(), CallOptions::new());
        assert_eq!(
            (c.add_special_tokens, c.padding, c.truncation),
            (d.add_special_tokens, d.padding, d.truncation)
        );
        assert_eq!(
            (c.max_length, c.return_token_type_ids, c.padding_side),
            (None, None, None)
        );
    }

    #[test]
    fn call_options_are_read() {
        let o: CallOptionsIn = read(
            "tokenizer()",
            json!({"text_pair": ["b"], "add_special_tokens": false, "padding": "max_length", "truncation": "only_second",
                   "max_length": 8, "pad_to_multiple_of": 4, "return_token_type_ids": true,
                   "return_attention_mask": false, "padding_side": "left", "return_tensor": false}),
        )
        .unwrap();
        let c = o.to_call_options();
        assert!(o.text_pair && !c.add_special_tokens);
        assert_eq!(
            (c.padding, c.truncation, c.max_length),
            (Padding::MaxLength, Truncation::OnlySecond, Some(8))
        );
        assert_eq!((c.pad_to_multiple_of, c.return_token_type_ids), (Some(4), Some(true)));
        assert_eq!(
            (c.return_attention_mask, c.padding_side),
            (Some(false), Some(Side::Left))
        );
    }

    #[test]
    fn an_unknown_call_option_is_named() {
        let e = read::<CallOptionsIn, _>("tokenizer()", json!({"paddding": true})).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidOption);
        assert!(
            e.message
                .starts_with("tokenizer(): unknown option `paddding`; the options are text_pair, "),
            "{}",
            e.message
        );
    }

    #[test]
    fn each_method_refuses_a_key_it_does_not_take() {
        assert!(read::<EncodeOptions, _>("encode", json!({"padding": true})).is_err());
        assert!(read::<BatchEncodeOptions, _>("batch_encode", json!({"text_pair": "x"})).is_err());
        assert!(read::<TokenizeOptions, _>("tokenize", json!({"text_pair": "x"})).is_err());
        assert!(read::<DecodeOptions, _>("decode", json!({"skip_special": true})).is_err());
        assert!(read::<ChatTemplateChoice, _>("get_chat_template", json!({"name": "x"})).is_err());
    }

    #[test]
    fn method_options_are_read() {
        let e: EncodeOptions = read("encode", json!({"add_special_tokens": false, "text_pair": ""})).unwrap();
        assert_eq!((e.add_special_tokens, e.text_pair), (Some(false), true));
        let t: TokenizeOptions = read("tokenize", json!({"pair": "b", "add_special_tokens": true})).unwrap();
        assert_eq!((t.pair.as_deref(), t.add_special_tokens), (Some("b"), Some(true)));
        let d: DecodeOptions = read("decode", json!({"skip_special_tokens": true})).unwrap();
        assert_eq!(
            (d.skip_special_tokens, d.clean_up_tokenization_spaces),
            (Some(true), None)
        );
        let c: ChatTemplateChoice = read("get_chat_template", json!({"tools": [{}]})).unwrap();
        assert_eq!((c.chat_template, c.tools), (None, true));
    }

    #[test]
    fn a_wrong_type_in_a_method_says_what_it_must_be() {
        let e = read::<EncodeOptions, _>("encode", json!({"add_special_tokens": "no"})).unwrap_err();
        assert_eq!(e.message, "encode: `add_special_tokens` must be true or false.");
        let e = read::<ChatTemplateChoice, _>("get_chat_template", json!({"chat_template": 5})).unwrap_err();
        assert_eq!(e.message, "get_chat_template: `chat_template` must be a string.");
    }
}
