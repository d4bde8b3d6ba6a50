//! Ids back to text, with transformers' optional clean-up of spaces, within
//! the decode limits (`limits.rs`): the ids are counted, and the text they
//! may make is bounded, before anything is decoded.

use tokenizers::DecoderWrapper;

use super::limits::{check_decode_bytes, check_decode_ids, MAX_DECODE_BYTES};
use super::loaded::LoadedTokenizer;
use crate::core::error::HubError;

/// Calls with at most this many ids sum their tokens' lengths exactly;
/// larger ones first try a bound from the longest token (computed once).
const EXACT_UP_TO: usize = 4096;

impl LoadedTokenizer {
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String, HubError> {
        self.check_decode(&[ids])?;
        self.decode_checked(ids, skip_special_tokens)
    }

    fn decode_checked(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String, HubError> {
        self.inner
            .decode(ids, skip_special_tokens)
            .map_err(super::loaded::failed("decode"))
    }

    /// `clean_up` `None`: the config's `clean_up_tokenization_spaces`.
    /// Like transformers v5, the clean-up is skipped for BPE models, where
    /// it would delete spaces the text really had.
    pub fn decode_with(
        &self,
        ids: &[u32],
        skip_special_tokens: bool,
        clean_up: Option<bool>,
    ) -> Result<String, HubError> {
        self.check_decode(&[ids])?;
        self.finish(ids, skip_special_tokens, clean_up)
    }

    fn finish(&self, ids: &[u32], skip_special_tokens: bool, clean_up: Option<bool>) -> Result<String, HubError> {
        let text = self.decode_checked(ids, skip_special_tokens)?;
        let clean_up = clean_up.unwrap_or(self.settings.clean_up_tokenization_spaces);
        Ok(if clean_up && !self.is_bpe {
            clean_up_tokenization(&text)
        } else {
            text
        })
    }

    /// One result per row; the whole batch in one call (and within the
    /// limits as a whole).
    pub fn batch_decode(
        &self,
        rows: &[&[u32]],
        skip_special_tokens: bool,
        clean_up: Option<bool>,
    ) -> Result<Vec<String>, HubError> {
        self.check_decode(rows)?;
        rows.iter()
            .map(|ids| self.finish(ids, skip_special_tokens, clean_up))
            .collect()
    }

    /// Refuse `rows` when they hold too many ids, or could decode to too
    /// much text: their tokens' bytes, times what the decoder may add.
    fn check_decode(&self, rows: &[&[u32]]) -> Result<(), HubError> {
        let count: usize = rows.iter().map(|r| r.len()).sum();
        check_decode_ids(count)?;
        let (factor, per_token) = growth(self.inner.get_decoder());
        let most = |text: u64| {
            text.saturating_mul(factor)
                .saturating_add((count as u64).saturating_mul(per_token))
        };
        if count > EXACT_UP_TO {
            let longest = *self.longest_token.get_or_init(|| self.longest_token());
            if most((longest as u64).saturating_mul(count as u64)) <= MAX_DECODE_BYTES {
                return Ok(());
            }
        }
        let text: u64 = rows.iter().flat_map(|r| r.iter()).map(|&id| self.token_bytes(id)).sum();
        check_decode_bytes(most(text))
    }

    /// The bytes of the token with this id (0 for an unknown id, which the
    /// crate skips).
    fn token_bytes(&self, id: u32) -> u64 {
        self.inner.id_to_token(id).map_or(0, |t| t.len() as u64)
    }

    fn longest_token(&self) -> usize {
        let size = self.inner.get_vocab_size(true) as u32;
        let listed = (0..size).filter_map(|id| self.inner.id_to_token(id)).map(|t| t.len());
        // Added tokens may have ids past the count.
        let added = self
            .inner
            .get_added_tokens_decoder()
            .into_values()
            .map(|t| t.content.len());
        listed.chain(added).max().unwrap_or(0)
    }
}

/// How much the decoder may grow its tokens' text: each byte at most
/// `factor` bytes, plus `per_token` bytes per token. A Replace puts its
/// content for each match (of at least one byte, or of nothing between two
/// characters); a BPE decoder with an empty suffix a space between every
/// two characters; the others shrink the text or add a space per token.
/// Without a decoder, the tokens are joined with spaces.
fn growth(decoder: Option<&DecoderWrapper>) -> (u64, u64) {
    fn chain(decoder: &DecoderWrapper) -> (u64, u64) {
        match decoder {
            DecoderWrapper::Replace(r) => (r.content.len() as u64 + 1, r.content.len() as u64),
            DecoderWrapper::BPE(b) if b.suffix.is_empty() => (2, 1),
            DecoderWrapper::Sequence(all) => all.get_decoders().iter().fold((1, 0), |(f, a), d| {
                let (f2, a2) = chain(d);
                (f.saturating_mul(f2), a.saturating_mul(f2).saturating_add(a2))
            }),
            _ => (1, 1),
        }
    }
    decoder.map_or((1, 1), chain)
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
    use serde_json::json;

    use super::super::limits::{MAX_DECODE_BYTES, MAX_DECODE_IDS};
    use super::super::LoadedTokenizer;
    use crate::core::error::ErrorCode;

    /// A WordLevel tokenizer whose token 1 is `long` bytes, with `decoder`.
    fn with_long_token(long: usize, decoder: serde_json::Value) -> LoadedTokenizer {
        let file = json!({"version": "1.0", "added_tokens": [], "normalizer": null,
            "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": decoder,
            "model": {"type": "WordLevel", "unk_token": "a", "vocab": {"a": 0, "x".repeat(long): 1}}});
        LoadedTokenizer::from_files("o/r", file.to_string().as_bytes(), None).unwrap()
    }

    #[test]
    fn too_many_ids_are_refused_before_decoding() {
        let t = with_long_token(1, serde_json::Value::Null);
        let ids = vec![0u32; MAX_DECODE_IDS + 1];
        let e = t.decode(&ids, false).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidOption);
        assert!(e.message.contains("at most 4194304"), "{}", e.message);
        let half = &ids[..ids.len() / 2 + 1];
        let e = t.batch_decode(&[half, half], false, None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidOption, "the rows count together");
        // The tokenizer stays usable, and the cap itself decodes.
        assert_eq!(
            t.decode(&ids[..MAX_DECODE_IDS], false).unwrap().len(),
            2 * MAX_DECODE_IDS - 1
        );
    }

    #[test]
    fn ids_of_long_tokens_are_refused_by_the_text_they_would_make() {
        let t = with_long_token(1 << 20, serde_json::Value::Null);
        let many = vec![1u32; (MAX_DECODE_BYTES >> 20) as usize + 1];
        assert_eq!(t.decode(&many, false).unwrap_err().code, ErrorCode::InvalidOption);
        assert_eq!(t.decode(&many[..8], false).unwrap().len(), 8 << 20 | 7);
        // Above the exact-sum threshold, mostly short tokens pass.
        let mut mixed = vec![0u32; 100_000];
        mixed[0] = 1;
        assert!(t.decode(&mixed, false).is_ok());
        // A decoder that grows the text counts: 17 bytes per byte.
        let grows = json!({"type": "Replace", "pattern": {"String": "x"}, "content": "y".repeat(16)});
        let t = with_long_token(1 << 20, grows);
        let e = t.decode(&many[..4], false).unwrap_err();
        assert!(e.message.contains("decode to up to"), "{}", e.message);
        assert_eq!(t.decode(&many[..2], false).unwrap().len(), 2 * (16 << 20));
    }

    #[test]
    fn cleans_up_like_transformers() {
        assert_eq!(
            super::clean_up_tokenization("hello , world ! it ' s i 'm don 't ."),
            "hello, world! it's i'm don 't."
        );
    }
}
