//! Rendering a conversation with the tokenizer's chat template: which
//! template, the messages prepared as transformers prepares them, the
//! sandboxed render, and the assistant masks of `{% generation %}` blocks.

use minijinja::value::Value as JinjaValue;
use serde_json::{Map, Value};

use super::super::config::ChatTemplates;
use super::super::generation::{has_generation_tag, take_spans};
use super::super::loaded::LoadedTokenizer;
use super::super::sandbox::{self, MAX_INPUT_DEPTH};
use super::super::strftime::{strftime, LocalTime};
use super::errors::{chat_error, compile_failed, TemplateOrigin};
use super::messages::{cut_at_tag, prepare_message, tag_final_message};
use super::{ChatOptions, Rendered};
use crate::core::error::{ErrorCode, HubError};

impl LoadedTokenizer {
    /// The template source to use, chosen as transformers' `get_chat_template` does.
    pub fn chat_template_source(&self, requested: Option<&str>, has_tools: bool) -> Result<String, HubError> {
        match (&self.settings.chat_templates, requested) {
            (ChatTemplates::Named(named), requested) => {
                let find = |name: &str| named.iter().find(|(n, _)| n == name).map(|(_, t)| t.clone());
                match requested {
                    Some(r) => Ok(find(r).unwrap_or_else(|| r.to_owned())),
                    None => has_tools
                        .then(|| find("tool_use"))
                        .flatten()
                        .or_else(|| find("default"))
                        .ok_or_else(|| {
                            let names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
                            chat_error(format!(
                                "This tokenizer has several chat templates and none named `default`; pass \
                                 `chat_template` with one of these names: {}.",
                                names.join(", ")
                            ))
                        }),
                }
            }
            (_, Some(r)) => Ok(r.to_owned()),
            (ChatTemplates::Single(t), None) => Ok(t.clone()),
            (ChatTemplates::None, None) => Err(chat_error(
                "This tokenizer has no chat template (the repo has no chat_template.jinja and its \
                 tokenizer_config.json sets no `chat_template`); pass one with the `chat_template` option."
                    .to_owned(),
            )),
        }
    }

    /// Render `conversation`: a list of messages, or a list of such lists.
    pub fn render_chat(&mut self, conversation: &Value, options: &ChatOptions) -> Result<Rendered, HubError> {
        let bad = |m: &str| HubError::new(ErrorCode::InvalidOption, format!("apply_chat_template: {m}"));
        let Value::Array(items) = conversation else {
            return Err(bad("`messages` must be an array of message objects."));
        };
        if items.is_empty() {
            return Err(bad("the conversation is empty; give at least one message."));
        }
        let too_deep = |what: &str| {
            bad(&format!(
                "{what} is nested more than {MAX_INPUT_DEPTH} levels deep (hubguard's limit, which keeps the chat \
                 template from overflowing the stack); flatten it."
            ))
        };
        if sandbox::nests_deeper(conversation, MAX_INPUT_DEPTH + 1) {
            return Err(too_deep("`messages`"));
        }
        for (what, value) in [("`tools`", &options.tools), ("`documents`", &options.documents)] {
            if value
                .as_ref()
                .is_some_and(|v| sandbox::nests_deeper(v, MAX_INPUT_DEPTH))
            {
                return Err(too_deep(what));
            }
        }
        if let Some((key, _)) = options
            .extra
            .iter()
            .find(|(_, v)| sandbox::nests_deeper(v, MAX_INPUT_DEPTH))
        {
            return Err(too_deep(&format!("`{key}`")));
        }
        let batched = items[0].is_array();
        let conversations: Vec<&Vec<Value>> = if batched {
            items
                .iter()
                .map(|c| {
                    c.as_array()
                        .ok_or_else(|| bad("a batch must hold only arrays of messages."))
                })
                .collect::<Result<_, _>>()?
        } else {
            vec![items]
        };
        let source = self.chat_template_source(options.chat_template.as_deref(), options.tools.is_some())?;
        let from_repo = match &self.settings.chat_templates {
            ChatTemplates::Single(t) => *t == source,
            ChatTemplates::Named(named) => named.iter().any(|(_, t)| *t == source),
            ChatTemplates::None => false,
        };
        let origin = TemplateOrigin::of(from_repo);
        let name = self.chat.compile(&source, from_repo)?;
        if options.continue_final.is_some() && options.add_generation_prompt {
            return Err(bad(
                "`continue_final_message` and `add_generation_prompt` cannot be used together: the first continues \
                 the last message, the second starts a new one.",
            ));
        }
        if options.continue_final.is_some() && options.track_generation {
            return Err(bad(
                "`continue_final_message` cannot be used with `return_assistant_tokens_mask` (as in transformers): \
                 the continued message is cut off the rendered text, so its block would not match.",
            ));
        }
        let now = options.now.unwrap_or(LocalTime { local_ms: 0 });
        let mut texts = Vec::with_capacity(conversations.len());
        let mut generation_spans = Vec::new();
        for messages in conversations {
            let messages = messages
                .iter()
                .map(|m| match m {
                    Value::Object(m) => Ok(prepare_message(m)),
                    _ => Err(bad("each message must be an object such as {role, content}.")),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let (messages, continued) = match &options.continue_final {
                Some(field) => {
                    let (messages, text) = tag_final_message(messages, field, &source).map_err(|m| bad(&m))?;
                    (messages, Some(text))
                }
                None => (messages, None),
            };
            let mut context = Map::new();
            context.insert("messages".into(), Value::Array(messages));
            context.insert("tools".into(), options.tools.clone().unwrap_or(Value::Null));
            context.insert("documents".into(), options.documents.clone().unwrap_or(Value::Null));
            context.insert("add_generation_prompt".into(), options.add_generation_prompt.into());
            for (name, token) in &self.settings.template_tokens {
                context.insert(name.clone(), Value::String(token.clone()));
            }
            for (k, v) in &options.extra {
                context.insert(k.clone(), v.clone());
            }
            let mut ctx = JinjaValue::from(minijinja::value::Serde(&context));
            // Per render, as it closes over this call's clock.
            let strftime_now = JinjaValue::from_function(move |format: String| strftime(&format, now));
            ctx = minijinja::context! { strftime_now => strftime_now, ..ctx };
            let template = self
                .chat
                .env
                .get_template(&name)
                .map_err(|e| compile_failed(&e, origin))?;
            let rendered = if options.track_generation {
                self.chat.generation.start();
                let marked = self.chat.render(&template, ctx, origin);
                let blocks = self.chat.generation.stop();
                let (text, spans) = take_spans(&marked?, blocks).map_err(chat_error)?;
                generation_spans.push(spans);
                text
            } else {
                self.chat.render(&template, ctx, origin)?
            };
            texts.push(match continued {
                Some(text) => cut_at_tag(rendered, &text).map_err(|m| bad(&m))?,
                None => rendered,
            });
        }
        Ok(Rendered {
            texts,
            batched,
            generation_spans,
            no_generation_tag: options.track_generation && !has_generation_tag(&source),
        })
    }
}
