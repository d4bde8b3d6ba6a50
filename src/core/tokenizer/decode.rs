//! Ids back to text, with transformers' optional clean-up of spaces.

use super::LoadedTokenizer;
use crate::core::error::HubError;

impl LoadedTokenizer {
    /// `clean_up` `None`: the config's `clean_up_tokenization_spaces`.
    /// Like transformers v5, the clean-up is skipped for BPE models, where
    /// it would delete spaces the text really had.
    pub fn decode_with(
        &self,
        ids: &[u32],
        skip_special_tokens: bool,
        clean_up: Option<bool>,
    ) -> Result<String, HubError> {
        let text = self.decode(ids, skip_special_tokens)?;
        let clean_up = clean_up.unwrap_or(self.settings.clean_up_tokenization_spaces);
        Ok(if clean_up && !self.is_bpe {
            clean_up_tokenization(&text)
        } else {
            text
        })
    }

    /// One result per row; the whole batch in one call.
    pub fn batch_decode(
        &self,
        rows: &[&[u32]],
        skip_special_tokens: bool,
        clean_up: Option<bool>,
    ) -> Result<Vec<String>, HubError> {
        rows.iter()
            .map(|ids| self.decode_with(ids, skip_special_tokens, clean_up))
            .collect()
    }
}

/// transformers' `clean_up_tokenization`: spaces that WordPiece-style
/// decoding leaves before punctuation and English contractions.
pub fn clean_up_tokenization(text: &str) -> String {
    const RULES: [(&str, &str); 10] = [
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ];
    RULES
        .iter()
        .fold(text.to_owned(), |text, (from, to)| text.replace(from, to))
}

#[cfg(test)]
mod tests {
    #[test]
    fn cleans_up_like_transformers() {
        assert_eq!(
            super::clean_up_tokenization("hello , world ! it ' s i 'm don 't ."),
            "hello, world! it's i'm don 't."
        );
    }
}
