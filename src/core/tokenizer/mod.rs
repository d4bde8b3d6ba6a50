//! A tokenizer built from a repo's `tokenizer.json`, `tokenizer_config.json`
//! and `chat_template.jinja`, with the Transformers.js-shaped API on top of the `tokenizers` crate:
//!
//! - `config.rs`: what tokenizer_config.json says (special tokens, sides, limits, templates);
//! - `call.rs`: batches with padding and truncation;
//! - `decode.rs`: decoding and space clean-up;
//! - `chat.rs` (+ `pyjson.rs`, `strftime.rs`): chat templates with minijinja;
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
#[cfg(test)]
mod fuzz;
mod generation;
pub mod limits;
mod pre_parsed;
mod pyjson;
mod sandbox;
mod strftime;
mod template_file;
#[cfg(test)]
mod tests;
mod truncate;
mod validate;

use serde_json::Value;
use tokenizers::{ModelWrapper, Tokenizer};

pub use call::{BatchEncoding, CallOptions, Padding, Truncation};
pub use chat::{ChatOptions, Rendered};
pub use config::{Side, TokenizerSettings, SPECIAL_TOKEN_NAMES};
pub use decode::clean_up_tokenization;
pub use limits::{check_text_size, MAX_TEXT_BYTES};
pub use strftime::LocalTime;
pub use template_file::CHAT_TEMPLATE_FILE;

use super::error::{ErrorCode, HubError};
use super::redact::scrub;

pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

/// The component types this build can run (those of the `tokenizers` crate),
/// by the key tokenizer.json holds them under.
const SUPPORTED_MODELS: [&str; 4] = ["BPE", "WordPiece", "WordLevel", "Unigram"];
const SUPPORTED_COMPONENTS: [(&str, &[&str]); 4] = [
    (
        "normalizer",
        &[
            "BertNormalizer",
            "Strip",
            "StripAccents",
            "NFC",
            "NFD",
            "NFKC",
            "NFKD",
            "Sequence",
            "Lowercase",
            "Nmt",
            "Precompiled",
            "Replace",
            "Prepend",
            "ByteLevel",
        ],
    ),
    (
        "pre_tokenizer",
        &[
            "BertPreTokenizer",
            "ByteLevel",
            "CharDelimiterSplit",
            "Metaspace",
            "Whitespace",
            "Sequence",
            "Split",
            "Punctuation",
            "WhitespaceSplit",
            "Digits",
            "UnicodeScripts",
            "FixedLength",
        ],
    ),
    (
        "post_processor",
        &[
            "RobertaProcessing",
            "BertProcessing",
            "ByteLevel",
            "TemplateProcessing",
            "Sequence",
        ],
    ),
    (
        "decoder",
        &[
            "BPEDecoder",
            "ByteLevel",
            "WordPiece",
            "Metaspace",
            "CTC",
            "Sequence",
            "Replace",
            "Fuse",
            "Strip",
            "ByteFallback",
        ],
    ),
];

pub struct LoadedTokenizer {
    inner: Tokenizer,
    /// Kept whole for the `config` property; everything the code uses is
    /// read once into `settings`.
    config: Value,
    settings: TokenizerSettings,
    is_bpe: bool,
    chat: chat::ChatEngine,
    /// chat_template.jinja's text, when the repo has one (it replaced the
    /// config's templates in `settings`).
    template_file: Option<String>,
    /// The longest token's bytes, found on the first large decode.
    longest_token: std::sync::OnceLock<usize>,
}

/// tokenizer.json's content, parsed: the `tokenizers` crate's tokenizer,
/// before tokenizer_config.json is applied.
pub struct TokenizerJson(Tokenizer);

impl TokenizerJson {
    /// Parse tokenizer.json. With `keep`, also its pre-parsed form, when the
    /// model has one (BPE), for the cache to keep beside the file.
    pub fn parse(repo_id: &str, bytes: &[u8], keep: bool) -> Result<(Self, Option<Vec<u8>>), HubError> {
        limits::check_file_size(repo_id, TOKENIZER_FILE, bytes.len())?;
        // The crate's parts (and its loader) parse into trees first.
        limits::check_json_values(bytes, limits::MAX_TOKENIZER_JSON_VALUES).map_err(|why| {
            invalid(
                repo_id,
                TOKENIZER_FILE,
                format!("{TOKENIZER_FILE} in {repo_id}: {why}."),
            )
        })?;
        match fast_load::load(bytes, keep) {
            Ok(Some(loaded)) => Ok((TokenizerJson(loaded.tokenizer), loaded.pre_parsed)),
            Ok(None) => crate_load(bytes)
                .map(|t| (TokenizerJson(t), None))
                .map_err(|e| load_error(repo_id, bytes, &e)),
            Err(refused) => Err(load_error(repo_id, bytes, &refused)),
        }
    }

    /// From the pre-parsed form of a `source_size`-byte tokenizer.json;
    /// `None` if `bytes` is not a sound one (then parse the file).
    pub fn from_pre_parsed(bytes: &[u8], source_size: u64) -> Option<Self> {
        // Never larger than the file it came from (which was within its cap).
        if source_size > limits::MAX_TOKENIZER_JSON_BYTES || bytes.len() as u64 > limits::MAX_TOKENIZER_JSON_BYTES {
            return None;
        }
        pre_parsed::load(bytes, source_size).map(TokenizerJson)
    }
}

/// The `tokenizers` crate's own loader, for the files the fast one leaves
/// to it. The file is parsed once as JSON, checked (`validate`), and the
/// crate reads that same JSON: so it builds exactly what was checked (a
/// repeated key, say, cannot hide a part), and a syntax error deep inside a
/// part is an error here, where the crate's streaming parse would panic
/// (its decoder parsing `expect`s to read any JSON).
fn crate_load(bytes: &[u8]) -> Result<Tokenizer, String> {
    use serde::Deserialize;
    let file: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    validate::file(&file)?;
    let tokenizer = Tokenizer::deserialize(&file).map_err(|e| e.to_string())?;
    validate::built(&tokenizer)?;
    Ok(tokenizer)
}

impl LoadedTokenizer {
    /// `config_json` is `None` when the repo has no tokenizer_config.json,
    /// which is allowed: tokenizer.json alone is enough to tokenize.
    pub fn from_files(repo_id: &str, tokenizer_json: &[u8], config_json: Option<&[u8]>) -> Result<Self, HubError> {
        let (parsed, _) = TokenizerJson::parse(repo_id, tokenizer_json, false)?;
        Self::from_parsed(repo_id, parsed, config_json)
    }

    /// The tokenizer from a parsed tokenizer.json and tokenizer_config.json.
    pub fn from_parsed(repo_id: &str, parsed: TokenizerJson, config_json: Option<&[u8]>) -> Result<Self, HubError> {
        let mut inner = parsed.0;
        // transformers replaces the file's own truncation and padding with
        // the call's options (none for `encode`); so does `call`.
        let _ = inner.with_truncation(None);
        inner.with_padding(None);
        let config = match config_json {
            None => Value::Object(Default::default()),
            Some(bytes) => match check_config(repo_id, bytes).and_then(|()| {
                serde_json::from_slice::<Value>(bytes).map_err(|e| {
                    invalid(
                        repo_id,
                        TOKENIZER_CONFIG_FILE,
                        format!("{TOKENIZER_CONFIG_FILE} in {repo_id} is not valid JSON: {e}."),
                    )
                })
            }) {
                Ok(v @ Value::Object(_)) => v,
                Ok(_) => {
                    return Err(invalid(
                        repo_id,
                        TOKENIZER_CONFIG_FILE,
                        format!("{TOKENIZER_CONFIG_FILE} in {repo_id} is not a JSON object."),
                    ))
                }
                Err(e) => return Err(e),
            },
        };
        let settings = TokenizerSettings::from_config(&config);
        let is_bpe = matches!(inner.get_model(), ModelWrapper::BPE(_));
        Ok(LoadedTokenizer {
            inner,
            config,
            settings,
            is_bpe,
            chat: chat::ChatEngine::default(),
            template_file: None,
            longest_token: std::sync::OnceLock::new(),
        })
    }

    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>, HubError> {
        let encoding = self
            .inner
            .encode_fast(text, add_special_tokens)
            .map_err(failed("encode"))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// `encode`, into a buffer the caller keeps (cleared first).
    pub fn encode_into(&self, text: &str, add_special_tokens: bool, out: &mut Vec<u32>) -> Result<(), HubError> {
        check_text_size(text.len())?;
        let encoding = self
            .inner
            .encode_fast(text, add_special_tokens)
            .map_err(failed("encode"))?;
        out.clear();
        out.extend_from_slice(encoding.get_ids());
        Ok(())
    }

    /// Several texts; ids of all of them end to end in `ids`, and where each
    /// one ends in `ends` (so the boundary is crossed once per batch).
    pub fn encode_many(&self, texts: &[&str], add_special_tokens: bool) -> Result<(Vec<u32>, Vec<u32>), HubError> {
        check_text_size(texts.iter().map(|t| t.len()).sum())?;
        let mut ids = Vec::new();
        let mut ends = Vec::with_capacity(texts.len());
        for text in texts {
            let encoding = self
                .inner
                .encode_fast(*text, add_special_tokens)
                .map_err(failed("encode"))?;
            ids.extend_from_slice(encoding.get_ids());
            ends.push(ids.len() as u32);
        }
        Ok((ids, ends))
    }

    /// The token strings. Without special tokens by default, as Transformers.js.
    pub fn tokenize(&self, text: &str, pair: Option<&str>, add_special_tokens: bool) -> Result<Vec<String>, HubError> {
        check_text_size(text.len() + pair.map_or(0, str::len))?;
        // Not `encode_fast`: it leaves the token strings empty.
        let encoding = match pair {
            Some(pair) => self.inner.encode((text, pair), add_special_tokens),
            None => self.inner.encode(text, add_special_tokens),
        }
        .map_err(failed("tokenize"))?;
        Ok(encoding.get_tokens().to_vec())
    }

    /// The id of a token (added tokens included), or `None`.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The token with this id (added tokens included), or `None`.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Every token with its id (added tokens included), ordered by id.
    pub fn vocab(&self) -> Vec<(String, u32)> {
        let mut all: Vec<(String, u32)> = self.inner.get_vocab(true).into_iter().collect();
        all.sort_unstable_by_key(|(_, id)| *id);
        all
    }

    /// The added tokens marked special in tokenizer.json, by id (what
    /// `skip_special_tokens` removes; Transformers.js' `all_special_tokens`).
    pub fn special_added_tokens(&self) -> Vec<(u32, String)> {
        let mut all: Vec<(u32, String)> = self
            .inner
            .get_added_tokens_decoder()
            .into_iter()
            .filter(|(_, t)| t.special)
            .map(|(id, t)| (id, t.content))
            .collect();
        all.sort_unstable();
        all
    }

    pub fn pad_token_id(&self) -> Option<u32> {
        self.settings
            .special_token("pad_token")
            .and_then(|t| self.token_to_id(t))
    }

    pub fn settings(&self) -> &TokenizerSettings {
        &self.settings
    }

    /// What callers may change after loading, as they can in transformers
    /// and Transformers.js (`tokenizer.padding_side = 'left'` before batched
    /// generation, `tokenizer.pad_token = tokenizer.eos_token`).
    pub fn settings_mut(&mut self) -> &mut TokenizerSettings {
        &mut self.settings
    }

    pub fn config(&self) -> &Value {
        &self.config
    }
}

/// tokenizer_config.json within its caps, before it is parsed.
fn check_config(repo_id: &str, bytes: &[u8]) -> Result<(), HubError> {
    limits::check_file_size(repo_id, TOKENIZER_CONFIG_FILE, bytes.len())?;
    limits::check_json_values(bytes, limits::MAX_CONFIG_JSON_VALUES).map_err(|why| {
        invalid(
            repo_id,
            TOKENIZER_CONFIG_FILE,
            format!("{TOKENIZER_CONFIG_FILE} in {repo_id}: {why}."),
        )
    })
}

fn invalid(repo_id: &str, file: &str, message: String) -> HubError {
    HubError::new(ErrorCode::InvalidTokenizer, message).about(repo_id, Some(file))
}

/// A tokenizer.json that did not load: UNSUPPORTED_TOKENIZER when it is
/// valid JSON naming a model type this build does not have (the slow path
/// parses it again only to say which), INVALID_TOKENIZER otherwise.
fn load_error(repo_id: &str, bytes: &[u8], reason: &str) -> HubError {
    match serde_json::from_slice::<Value>(bytes)
        .ok()
        .and_then(|v| unsupported_part(&v))
    {
        Some((part, kind)) => HubError::new(
            ErrorCode::UnsupportedTokenizer,
            format!(
                "{TOKENIZER_FILE} in {repo_id} uses the {part} type `{}`, which this version of hubguard cannot run.",
                scrub(&kind.chars().take(40).collect::<String>(), None),
            ),
        )
        .about(repo_id, Some(TOKENIZER_FILE)),
        None => invalid(
            repo_id,
            TOKENIZER_FILE,
            format!(
                "{TOKENIZER_FILE} in {repo_id} could not be loaded: {}. The file is malformed or uses a format \
                 this version does not support; check the repo, or pin a revision where it loads.",
                scrub(reason, None).trim_end_matches('.')
            ),
        ),
    }
}

/// The first component (`model`, `normalizer`, ...) whose `type` this build
/// does not know, looking inside `Sequence`s too.
fn unsupported_part(file: &Value) -> Option<(&'static str, String)> {
    fn walk(value: &Value, known: &[&str]) -> Option<String> {
        let kind = value.get("type")?.as_str()?;
        if !known.contains(&kind) {
            return Some(kind.to_owned());
        }
        ["normalizers", "pretokenizers", "processors", "decoders"]
            .iter()
            .filter_map(|k| value.get(*k)?.as_array())
            .flatten()
            .find_map(|inner| walk(inner, known))
    }
    let model = file.get("model")?;
    if let Some(kind) = model.get("type").and_then(Value::as_str) {
        if !SUPPORTED_MODELS.contains(&kind) {
            return Some(("model", kind.to_owned()));
        }
    }
    SUPPORTED_COMPONENTS
        .iter()
        .find_map(|(key, known)| walk(file.get(*key)?, known).map(|kind| (*key, kind)))
}

/// A token for a message: quoted, escaped, at most 40 characters (a file
/// or a caller may have made it long).
pub(super) fn shown_token(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("{short:?}")
}

fn failed(what: &'static str) -> impl Fn(tokenizers::Error) -> HubError {
    move |e| {
        HubError::new(
            ErrorCode::InvalidTokenizer,
            format!("The tokenizer could not {what} this input: {e}."),
        )
    }
}
