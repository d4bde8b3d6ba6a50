//! The Jinja environment a tokenizer keeps: set up as transformers sets up
//! Jinja2 for chat templates, inside the sandbox's limits, with templates
//! compiled once (the repo's kept, a few of the caller's).

use std::sync::Arc;

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{AutoEscape, Environment, Error as JinjaError, ErrorKind, State, Template};

use super::super::generation::{rewrite_tags, GenerationTracker, FILTER_NAME};
use super::super::sandbox::{self, CappedOutput, Guard, Refusal};
use super::errors::{chat_error, compile_failed, template_failed, TemplateOrigin};
use super::tojson::tojson;
use crate::core::error::HubError;

/// Caller-supplied templates kept compiled besides the repo's own: a caller
/// passing a new template on every call must not grow memory without end.
pub(super) const MAX_CALLER_TEMPLATES: usize = 4;

/// Engine state kept per tokenizer: templates compile once.
pub struct ChatEngine {
    pub(super) env: Environment<'static>,
    pub(super) generation: Arc<GenerationTracker>,
    guard: Arc<Guard>,
    /// The compiled templates, oldest first: the repo's own stay, the
    /// caller's are dropped past `MAX_CALLER_TEMPLATES`.
    pub(super) compiled: Vec<Compiled>,
    next_id: u64,
}

pub(super) struct Compiled {
    pub(super) source: String,
    /// Its name in `env` (never shown: errors name the template by origin).
    name: String,
    pub(super) from_repo: bool,
}

/// The whitespace rules transformers uses:
/// ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).
pub(super) fn syntax() -> SyntaxConfig {
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
    pub(super) fn compile(&mut self, source: &str, from_repo: bool) -> Result<String, HubError> {
        let origin = TemplateOrigin::of(from_repo);
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
    pub(super) fn render(
        &self,
        template: &Template<'_, '_>,
        ctx: JinjaValue,
        origin: TemplateOrigin,
    ) -> Result<String, HubError> {
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
