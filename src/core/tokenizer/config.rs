//! What tokenizer_config.json says about a tokenizer: special tokens,
//! padding and truncation sides, maximum length, chat templates.
//!
//! Read once at load time into plain fields, so the hot paths never look
//! into the JSON again. Unknown or oddly typed fields fall back to the
//! defaults transformers uses rather than failing the load: configs on the
//! Hub are hand-edited and often carry stray values.

use serde_json::Value;

/// The named special tokens, in transformers' `SPECIAL_TOKENS_ATTRIBUTES`
/// order (the order they are handed to chat templates in).
pub const SPECIAL_TOKEN_NAMES: [&str; 7] = [
    "bos_token",
    "eos_token",
    "unk_token",
    "sep_token",
    "pad_token",
    "cls_token",
    "mask_token",
];

/// Above this, `model_max_length` means "no limit" (transformers' LARGE_INTEGER:
/// configs without a limit store int(1e30)).
pub const NO_MAX_LENGTH_ABOVE: f64 = 1e20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

impl Side {
    pub fn parse(value: &str) -> Option<Side> {
        match value {
            "left" => Some(Side::Left),
            "right" => Some(Side::Right),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ChatTemplates {
    None,
    Single(String),
    /// `[{name, template}, ...]` in the config, kept in file order.
    Named(Vec<(String, String)>),
}

#[derive(Clone, Debug)]
pub struct TokenizerSettings {
    /// `(name, token)` for each named special token the config sets, plus
    /// model-specific ones from `extra_special_tokens` (e.g. Gemma-3's
    /// `image_token`). `pad_token` is filled from `eos_token` when unset,
    /// as Transformers.js does, so `padding: true` works on Llama-style
    /// tokenizers.
    pub special_tokens: Vec<(String, String)>,
    /// Only the names the config itself sets: what chat templates receive,
    /// as transformers passes its `special_tokens_map`.
    pub template_tokens: Vec<(String, String)>,
    pub padding_side: Side,
    pub truncation_side: Side,
    /// `None`: no limit (absent, or transformers' "very large" placeholder).
    pub model_max_length: Option<usize>,
    /// As written in the config (absent: infinite), for the JS property.
    pub model_max_length_raw: f64,
    pub clean_up_tokenization_spaces: bool,
    /// Whether `token_type_ids` is returned when the caller does not say.
    pub return_token_type_ids: bool,
    pub chat_templates: ChatTemplates,
}

impl TokenizerSettings {
    pub fn from_config(config: &Value) -> Self {
        let mut template_tokens = Vec::new();
        for name in SPECIAL_TOKEN_NAMES {
            if let Some(token) = config.get(name).and_then(token_content) {
                template_tokens.push((name.to_owned(), token));
            }
        }
        // Model-specific named tokens (transformers v5 `extra_special_tokens`
        // as a mapping); a list form only adds unnamed tokens.
        if let Some(Value::Object(extra)) = config.get("extra_special_tokens") {
            // A name ending in `_id` would shadow the id property of another.
            for (name, value) in extra.iter().filter(|(name, _)| !name.ends_with("_id")) {
                if let Some(token) = token_content(value) {
                    if !template_tokens.iter().any(|(n, _)| n == name) {
                        template_tokens.push((name.clone(), token));
                    }
                }
            }
        }
        let mut special_tokens = template_tokens.clone();
        if !special_tokens.iter().any(|(n, _)| n == "pad_token") {
            if let Some((_, eos)) = special_tokens.iter().find(|(n, _)| n == "eos_token") {
                special_tokens.push(("pad_token".to_owned(), eos.clone()));
            }
        }
        let side = |key: &str| config.get(key).and_then(Value::as_str).and_then(Side::parse);
        let raw_max = config.get("model_max_length").and_then(Value::as_f64);
        let model_max_length = raw_max
            .filter(|n| n.is_finite() && *n >= 0.0 && *n <= NO_MAX_LENGTH_ABOVE)
            .map(|n| n as usize);
        TokenizerSettings {
            special_tokens,
            template_tokens,
            padding_side: side("padding_side").unwrap_or(Side::Right),
            truncation_side: side("truncation_side").unwrap_or(Side::Right),
            model_max_length,
            model_max_length_raw: raw_max.unwrap_or(f64::INFINITY),
            // transformers v5's default is false.
            clean_up_tokenization_spaces: config
                .get("clean_up_tokenization_spaces")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            return_token_type_ids: wants_token_type_ids(config),
            chat_templates: chat_templates(config.get("chat_template")),
        }
    }

    pub fn special_token(&self, name: &str) -> Option<&str> {
        self.special_tokens
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    /// `tokenizer.pad_token = token` (or `null`): later calls pad with it, and
    /// chat templates see it, as transformers' `special_tokens_map` has it
    /// once set.
    pub fn set_special_token(&mut self, name: &str, token: Option<String>) {
        for list in [&mut self.special_tokens, &mut self.template_tokens] {
            match (list.iter_mut().find(|(n, _)| n == name), &token) {
                (Some(entry), Some(token)) => entry.1 = token.clone(),
                (None, Some(token)) => list.push((name.to_owned(), token.clone())),
                (_, None) => list.retain(|(n, _)| n != name),
            }
        }
    }
}

/// A special token as configs write it: a string, or an AddedToken object
/// (`{"__type": "AddedToken", "content": ...}`).
fn token_content(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("content").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// transformers returns `token_type_ids` when they are among the model's
/// inputs: the config's `model_input_names`, else the tokenizer class's
/// default. In transformers v5 these are the classes (and the older names
/// that resolve to them, such as `ElectraTokenizer` to `BertTokenizer`) whose
/// `model_input_names` list them; every other class, and an unknown one,
/// leaves them out. Transformers.js also returns them for Albert, Herbert,
/// RoFormer and XLM; transformers, the reference, does not.
const CLASSES_WITH_TOKEN_TYPE_IDS: &[&str] = &[
    "BertTokenizer",
    "CanineTokenizer",
    "ConvBertTokenizer",
    "DPRContextEncoderTokenizer",
    "DPRQuestionEncoderTokenizer",
    "DebertaTokenizer",
    "DebertaV2Tokenizer",
    "ElectraTokenizer",
    "FNetTokenizer",
    "LayoutLMTokenizer",
    "LayoutLMv2Tokenizer",
    "LxmertTokenizer",
    "MarkupLMTokenizer",
    "MobileBertTokenizer",
    "SqueezeBertTokenizer",
    "TapasTokenizer",
];

fn wants_token_type_ids(config: &Value) -> bool {
    if let Some(Value::Array(names)) = config.get("model_input_names") {
        return names.iter().any(|n| n.as_str() == Some("token_type_ids"));
    }
    let class = config.get("tokenizer_class").and_then(Value::as_str).unwrap_or("");
    let class = class.strip_suffix("Fast").unwrap_or(class);
    CLASSES_WITH_TOKEN_TYPE_IDS.contains(&class)
}

fn chat_templates(value: Option<&Value>) -> ChatTemplates {
    match value {
        Some(Value::String(s)) => ChatTemplates::Single(s.clone()),
        Some(Value::Array(items)) => ChatTemplates::Named(
            items
                .iter()
                .filter_map(|item| {
                    let name = item.get("name")?.as_str()?;
                    let template = item.get("template")?.as_str()?;
                    Some((name.to_owned(), template.to_owned()))
                })
                .collect(),
        ),
        _ => ChatTemplates::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_tokens_in_both_forms_and_falls_back_for_pad() {
        let s = TokenizerSettings::from_config(&json!({
            "bos_token": {"__type": "AddedToken", "content": "<s>"},
            "eos_token": "</s>",
            "pad_token": null,
            "padding_side": "left",
            "model_max_length": 1000000000000000019884624838656.0,
        }));
        assert_eq!(s.special_token("bos_token"), Some("<s>"));
        assert_eq!(s.special_token("pad_token"), Some("</s>"));
        assert!(!s.template_tokens.iter().any(|(n, _)| n == "pad_token"));
        assert_eq!(s.padding_side, Side::Left);
        assert_eq!(s.truncation_side, Side::Right);
        assert_eq!(s.model_max_length, None);
        assert!(!s.return_token_type_ids);
    }

    #[test]
    fn named_templates_and_token_type_defaults() {
        let s = TokenizerSettings::from_config(&json!({
            "chat_template": [{"name": "default", "template": "a"}, {"name": "tool_use", "template": "b"}, {"x": 1}],
            "tokenizer_class": "BertTokenizerFast",
            "model_max_length": 512,
            "padding_side": "middle",
        }));
        assert_eq!(
            s.chat_templates,
            ChatTemplates::Named(vec![("default".into(), "a".into()), ("tool_use".into(), "b".into())])
        );
        assert!(s.return_token_type_ids);
        assert_eq!(s.model_max_length, Some(512));
        assert_eq!(s.padding_side, Side::Right);
        let s = TokenizerSettings::from_config(&json!({"model_input_names": ["input_ids", "token_type_ids"]}));
        assert!(s.return_token_type_ids);
        assert_eq!(s.model_max_length_raw, f64::INFINITY);
    }

    #[test]
    fn token_type_ids_follow_the_class_transformers_resolves() {
        let wants =
            |class: &str| TokenizerSettings::from_config(&json!({ "tokenizer_class": class })).return_token_type_ids;
        for class in [
            "ElectraTokenizer",
            "DebertaV2TokenizerFast",
            "MobileBertTokenizer",
            "LayoutLMTokenizerFast",
        ] {
            assert!(wants(class), "{class}");
        }
        // Transformers.js returns them for Albert; transformers does not.
        for class in [
            "AlbertTokenizer",
            "DistilBertTokenizer",
            "Qwen2Tokenizer",
            "PreTrainedTokenizerFast",
            "NoSuchTokenizer",
        ] {
            assert!(!wants(class), "{class}");
        }
    }

    #[test]
    fn extra_special_tokens_cannot_pose_as_ids() {
        let s = TokenizerSettings::from_config(&json!({
            "bos_token": "<s>",
            "extra_special_tokens": { "image_token": "<img>", "bos_token_id": "x" },
        }));
        assert_eq!(s.special_token("image_token"), Some("<img>"));
        assert_eq!(s.special_token("bos_token_id"), None);
    }

    #[test]
    fn a_special_token_can_be_set_and_unset() {
        let mut s = TokenizerSettings::from_config(&json!({ "eos_token": "</s>", "bos_token": "<s>" }));
        // The fallback to eos is not the config's own: templates do not see it...
        assert!(!s.template_tokens.iter().any(|(n, _)| n == "pad_token"));
        s.set_special_token("pad_token", Some("<unk>".into()));
        assert_eq!(s.special_token("pad_token"), Some("<unk>"));
        // ...but a pad token the caller sets is, as in transformers.
        assert!(s.template_tokens.contains(&("pad_token".into(), "<unk>".into())));
        s.set_special_token("pad_token", None);
        assert_eq!(s.special_token("pad_token"), None);
        assert!(!s.template_tokens.iter().any(|(n, _)| n == "pad_token"));
        assert_eq!(s.special_token("bos_token"), Some("<s>"));
    }
}
