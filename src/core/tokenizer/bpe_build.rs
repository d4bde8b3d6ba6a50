//! The BPE model from its parts (`bpe_load`), through the crate's
//! `BpeBuilder` with the same options its deserializer sets.
//!
//! The builder panics on some malformed merges instead of returning an
//! error: `validate::bpe_merges` refuses those first (see validate/).

use serde::Deserialize;
use serde_json::{Map, Value};
use tokenizers::models::bpe::{Merges, Vocab, BPE};

use super::validate;

/// The options the crate's BPE deserializer reads besides vocab and merges.
#[derive(Deserialize)]
struct BpeOptions {
    dropout: Option<f32>,
    unk_token: Option<String>,
    continuing_subword_prefix: Option<String>,
    end_of_word_suffix: Option<String>,
    fuse_unk: Option<bool>,
    byte_fallback: Option<bool>,
    ignore_merges: Option<bool>,
}

/// `Ok(None)`: not understood here, let the crate's loader decide (it gives
/// the canonical error). `Err`: a file the crate would crash on.
pub(super) fn build(options: &Map<String, Value>, vocab: Vocab, merges: Merges) -> Result<Option<BPE>, String> {
    let Ok(options) = BpeOptions::deserialize(options) else {
        return Ok(None);
    };
    validate::bpe_merges(&vocab, &merges, options.continuing_subword_prefix.as_deref())?;
    let mut builder = BPE::builder().vocab_and_merges(vocab, merges);
    if let Some(p) = options.dropout {
        builder = builder.dropout(p);
    }
    if let Some(t) = options.unk_token {
        builder = builder.unk_token(t);
    }
    if let Some(p) = options.continuing_subword_prefix {
        builder = builder.continuing_subword_prefix(p);
    }
    if let Some(s) = options.end_of_word_suffix {
        builder = builder.end_of_word_suffix(s);
    }
    if let Some(f) = options.fuse_unk {
        builder = builder.fuse_unk(f);
    }
    if let Some(b) = options.byte_fallback {
        builder = builder.byte_fallback(b);
    }
    if let Some(i) = options.ignore_merges {
        builder = builder.ignore_merges(i);
    }
    // A builder error (a merge naming a token not in the vocabulary, a bad
    // dropout) is reported by the crate's loader in its own words.
    Ok(builder.build().ok())
}
