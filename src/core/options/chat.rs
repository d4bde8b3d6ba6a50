//! `apply_chat_template(conversation, options)`'s options, as JSON (what
//! `JSON.stringify` keeps of them), into what the core needs: the render's
//! [`ChatOptions`], the [`CallOptions`] that encode the rendered text, and
//! what to return. Every key this does not know is a template variable
//! (`enable_thinking`, `date_string`, ...), so none is refused; the keys of
//! `tokenizer_kwargs` are call options, checked as `tokenizer()` checks them.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::tokenizer::CallOptionsIn;
use super::values::{continue_final, no_tensors, padding, truncation, whole};
use super::{invalid, nested, read};
use crate::core::error::HubError;
use crate::core::tokenizer::{CallOptions, ChatOptions, LocalTime, Padding, Truncation};

const WHAT: &str = "apply_chat_template";

#[derive(Debug, Deserialize)]
struct ChatTemplateOptions {
    add_generation_prompt: Option<bool>,
    tokenize: Option<bool>,
    return_dict: Option<bool>,
    tools: Option<Value>,
    documents: Option<Value>,
    chat_template: Option<String>,
    #[serde(default, deserialize_with = "padding")]
    padding: Option<Padding>,
    #[serde(default, deserialize_with = "truncation")]
    truncation: Option<Truncation>,
    #[serde(default, deserialize_with = "whole")]
    max_length: Option<usize>,
    #[serde(default, deserialize_with = "no_tensors")]
    #[allow(dead_code)] // read to be checked: only `false` is accepted
    return_tensor: Option<bool>,
    #[serde(default, deserialize_with = "nested")]
    tokenizer_kwargs: Option<CallOptionsIn>,
    #[serde(default, deserialize_with = "continue_final")]
    continue_final_message: Option<String>,
    return_assistant_tokens_mask: Option<bool>,
    /// The template's own variables, in the caller's order.
    #[serde(flatten)]
    extra: Map<String, Value>,
}

/// What `apply_chat_template` does with one set of options.
#[derive(Debug)]
pub struct ChatRequest {
    pub chat: ChatOptions,
    /// For the rendered text(s): `tokenizer_kwargs`, with the top-level
    /// `padding`, `truncation` and `max_length` over them, and never
    /// special tokens (the template writes those).
    pub call: CallOptions,
    /// Return ids (else the text).
    pub tokenize: bool,
    /// Return `{ input_ids, attention_mask }` (else the ids alone).
    pub return_dict: bool,
}

impl ChatRequest {
    /// `assistant_masks` are asked for.
    pub fn masks(&self) -> bool {
        self.chat.track_generation
    }
}

/// Read `options` (`null` is `{}`); `now` is the local time `strftime_now` sees.
pub fn chat_request(options: Value, now: Option<LocalTime>) -> Result<ChatRequest, HubError> {
    let o: ChatTemplateOptions = read(WHAT, options)?;
    let tokenize = o.tokenize.unwrap_or(true);
    let return_dict = o.return_dict.unwrap_or(true);
    let masks = o.return_assistant_tokens_mask.unwrap_or(false);
    if masks && !(tokenize && return_dict) {
        return Err(invalid(
            WHAT,
            "`return_assistant_tokens_mask: true` needs `tokenize: true` and `return_dict: true` \
             (the mask is returned beside `input_ids`).",
        ));
    }
    let kwargs = o.tokenizer_kwargs.unwrap_or_default();
    let mut call = kwargs.to_call_options();
    call.padding = o.padding.or(kwargs.padding).unwrap_or_default();
    call.truncation = o.truncation.or(kwargs.truncation).unwrap_or_default();
    call.max_length = o.max_length.or(kwargs.max_length);
    call.add_special_tokens = false;
    Ok(ChatRequest {
        chat: ChatOptions {
            add_generation_prompt: o.add_generation_prompt.unwrap_or(false),
            tools: o.tools,
            documents: o.documents,
            chat_template: o.chat_template,
            extra: o.extra,
            now,
            continue_final: o.continue_final_message,
            track_generation: masks,
        },
        call,
        tokenize,
        return_dict,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::core::error::ErrorCode;

    fn request(options: Value) -> ChatRequest {
        chat_request(options, None).unwrap()
    }

    fn refused(options: Value) -> String {
        let e = chat_request(options, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidOption);
        e.message
    }

    #[test]
    fn defaults_tokenize_into_a_dict_without_special_tokens() {
        let r = request(Value::Null);
        assert!(r.tokenize && r.return_dict && !r.masks());
        assert!(!r.call.add_special_tokens && !r.chat.add_generation_prompt);
        assert_eq!(r.call.padding, Padding::None);
        assert!(r.chat.extra.is_empty() && r.chat.continue_final.is_none());
    }

    #[test]
    fn unknown_keys_are_template_variables_in_order() {
        let r = request(json!({"zeta": 1, "tokenize": false, "enable_thinking": false, "alpha": null}));
        assert_eq!(
            r.chat.extra.keys().collect::<Vec<_>>(),
            ["zeta", "enable_thinking", "alpha"]
        );
        assert!(!r.tokenize);
    }

    #[test]
    fn known_keys_are_read() {
        let r = request(json!({
            "add_generation_prompt": true, "tools": [{"name": "f"}], "documents": [], "chat_template": "tool_use",
            "return_dict": false, "continue_final_message": "thinking", "return_tensor": false
        }));
        assert!(r.chat.add_generation_prompt && !r.return_dict);
        assert_eq!(r.chat.tools, Some(json!([{"name": "f"}])));
        assert_eq!(r.chat.documents, Some(json!([])));
        assert_eq!(r.chat.chat_template.as_deref(), Some("tool_use"));
        assert_eq!(r.chat.continue_final.as_deref(), Some("thinking"));
        assert_eq!(
            request(json!({"continue_final_message": true}))
                .chat
                .continue_final
                .as_deref(),
            Some("content")
        );
        assert!(request(json!({"continue_final_message": false}))
            .chat
            .continue_final
            .is_none());
    }

    #[test]
    fn tokenizer_kwargs_are_call_options_under_the_top_level_ones() {
        let r = request(json!({
            "tokenizer_kwargs": {"padding": "max_length", "max_length": 9, "return_token_type_ids": true,
                                 "add_special_tokens": true, "truncation": true},
            "max_length": 4, "truncation": false
        }));
        assert_eq!(r.call.padding, Padding::MaxLength);
        assert_eq!((r.call.truncation, r.call.max_length), (Truncation::Off, Some(4)));
        assert_eq!(r.call.return_token_type_ids, Some(true));
        assert!(!r.call.add_special_tokens, "the template writes the special tokens");
        let r = request(json!({"padding": true, "tokenizer_kwargs": {"padding": false}}));
        assert_eq!(r.call.padding, Padding::Longest);
    }

    #[test]
    fn an_unknown_key_in_tokenizer_kwargs_is_named() {
        let m = refused(json!({"tokenizer_kwargs": {"paddng": true}}));
        assert!(
            m.starts_with("apply_chat_template: unknown option `tokenizer_kwargs.paddng`;"),
            "{m}"
        );
    }

    #[test]
    fn wrong_types_name_the_key() {
        assert_eq!(
            refused(json!({"continue_final_message": 1})),
            "apply_chat_template: `continue_final_message` must be true, false or a field name."
        );
        assert_eq!(
            refused(json!({"tokenizer_kwargs": {"padding": "up"}})),
            "apply_chat_template: `tokenizer_kwargs.padding` must be true, false, 'longest', 'max_length' or 'do_not_pad'."
        );
        assert_eq!(
            refused(json!({"tokenize": "yes"})),
            "apply_chat_template: `tokenize` must be true or false."
        );
        assert_eq!(
            refused(json!({"chat_template": 1})),
            "apply_chat_template: `chat_template` must be a string."
        );
        assert_eq!(
            refused(json!({"return_tensor": true})),
            "apply_chat_template: `return_tensor` must be false (hubguard returns plain arrays)."
        );
    }

    #[test]
    fn masks_need_ids_in_a_dict() {
        assert!(request(json!({"return_assistant_tokens_mask": true})).masks());
        let m = refused(json!({"return_assistant_tokens_mask": true, "tokenize": false}));
        assert!(m.contains("needs `tokenize: true`"), "{m}");
        refused(json!({"return_assistant_tokens_mask": true, "return_dict": false}));
    }
}
