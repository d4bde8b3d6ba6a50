//! The loaded tokenizer: the `tokenizers` crate's, with tokenizer_config.json's
//! settings and a chat engine beside it; its encode and vocabulary calls.
//! Batches, decoding, truncation and chat templates are in their own files,
//! as further `impl LoadedTokenizer` blocks.

use serde_json::Value;
use tokenizers::{ModelWrapper, Tokenizer};

use super::config::TokenizerSettings;
use super::limits::check_text_size;

use super::file::{check_config, invalid, TokenizerJson, TOKENIZER_CONFIG_FILE};
use crate::core::error::{ErrorCode, HubError};

pub struct LoadedTokenizer {
    pub(super) inner: Tokenizer,
    /// Kept whole for the `config` property; everything the code uses is
    /// read once into `settings`.
    pub(super) config: Value,
    pub(super) settings: TokenizerSettings,
    pub(super) is_bpe: bool,
    pub(super) chat: super::chat::ChatEngine,
    /// chat_template.jinja's text, when the repo has one (it replaced the
    /// config's templates in `settings`).
    pub(super) template_file: Option<String>,
    /// The longest token's bytes, found on the first large decode.
    pub(super) longest_token: std::sync::OnceLock<usize>,
}

impl LoadedTokenizer {
    /// `config_json` is `None` when the repo has no tokenizer_config.json,
    /// which is allowed: tokenizer.json alone is enough to tokenize.
    pub fn from_files(repo_id: &str, tokenizer_json: &[u8], config_json: Option<&[u8]>) -> Result<Self, HubError> {
        let (parsed, _) = TokenizerJson::parse(repo_id, tokenizer_json, false)?;
        Self::from_parsed(repo_id, parsed, config_json)
    }

    /// The tokenizer from a repo's three files, combined as transformers
    /// combines them: chat_template.jinja, when there is one, wins over the
    /// config's template. Every load assembles its files here, whether
    /// through the Hub or from the cache in a fresh instance.
    pub fn from_parts(
        repo_id: &str,
        parsed: TokenizerJson,
        config_json: Option<&[u8]>,
        template: Option<&[u8]>,
    ) -> Result<Self, HubError> {
        let tokenizer = Self::from_parsed(repo_id, parsed, config_json)?;
        match template {
            Some(bytes) => tokenizer.with_chat_template_file(repo_id, bytes),
            None => Ok(tokenizer),
        }
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
            chat: super::chat::ChatEngine::default(),
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

/// A token for a message: quoted, escaped, at most 40 characters (a file
/// or a caller may have made it long).
pub fn shown_token(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("{short:?}")
}

pub(super) fn failed(what: &'static str) -> impl Fn(tokenizers::Error) -> HubError {
    move |e| {
        HubError::new(
            ErrorCode::InvalidTokenizer,
            format!("The tokenizer could not {what} this input: {e}."),
        )
    }
}
