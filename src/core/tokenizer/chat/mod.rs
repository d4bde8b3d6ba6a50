//! `apply_chat_template`: the repo's Jinja chat template rendered with
//! minijinja, set up the way transformers sets up Jinja2 for chat templates
//! (`trim_blocks`, `lstrip_blocks`, loop controls, Python string and dict
//! methods, its own `tojson`, `raise_exception` and `strftime_now`), so real
//! templates (Llama-3, Gemma, Qwen, Mistral, ...) render the same text.
//!
//! Templates are untrusted: `sandbox/` bounds the time, memory, output
//! and stack a render may use. Here: the options and the render itself;
//! `engine.rs` the environment, `messages.rs` the messages, `tojson.rs` the
//! filter, `errors.rs` the errors.

mod engine;
mod errors;
mod messages;
mod render;
mod tojson;

use serde_json::{Map, Value};

use super::generation::Span;
use super::strftime::LocalTime;
pub use engine::ChatEngine;

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

#[cfg(test)]
mod tests;
