//! A tokenizer built from a repo's `tokenizer.json` and `tokenizer_config.json`.
//!
//! The `tokenizers` crate does the work; this module only turns its errors
//! into typed ones that say which file of which repo is at fault.

use serde_json::Value;
use tokenizers::Tokenizer;

use super::error::{ErrorCode, HubError};
use super::redact::scrub;

pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const TOKENIZER_CONFIG_FILE: &str = "tokenizer_config.json";

pub struct LoadedTokenizer {
    inner: Tokenizer,
    /// Kept whole: special-token names, padding side, chat templates and the
    /// like are read from it on demand.
    config: Value,
}

impl LoadedTokenizer {
    /// `config_json` is `None` when the repo has no tokenizer_config.json,
    /// which is allowed: tokenizer.json alone is enough to tokenize.
    pub fn from_files(repo_id: &str, tokenizer_json: &[u8], config_json: Option<&[u8]>) -> Result<Self, HubError> {
        let inner = Tokenizer::from_bytes(tokenizer_json).map_err(|e| {
            invalid(
                repo_id,
                TOKENIZER_FILE,
                format!(
                    "{TOKENIZER_FILE} in {repo_id} could not be loaded: {}. The file is malformed or uses a \
                     format this version does not support; check the repo, or pin a revision where it loads.",
                    scrub(&e.to_string(), None)
                ),
            )
        })?;
        let config = match config_json {
            None => Value::Object(Default::default()),
            Some(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(v @ Value::Object(_)) => v,
                Ok(_) => {
                    return Err(invalid(
                        repo_id,
                        TOKENIZER_CONFIG_FILE,
                        format!("{TOKENIZER_CONFIG_FILE} in {repo_id} is not a JSON object."),
                    ))
                }
                Err(e) => {
                    return Err(invalid(
                        repo_id,
                        TOKENIZER_CONFIG_FILE,
                        format!("{TOKENIZER_CONFIG_FILE} in {repo_id} is not valid JSON: {e}."),
                    ))
                }
            },
        };
        Ok(LoadedTokenizer { inner, config })
    }

    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>, HubError> {
        let encoding = self
            .inner
            .encode_fast(text, add_special_tokens)
            .map_err(failed("encode"))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The token strings, without special tokens, as Transformers.js does.
    pub fn tokenize(&self, text: &str) -> Result<Vec<String>, HubError> {
        // `encode_fast` skips offsets and token strings; this needs the strings.
        let encoding = self.inner.encode(text, false).map_err(failed("tokenize"))?;
        Ok(encoding.get_tokens().to_vec())
    }

    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String, HubError> {
        self.inner.decode(ids, skip_special_tokens).map_err(failed("decode"))
    }

    pub fn config(&self) -> &Value {
        &self.config
    }
}

fn invalid(repo_id: &str, file: &str, message: String) -> HubError {
    HubError::new(ErrorCode::InvalidTokenizer, message).about(repo_id, Some(file))
}

fn failed(what: &'static str) -> impl Fn(tokenizers::Error) -> HubError {
    move |e| {
        HubError::new(
            ErrorCode::InvalidTokenizer,
            format!("The tokenizer could not {what} this input: {e}."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny WordLevel tokenizer: enough to exercise the wrapper without a
    /// fixture file (the real Llama-2 one is tested through the npm package).
    const TINY: &str = r#"{
      "version": "1.0", "truncation": null, "padding": null,
      "added_tokens": [{"id": 0, "content": "[UNK]", "single_word": false, "lstrip": false,
                         "rstrip": false, "normalized": false, "special": true}],
      "normalizer": null,
      "pre_tokenizer": {"type": "Whitespace"},
      "post_processor": null,
      "decoder": null,
      "model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hello": 1, "world": 2}, "unk_token": "[UNK]"}
    }"#;

    #[test]
    fn encodes_and_decodes() {
        let t = LoadedTokenizer::from_files("a/b", TINY.as_bytes(), Some(b"{\"x\": 1}")).unwrap();
        assert_eq!(t.encode("hello world zzz", true).unwrap(), vec![1, 2, 0]);
        assert_eq!(t.tokenize("hello world").unwrap(), vec!["hello", "world"]);
        assert_eq!(t.decode(&[1, 2], false).unwrap(), "hello world");
        assert_eq!(t.config()["x"], 1);
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        for bad in [&b"{"[..], b"", b"[]", b"{\"model\": 5}", b"\xff\xfe"] {
            let err = LoadedTokenizer::from_files("a/b", bad, None).err().unwrap();
            assert_eq!(err.code, ErrorCode::InvalidTokenizer);
            assert_eq!(err.file.as_deref(), Some("tokenizer.json"));
            assert!(err.message.contains("a/b"));
        }
        let err = LoadedTokenizer::from_files("a/b", TINY.as_bytes(), Some(b"[1]"))
            .err()
            .unwrap();
        assert_eq!(err.file.as_deref(), Some("tokenizer_config.json"));
    }

    #[test]
    fn unknown_ids_do_not_panic() {
        let t = LoadedTokenizer::from_files("a/b", TINY.as_bytes(), None).unwrap();
        let _ = t.decode(&[u32::MAX, 7, 1], true);
    }
}
