//! A BPE model straight from its tokenizer.json slice.
//!
//! The crate's own `BPE` deserializer reads `merges` through an untagged
//! enum (pairs, or the legacy "a b" strings): serde buffers the whole list
//! as generic `Content` first, then converts it, which for the 280k-515k
//! merges of Llama-3 or Gemma-3 is a large share of the load. Here the form
//! is read off the first element and the list is parsed once, then handed to
//! the crate's `BpeBuilder` with the same options its deserializer sets.
//!
//! The builder subtracts the `continuing_subword_prefix` length from each
//! merge's right part without checking: a file whose merge is shorter than
//! the prefix would panic (and a panic ends the wasm instance), so that file
//! is refused here first.

use serde::Deserialize;
use serde_json::value::RawValue;
use tokenizers::models::bpe::{Merges, Vocab, BPE};

#[derive(Deserialize)]
struct BpeParts<'a> {
    dropout: Option<f32>,
    unk_token: Option<String>,
    continuing_subword_prefix: Option<String>,
    end_of_word_suffix: Option<String>,
    fuse_unk: Option<bool>,
    byte_fallback: Option<bool>,
    ignore_merges: Option<bool>,
    vocab: Vocab,
    #[serde(borrow)]
    merges: &'a RawValue,
}

/// `Ok(None)`: not understood here, let the crate's loader decide (it gives
/// the canonical error). `Err`: a file the crate would crash on.
pub fn load_bpe(raw: &str) -> Result<Option<BPE>, String> {
    let Ok(parts) = serde_json::from_str::<BpeParts>(raw) else {
        return Ok(None);
    };
    let Some(merges) = parse_merges(parts.merges.get()) else {
        return Ok(None);
    };
    if let Some(prefix) = &parts.continuing_subword_prefix {
        if let Some((_, right)) = merges.iter().find(|(_, right)| right.len() < prefix.len()) {
            return Err(format!(
                "a merge's right part `{}` is shorter than continuing_subword_prefix `{prefix}`",
                right.chars().take(40).collect::<String>()
            ));
        }
    }
    let mut builder = BPE::builder().vocab_and_merges(parts.vocab, merges);
    if let Some(p) = parts.dropout {
        builder = builder.dropout(p);
    }
    if let Some(t) = parts.unk_token {
        builder = builder.unk_token(t);
    }
    if let Some(p) = parts.continuing_subword_prefix {
        builder = builder.continuing_subword_prefix(p);
    }
    if let Some(s) = parts.end_of_word_suffix {
        builder = builder.end_of_word_suffix(s);
    }
    if let Some(f) = parts.fuse_unk {
        builder = builder.fuse_unk(f);
    }
    if let Some(b) = parts.byte_fallback {
        builder = builder.byte_fallback(b);
    }
    if let Some(i) = parts.ignore_merges {
        builder = builder.ignore_merges(i);
    }
    // A builder error (a merge naming a token not in the vocabulary, a bad
    // dropout) is reported by the crate's loader in its own words.
    Ok(builder.build().ok())
}

/// Pairs `[["a", "b"], ...]`, or legacy lines `["a b", ...]` (exactly one
/// space; `#version` lines skipped), as the crate reads them.
fn parse_merges(raw: &str) -> Option<Merges> {
    let first = raw.trim_start().strip_prefix('[')?.trim_start().chars().next();
    match first {
        Some('"') => {
            let lines: Vec<String> = serde_json::from_str(raw).ok()?;
            lines
                .into_iter()
                .filter(|l| !l.starts_with("#version"))
                .map(|line| {
                    let mut parts = line.split(' ');
                    match (parts.next(), parts.next(), parts.next()) {
                        (Some(a), Some(b), None) => Some((a.to_owned(), b.to_owned())),
                        _ => None,
                    }
                })
                .collect()
        }
        _ => serde_json::from_str(raw).ok(),
    }
}
