//! A tokenizer built from a repo's `tokenizer.json`, `tokenizer_config.json`
//! and `chat_template.jinja`, with the Transformers.js-shaped API on top of the `tokenizers` crate:
//!
//! - `loaded.rs`: the tokenizer, its encode and vocabulary calls;
//! - `file.rs`: tokenizer.json and tokenizer_config.json read and checked;
//! - `config.rs`: what tokenizer_config.json says (special tokens, sides, limits, templates);
//! - `call.rs`: batches with padding and truncation;
//! - `decode.rs`: decoding and space clean-up;
//! - `chat/` (+ `pyjson.rs`, `strftime.rs`): chat templates with minijinja;
//! - `generation.rs`: `{% generation %}` blocks and the assistant-token masks;
//! - `template_file.rs`: chat_template.jinja, which wins over the config's.
//!
//! The `tokenizers` crate does the tokenization itself; this module turns its
//! errors into typed ones that say which file of which repo is at fault.

mod assemble;
mod bpe_build;
mod bpe_load;
mod call;
mod chat;
mod config;
mod decode;
mod fast_load;
mod file;
#[cfg(test)]
mod fuzz;
mod generation;
pub mod limits;
mod loaded;
mod pre_parsed;
mod pyjson;
mod sandbox;
mod strftime;
mod template_file;
#[cfg(test)]
mod tests;
mod truncate;
mod validate;

pub use call::{BatchEncoding, CallOptions, Padding, Truncation};
pub use chat::{ChatOptions, Rendered};
pub use config::{Side, TokenizerSettings, SPECIAL_TOKEN_NAMES};
pub use decode::clean_up_tokenization;
pub use file::{TokenizerJson, CHAT_TEMPLATE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE};
pub use limits::{check_text_size, MAX_TEXT_BYTES};
pub use loaded::LoadedTokenizer;
pub use strftime::LocalTime;
