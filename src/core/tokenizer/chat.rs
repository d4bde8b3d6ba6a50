//! `apply_chat_template`: the repo's Jinja chat template rendered with
//! minijinja, set up the way transformers sets up Jinja2 for chat templates
//! (`trim_blocks`, `lstrip_blocks`, loop controls, Python string and dict
//! methods, its own `tojson`, `raise_exception` and `strftime_now`), so real
//! templates (Llama-3, Gemma, Qwen, Mistral, ...) render the same text.

use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{AutoEscape, Environment, Error as JinjaError, ErrorKind};
use serde_json::{Map, Value};

use super::config::ChatTemplates;
use super::generation::{has_generation_tag, rewrite_tags, take_spans, GenerationTracker, Span, FILTER_NAME};
use super::pyjson::{dumps, DumpOptions};
use super::strftime::{strftime, LocalTime};
use super::LoadedTokenizer;
use crate::core::error::{ErrorCode, HubError};

#[derive(Clone, Debug, Default)]
pub struct ChatOptions {
    pub add_generation_prompt: bool,
    pub tools: Option<Value>,
    pub documents: Option<Value>,
    /// A template's source, or the name of one of the repo's named templates.
    pub chat_template: Option<String>,
    /// Any other variables the caller hands to the template (e.g. Qwen-3's
    /// `enable_thinking`); they override the special-token variables.
    pub extra: Map<String, Value>,
    /// For `strftime_now`; `None` renders the Unix epoch.
    pub now: Option<LocalTime>,
    /// `continue_final_message`: the field of the last message to leave
    /// open (`"content"` for `true`), so the model continues it.
    pub continue_final: Option<String>,
    /// `return_assistant_tokens_mask`: find the `{% generation %}` blocks.
    pub track_generation: bool,
}

/// Appended to the message to continue, then cut off the rendered text
/// with whatever the template put after it (transformers' method).
const CONTINUE_TAG: &str = "CONTINUE_FINAL_MESSAGE_TAG ";
const REASONING_FIELDS: [&str; 3] = ["reasoning_content", "thinking", "reasoning"];

/// The rendered prompts, and whether the input was a batch of conversations.
pub struct Rendered {
    pub texts: Vec<String>,
    pub batched: bool,
    /// Per text, its `{% generation %}` blocks' character spans (empty
    /// unless `track_generation` was asked).
    pub generation_spans: Vec<Vec<Span>>,
    /// Masks were asked for but the template has no `{% generation %}`
    /// tag, so every mask is 0 (transformers warns about this).
    pub no_generation_tag: bool,
}

/// Engine state kept per tokenizer: templates compile once.
pub struct ChatEngine {
    env: Environment<'static>,
    generation: Arc<GenerationTracker>,
}

impl Default for ChatEngine {
    fn default() -> Self {
        let mut env = Environment::new();
        // transformers: ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).
        if let Ok(syntax) = SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build() {
            env.set_syntax(syntax);
        }
        // Prompts are plain text: never HTML-escape, whatever the "name".
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        minijinja_contrib::add_to_environment(&mut env);
        env.add_filter("tojson", tojson);
        env.add_function("raise_exception", |message: String| -> Result<JinjaValue, JinjaError> {
            Err(JinjaError::new(ErrorKind::InvalidOperation, message))
        });
        let generation = Arc::new(GenerationTracker::default());
        env.add_filter(FILTER_NAME, generation.filter());
        ChatEngine { env, generation }
    }
}

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
        if self.chat.env.get_template(&source).is_err() {
            self.chat
                .env
                .add_template_owned(source.clone(), rewrite_tags(&source).into_owned())
                .map_err(|e| template_failed(&e))?;
        }
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
            let template = self.chat.env.get_template(&source).map_err(|e| template_failed(&e))?;
            let rendered = if options.track_generation {
                self.chat.generation.start();
                let marked = template.render(ctx);
                let blocks = self.chat.generation.stop();
                let (text, spans) =
                    take_spans(&marked.map_err(|e| template_failed(&e))?, blocks).map_err(chat_error)?;
                generation_spans.push(spans);
                text
            } else {
                template.render(ctx).map_err(|e| template_failed(&e))?
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

/// As transformers prepares each message: keys set to null are dropped, and
/// reasoning given under an older name is also offered as
/// `reasoning_content` (and `thinking`, which gpt-oss templates read).
fn prepare_message(message: &Map<String, Value>) -> Value {
    let mut out: Map<String, Value> = message
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let reasoning = ["reasoning_content", "thinking", "reasoning"]
        .iter()
        .find_map(|k| out.get(*k).cloned());
    if let Some(reasoning) = reasoning {
        let mut aliased = Map::new();
        aliased.insert("thinking".into(), reasoning.clone());
        for (k, v) in out {
            aliased.insert(k, v);
        }
        aliased.insert("reasoning_content".into(), reasoning);
        out = aliased;
    }
    Value::Object(out)
}

/// Put the tag after the text to continue; returns the messages and that text.
fn tag_final_message(mut messages: Vec<Value>, field: &str, source: &str) -> Result<(Vec<Value>, String), String> {
    let fields: Vec<&str> = {
        let last = messages
            .last()
            .and_then(Value::as_object)
            .ok_or("the conversation is empty")?;
        let value = last
            .get(field)
            .ok_or(format!("the final message has no `{field}` to continue"))?;
        if REASONING_FIELDS.contains(&field) {
            // Reasoning is offered under several names: tag every copy.
            REASONING_FIELDS
                .iter()
                .copied()
                .filter(|f| last.get(*f) == Some(value))
                .collect()
        } else {
            vec![field]
        }
    };
    if !fields.iter().any(|f| source.contains(f)) {
        return Err(format!(
            "`continue_final_message` names `{field}`, which the chat template does not use"
        ));
    }
    let last = messages
        .last_mut()
        .and_then(Value::as_object_mut)
        .ok_or("the conversation is empty")?;
    let mut original = None;
    for f in &fields {
        match last.get_mut(*f) {
            Some(Value::String(text)) => {
                original.get_or_insert_with(|| text.clone());
                text.push_str(CONTINUE_TAG);
            }
            Some(Value::Array(blocks)) => {
                // The last block with text, as transformers picks it.
                let block = blocks
                    .iter_mut()
                    .rev()
                    .find_map(|b| b.get_mut("text").filter(|t| t.is_string()))
                    .ok_or("the final message has no text to continue")?;
                if let Value::String(text) = block {
                    original.get_or_insert_with(|| text.clone());
                    text.push_str(CONTINUE_TAG);
                }
            }
            _ => return Err(format!("the final message's `{f}` is not text")),
        }
    }
    Ok((messages, original.unwrap_or_default()))
}

/// Cut the rendered text right after the continued message.
fn cut_at_tag(rendered: String, text: &str) -> Result<String, String> {
    let tag = CONTINUE_TAG.trim();
    let at = rendered.rfind(tag).filter(|_| rendered.contains(text.trim())).ok_or(
        "the final message does not appear in the rendered chat (the template changes it), so it cannot be continued",
    )?;
    Ok(if rendered[at..].starts_with(CONTINUE_TAG) {
        rendered[..at].to_owned()
    } else {
        // The template trimmed the message's trailing space: so do we.
        rendered[..at].trim_end().to_owned()
    })
}

const MAX_INDENT: usize = 64;

/// transformers' `tojson`: `json.dumps(x, ensure_ascii=False, indent=None,
/// separators=None, sort_keys=False)`; no HTML escaping.
fn tojson(value: JinjaValue, ensure_ascii: Option<bool>, kwargs: Kwargs) -> Result<JinjaValue, JinjaError> {
    let json = serde_json::to_value(&value).map_err(|e| JinjaError::new(ErrorKind::InvalidOperation, e.to_string()))?;
    let ensure_ascii = match kwargs.get::<Option<bool>>("ensure_ascii")? {
        Some(b) => b,
        None => ensure_ascii.unwrap_or(false),
    };
    let indent = match kwargs.get::<Option<JinjaValue>>("indent")? {
        None => None,
        Some(v) if v.is_none() => None,
        Some(v) => Some(match v.as_str() {
            Some(s) if s.len() <= MAX_INDENT => s.to_owned(),
            None if usize::try_from(v.clone()).is_ok_and(|n| n <= MAX_INDENT) => {
                " ".repeat(usize::try_from(v.clone()).unwrap_or(0))
            }
            // Bounded so a template cannot make the output explode.
            _ => {
                return Err(JinjaError::new(
                    ErrorKind::InvalidOperation,
                    "tojson: indent must be 0 to 64",
                ))
            }
        }),
    };
    let separators = match kwargs.get::<Option<Vec<String>>>("separators")? {
        Some(pair) if pair.len() == 2 => Some((pair[0].clone(), pair[1].clone())),
        Some(_) => {
            return Err(JinjaError::new(
                ErrorKind::InvalidOperation,
                "tojson: separators must be two strings",
            ))
        }
        None => None,
    };
    let sort_keys = kwargs.get::<Option<bool>>("sort_keys")?.unwrap_or(false);
    kwargs.assert_all_used()?;
    let text = dumps(
        &json,
        &DumpOptions {
            indent,
            separators,
            sort_keys,
            ensure_ascii,
        },
    );
    Ok(JinjaValue::from_safe_string(text))
}

fn chat_error(message: String) -> HubError {
    HubError::new(ErrorCode::ChatTemplate, message)
}

/// `raise_exception("...")` in a template is the template's own message to
/// the caller (e.g. "Conversation roles must alternate"): pass it through.
fn template_failed(e: &JinjaError) -> HubError {
    match (e.kind(), e.detail()) {
        (ErrorKind::InvalidOperation, Some(detail)) => {
            chat_error(format!("The chat template refused this conversation: {detail}"))
        }
        _ => chat_error(format!("The chat template could not be rendered: {e}.")),
    }
}
