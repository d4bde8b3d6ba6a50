//! A BPE model straight from its tokenizer.json slice.
//!
//! The crate's own `BPE` deserializer reads `merges` through an untagged
//! enum (pairs, or the legacy "a b" strings): serde buffers the whole list
//! as generic `Content` first, then converts it, which for the 280k-515k
//! merges of Llama-3 or Gemma-3 is a large share of the load. Here each
//! merge is read in whichever form it has, in the same single pass that
//! reads the vocabulary, then handed to the crate's `BpeBuilder` with the
//! same options its deserializer sets.
//!
//! The builder subtracts the `continuing_subword_prefix` length from each
//! merge's right part without checking: a file whose merge is shorter than
//! the prefix would panic (and a panic ends the wasm instance), so that file
//! is refused here first.

use std::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use tokenizers::models::bpe::{Merges, Vocab, BPE};

#[derive(Deserialize)]
struct BpeParts {
    dropout: Option<f32>,
    unk_token: Option<String>,
    continuing_subword_prefix: Option<String>,
    end_of_word_suffix: Option<String>,
    fuse_unk: Option<bool>,
    byte_fallback: Option<bool>,
    ignore_merges: Option<bool>,
    vocab: Vocab,
    merges: MergeList,
}

/// `Ok(None)`: not understood here, let the crate's loader decide (it gives
/// the canonical error). `Err`: a file the crate would crash on.
pub fn load_bpe(raw: &str) -> Result<Option<BPE>, String> {
    let Ok(parts) = serde_json::from_str::<BpeParts>(raw) else {
        return Ok(None);
    };
    let merges = parts.merges.0;
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

/// The merge list in either form the crate reads, never both at once: pairs
/// `[["a", "b"], ...]`, or legacy lines `["a b", ...]` (exactly one space,
/// `#version` lines skipped).
struct MergeList(Merges);

/// One element, in whichever form it comes.
enum Merge {
    Pair(String, String),
    Line(String),
}

impl<'de> Deserialize<'de> for MergeList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor;
        impl<'de> Visitor<'de> for ListVisitor {
            type Value = MergeList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of merges")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MergeList, A::Error> {
                let mut merges = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                let mut legacy = None;
                while let Some(merge) = seq.next_element::<Merge>()? {
                    let is_line = matches!(merge, Merge::Line(_));
                    if *legacy.get_or_insert(is_line) != is_line {
                        return Err(de::Error::custom("merges mix pairs and lines"));
                    }
                    match merge {
                        Merge::Pair(a, b) => merges.push((a, b)),
                        Merge::Line(line) if line.starts_with("#version") => {}
                        Merge::Line(line) => {
                            let mut parts = line.split(' ');
                            match (parts.next(), parts.next(), parts.next()) {
                                (Some(a), Some(b), None) => merges.push((a.to_owned(), b.to_owned())),
                                _ => return Err(de::Error::custom("a merge line is not two tokens")),
                            }
                        }
                    }
                }
                Ok(MergeList(merges))
            }
        }
        deserializer.deserialize_seq(ListVisitor)
    }
}

impl<'de> Deserialize<'de> for Merge {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MergeVisitor;
        impl<'de> Visitor<'de> for MergeVisitor {
            type Value = Merge;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a merge: ["a", "b"] or "a b""#)
            }
            fn visit_str<E: de::Error>(self, line: &str) -> Result<Merge, E> {
                Ok(Merge::Line(line.to_owned()))
            }
            fn visit_string<E: de::Error>(self, line: String) -> Result<Merge, E> {
                Ok(Merge::Line(line))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Merge, A::Error> {
                let a = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let b = seq.next_element()?.ok_or_else(|| de::Error::invalid_length(1, &self))?;
                if seq.next_element::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::invalid_length(3, &self));
                }
                Ok(Merge::Pair(a, b))
            }
        }
        deserializer.deserialize_any(MergeVisitor)
    }
}
