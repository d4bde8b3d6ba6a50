//! The `Tokenizer`'s chat template methods: the options become the core's
//! render and call options in `core::options::chat`; this converts.

use wasm_bindgen::prelude::*;

use super::batch::{batch_to_js, set};
use super::options::{read, to_json};
use super::tokenizer::JsTokenizer;
use crate::core::error::HubError;
use crate::core::options::chat::chat_request;
use crate::core::options::tokenizer::ChatTemplateChoice;
use crate::core::tokenizer::LocalTime;

const WHAT: &str = "apply_chat_template";

#[wasm_bindgen(js_class = Tokenizer)]
impl JsTokenizer {
    /// `get_chat_template({ chat_template, tools })`: the template
    /// `apply_chat_template` would use (chosen by the core).
    #[wasm_bindgen(js_name = chatTemplate)]
    pub fn chat_template(&self, options: JsValue) -> Result<String, HubError> {
        let choice: ChatTemplateChoice = read("get_chat_template", &options)?;
        self.inner
            .chat_template_source(choice.chat_template.as_deref(), choice.tools)
    }

    /// `apply_chat_template(conversation, options)`: the rendered text(s), or
    /// `{ input_ids, attention_mask }` rows (flattened as in `call`).
    #[wasm_bindgen(js_name = applyChatTemplate)]
    pub fn apply_chat_template(&mut self, conversation: JsValue, options: JsValue) -> Result<JsValue, HubError> {
        let conversation = to_json(&conversation, WHAT, "conversation")?;
        let request = chat_request(to_json(&options, WHAT, "options")?, Some(local_time()))?;
        let rendered = self.inner.render_chat(&conversation, &request.chat)?;
        if !request.tokenize {
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
        let batch = if request.masks() {
            self.inner
                .call_with_assistant_masks(&texts, &rendered.generation_spans, &request.call)?
        } else {
            self.inner.call(&texts, None, &request.call)?
        };
        let out = batch_to_js(&batch);
        set(&out, "batched", rendered.batched.into());
        set(&out, "return_dict", request.return_dict.into());
        if rendered.no_generation_tag {
            set(&out, "no_generation_tag", true.into());
        }
        Ok(out.into())
    }
}

/// Now, on the caller's wall clock (`strftime_now`).
fn local_time() -> LocalTime {
    let date = js_sys::Date::new_0();
    LocalTime {
        local_ms: (date.get_time() - date.get_timezone_offset() * 60_000.0) as i64,
    }
}
