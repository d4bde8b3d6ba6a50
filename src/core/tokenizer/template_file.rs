//! The repo's separate chat template file, `chat_template.jinja`.
//!
//! transformers ≥ 4.43 saves the template there instead of (or as well as)
//! in tokenizer_config.json, and its `from_pretrained` lets the file win:
//! when the file exists, `chat_template` in the config is ignored, whether a
//! string or a list of named templates (tokenization_utils_base.py,
//! `_from_pretrained`: "independent chat template file(s) ... take priority").
//! transformers reads it with `open(..., encoding="utf-8")`: strict UTF-8,
//! and universal newlines, so `\r\n` and `\r` become `\n` before Jinja sees
//! the text. Both are reproduced here, or whitespace-sensitive templates
//! would render differently on Windows-saved files.

use serde_json::Value;

use super::config::ChatTemplates;
use super::file::{invalid, CHAT_TEMPLATE_FILE};
use super::loaded::LoadedTokenizer;
use crate::core::error::HubError;

impl LoadedTokenizer {
    /// Use `bytes` (the content of chat_template.jinja) as the chat template,
    /// replacing whatever tokenizer_config.json said, as transformers does.
    pub fn with_chat_template_file(mut self, repo_id: &str, bytes: &[u8]) -> Result<Self, HubError> {
        let text = decode(repo_id, bytes)?;
        self.settings.chat_templates = ChatTemplates::Single(text.clone());
        self.template_file = Some(text);
        Ok(self)
    }

    /// The template(s) as transformers' `tokenizer.chat_template` holds them
    /// after loading: the file's text when there is one, else the config's
    /// `chat_template` as written (a string or a list of `{name, template}`),
    /// else null.
    pub fn chat_template_value(&self) -> Value {
        match &self.template_file {
            Some(text) => Value::String(text.clone()),
            None => self.config.get("chat_template").cloned().unwrap_or(Value::Null),
        }
    }
}

fn decode(repo_id: &str, bytes: &[u8]) -> Result<String, HubError> {
    super::limits::check_file_size(repo_id, CHAT_TEMPLATE_FILE, bytes.len())?;
    let text = std::str::from_utf8(bytes).map_err(|e| {
        invalid(
            repo_id,
            CHAT_TEMPLATE_FILE,
            format!(
                "{CHAT_TEMPLATE_FILE} in {repo_id} is not valid UTF-8 (at byte {}); transformers cannot read it either.",
                e.valid_up_to()
            ),
        )
    })?;
    Ok(universal_newlines(text))
}

/// Python's text-mode reading: `\r\n` and a lone `\r` both become `\n`.
fn universal_newlines(text: &str) -> String {
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newlines_are_read_as_python_reads_them() {
        assert_eq!(universal_newlines("a\r\nb\rc\n\r\n"), "a\nb\nc\n\n");
        assert_eq!(universal_newlines("plain\n"), "plain\n");
    }

    #[test]
    fn invalid_utf8_is_a_typed_error_naming_the_file() {
        let err = decode("a/b", b"ok \xff").unwrap_err();
        assert_eq!(err.code, crate::core::error::ErrorCode::InvalidTokenizer);
        assert!(
            err.message.contains(CHAT_TEMPLATE_FILE) && err.message.contains("a/b"),
            "{}",
            err.message
        );
    }
}
