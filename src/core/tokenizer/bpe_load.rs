//! A BPE model's fields read straight from tokenizer.json.
//!
//! The crate's own `BPE` deserializer reads `merges` through an untagged
//! enum (pairs, or the legacy "a b" strings): serde buffers the whole list
//! as generic `Content` first, then converts it, which for the hundreds of
//! thousands of merges of Llama-3 or Gemma-3 is a large share of the load.
//! Here each merge is read in whichever form it has, in the same single
//! pass that reads the vocabulary; `bpe_build` then makes the model.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use tokenizers::models::bpe::{Merges, Vocab};

/// A BPE model's fields as tokenizer.json has them after its `type` key:
/// the vocabulary and merges read in one pass, and the few options kept as
/// JSON (the pre-parsed form stores them as they are).
pub(super) struct BpeParts {
    pub options: Map<String, Value>,
    pub vocab: Vocab,
    pub merges: Merges,
}

impl<'de> Deserialize<'de> for BpeParts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PartsVisitor;
        impl<'de> Visitor<'de> for PartsVisitor {
            type Value = BpeParts;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a BPE model")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<BpeParts, A::Error> {
                let (mut vocab, mut merges, mut options) = (None, None, Map::new());
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "vocab" => vocab = Some(map.next_value::<PresizedVocab>()?.0),
                        "merges" => merges = Some(map.next_value::<MergeList>()?.0),
                        _ => {
                            options.insert(key, map.next_value()?);
                        }
                    }
                }
                Ok(BpeParts {
                    options,
                    vocab: vocab.ok_or_else(|| de::Error::missing_field("vocab"))?,
                    merges: merges.ok_or_else(|| de::Error::missing_field("merges"))?,
                })
            }
        }
        deserializer.deserialize_map(PartsVisitor)
    }
}

/// The vocabulary, its table sized once. JSON gives no entry count, so a
/// map read directly would double and rehash every key string about 18
/// times on the way to Gemma-3's 262k entries; a list grows by cheap moves
/// instead. As in a map read directly, a repeated token keeps its last id.
struct PresizedVocab(Vocab);

impl<'de> Deserialize<'de> for PresizedVocab {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VocabVisitor;
        impl<'de> Visitor<'de> for VocabVisitor {
            type Value = PresizedVocab;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of tokens to ids")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PresizedVocab, A::Error> {
                let mut entries: Vec<(String, u32)> = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(PresizedVocab(presized(entries)))
            }
        }
        deserializer.deserialize_map(VocabVisitor)
    }
}

/// A vocabulary table sized once for `entries`.
pub(super) fn presized(entries: Vec<(String, u32)>) -> Vocab {
    let mut vocab = Vocab::with_capacity(entries.len());
    vocab.extend(entries);
    vocab
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
