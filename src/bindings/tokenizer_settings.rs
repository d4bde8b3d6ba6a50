//! The `Tokenizer`'s settings: what the JS wrapper reads after loading and
//! after a setter (`info`), and the setters transformers has
//! (`padding_side`, `truncation_side`, `pad_token`, `pad_token_id`).

use serde_json::{Map, Value};
use wasm_bindgen::prelude::*;

use super::options::string_arg;
use super::tokenizer::JsTokenizer;
use crate::core::error::{ErrorCode, HubError};
use crate::core::options::wrong_type;
use crate::core::tokenizer::Side;

#[wasm_bindgen(js_class = Tokenizer)]
impl JsTokenizer {
    /// `tokenizer.padding_side = side` and `tokenizer.truncation_side = side`.
    #[wasm_bindgen(js_name = setSide)]
    pub fn set_side(&mut self, property: &str, side: JsValue) -> Result<(), HubError> {
        let side = side
            .as_string()
            .as_deref()
            .and_then(Side::parse)
            .ok_or_else(|| wrong_type("tokenizer", property, "'left' or 'right'"))?;
        let settings = self.inner.settings_mut();
        match property {
            "padding_side" => settings.padding_side = side,
            "truncation_side" => settings.truncation_side = side,
            _ => {
                return Err(HubError::new(
                    ErrorCode::InvalidOption,
                    format!("`{property}` cannot be set."),
                ))
            }
        }
        Ok(())
    }

    /// `tokenizer.pad_token = token`: a string (even one outside the
    /// vocabulary, as transformers allows: padding then says so), or null.
    #[wasm_bindgen(js_name = setPadToken)]
    pub fn set_pad_token(&mut self, token: JsValue) -> Result<(), HubError> {
        let token = match token.is_null() || token.is_undefined() {
            true => None,
            false => Some(string_arg(&token, "tokenizer", "pad_token")?),
        };
        self.inner.settings_mut().set_special_token("pad_token", token);
        Ok(())
    }

    /// `tokenizer.pad_token_id = id`: the token with that id becomes
    /// `pad_token` (null unsets it).
    #[wasm_bindgen(js_name = setPadTokenId)]
    pub fn set_pad_token_id(&mut self, id: JsValue) -> Result<(), HubError> {
        let token = match id.is_null() || id.is_undefined() {
            true => None,
            false => {
                let token = id
                    .as_f64()
                    .filter(|n| n.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(n))
                    .and_then(|n| self.inner.id_to_token(n as u32))
                    .ok_or_else(|| {
                        wrong_type(
                            "tokenizer",
                            "pad_token_id",
                            "the id of a token in the vocabulary, or null",
                        )
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
}
