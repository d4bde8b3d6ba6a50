//! A compact, pre-parsed form of a BPE tokenizer.json, kept in the cache
//! beside the file so that later loads skip the JSON.
//!
//! A warm load of Llama-3 or Gemma-3 spends a third of its time reading
//! JSON: 9-33 MB scanned, every string unescaped and checked as UTF-8, each
//! legacy merge line split. This form holds the same model with no JSON
//! around it: every token's text in one block (checked as UTF-8 once), ids,
//! and the merges as pairs of ids. The `tokenizers` crate's builder still
//! runs on it, so the model is exactly the one the file gives; only the
//! parsing is skipped. The small parts (normalizer, pre-tokenizer, decoder,
//! added tokens, the model's options) stay the JSON they were.
//!
//! Layout, little-endian:
//! ```text
//! magic "HGBPE\0\0\0", format u32, crc32 u32 of everything after it,
//! size of the tokenizer.json it came from u64,
//! JSON length u32, JSON {"pipeline": {...}, "options": {...}},
//! token count u32, text length u32, text, (byte length u32, id u32) per token
//!   (written in id order; read in any),
//! merge count u32, (left id u32, right id u32) per merge
//! ```
//! Anything that does not check out (another format, a bad checksum, a file
//! of another size, a count past the end) makes `decode` answer `None`, and
//! the caller reads tokenizer.json instead.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokenizers::models::bpe::{Merges, Vocab};
use tokenizers::Tokenizer;

use super::assemble::{assemble, Pipeline};
use super::bpe_build;
use super::bpe_load::{self, BpeParts};

const MAGIC: &[u8; 8] = b"HGBPE\0\0\0";
/// Bumped whenever the layout or its meaning changes: an old form is then
/// simply not used (and replaced).
const FORMAT: u32 = 1;
/// Ids may have gaps, but a table indexed by id must stay small.
const MAX_ID_SLACK: usize = 1 << 16;

/// What, besides vocab and merges, the form keeps as JSON.
#[derive(Serialize, Deserialize)]
struct Around<'a> {
    #[serde(borrow)]
    pipeline: Pipeline<'a>,
    options: Map<String, Value>,
}

/// The pre-parsed form of a BPE tokenizer read from a `source_size`-byte
/// tokenizer.json; `None` when the model cannot be written this way (a
/// merge naming a token not in the vocabulary, two tokens with one id, ids
/// far from dense): those files are simply read as JSON each time.
pub(super) fn encode(source_size: u64, pipeline: &Pipeline, parts: &BpeParts) -> Option<Vec<u8>> {
    let around = serde_json::to_vec(&Around {
        pipeline: *pipeline,
        options: parts.options.clone(),
    })
    .ok()?;
    let max_id = parts.vocab.values().copied().max().unwrap_or(0) as usize;
    if max_id > parts.vocab.len() + MAX_ID_SLACK {
        return None;
    }
    let mut seen = vec![false; max_id + 1];
    let text_len: usize = parts.vocab.keys().map(String::len).sum();
    let mut out = Vec::with_capacity(40 + around.len() + text_len + 8 * parts.vocab.len() + 8 * parts.merges.len());
    out.extend_from_slice(MAGIC);
    put_u32(&mut out, FORMAT);
    put_u32(&mut out, 0); // the checksum, once the rest is written
    out.extend_from_slice(&source_size.to_le_bytes());
    put_len(&mut out, around.len())?;
    out.extend_from_slice(&around);
    // In id order: a BPE vocabulary numbers its tokens in the order the
    // merges make them, so the loader then allocates the token strings in
    // about the order the crate's builder looks them up, merge by merge.
    let mut tokens: Vec<(&String, u32)> = parts.vocab.iter().map(|(token, &id)| (token, id)).collect();
    tokens.sort_unstable_by_key(|&(_, id)| id);
    put_len(&mut out, tokens.len())?;
    put_len(&mut out, text_len)?;
    for (token, _) in &tokens {
        out.extend_from_slice(token.as_bytes());
    }
    for &(token, id) in &tokens {
        if std::mem::replace(&mut seen[id as usize], true) {
            return None;
        }
        put_len(&mut out, token.len())?;
        put_u32(&mut out, id);
    }
    put_len(&mut out, parts.merges.len())?;
    for (left, right) in &parts.merges {
        put_u32(&mut out, *parts.vocab.get(left)?);
        put_u32(&mut out, *parts.vocab.get(right)?);
    }
    let crc = crc32fast::hash(&out[16..]);
    out[12..16].copy_from_slice(&crc.to_le_bytes());
    Some(out)
}

/// The tokenizer from its pre-parsed form, if `bytes` is a sound form of
/// this format made from a tokenizer.json of `source_size` bytes.
pub fn load(bytes: &[u8], source_size: u64) -> Option<Tokenizer> {
    let (around, vocab, merges) = decode(bytes, source_size)?;
    super::limits::check_json_values(around, super::limits::MAX_TOKENIZER_JSON_VALUES).ok()?;
    let around: Around = serde_json::from_slice(around).ok()?;
    // The checks of `validate` run here too (in `build` and `assemble`):
    // a form refused now, kept by a version without some check, is not
    // used, and the file's own load then says why.
    let bpe = bpe_build::build(&around.options, vocab, merges).ok()??;
    assemble(bpe.into(), &around.pipeline).ok()?
}

fn decode(bytes: &[u8], source_size: u64) -> Option<(&[u8], Vocab, Merges)> {
    let mut r = Reader(bytes);
    if r.take(8)? != MAGIC || r.u32()? != FORMAT {
        return None;
    }
    let crc = r.u32()?;
    if crc32fast::hash(r.0) != crc || r.u64()? != source_size {
        return None;
    }
    let around_len = r.len()?;
    let around = r.take(around_len)?;
    let count = r.len()?;
    let text_len = r.len()?;
    let text = std::str::from_utf8(r.take(text_len)?).ok()?;
    // Each token takes 8 bytes below: a larger count is corrupt, and must
    // not size an allocation.
    if count > r.0.len() / 8 {
        return None;
    }
    let mut by_id: Vec<Option<&str>> = Vec::new();
    let mut entries = Vec::with_capacity(count);
    let mut start: usize = 0;
    for _ in 0..count {
        let end = start.checked_add(r.len()?)?;
        let token = text.get(start..end)?;
        start = end;
        let id = r.u32()?;
        let slot = id as usize;
        if slot >= by_id.len() {
            if slot > count + MAX_ID_SLACK {
                return None;
            }
            by_id.resize(slot + 1, None);
        }
        by_id[slot] = Some(token);
        entries.push((token.to_owned(), id));
    }
    let merge_count = r.len()?;
    if merge_count > r.0.len() / 8 || start != text.len() {
        return None;
    }
    let mut merges = Vec::with_capacity(merge_count);
    let token = |id: u32| by_id.get(id as usize).copied().flatten().map(str::to_owned);
    for _ in 0..merge_count {
        merges.push((token(r.u32()?)?, token(r.u32()?)?));
    }
    r.0.is_empty().then(|| (around, bpe_load::presized(entries), merges))
}

/// The token ids of a form, in the order it lists them (tests check that
/// order; `decode` accepts any).
#[cfg(test)]
pub(super) fn listed_ids(bytes: &[u8]) -> Option<Vec<u32>> {
    let mut r = Reader(bytes);
    r.take(8 + 4 + 4 + 8)?;
    let around_len = r.len()?;
    r.take(around_len)?;
    let count = r.len()?;
    let text_len = r.len()?;
    r.take(text_len)?;
    (0..count).map(|_| r.len().and_then(|_| r.u32())).collect()
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

/// A length as u32; `None` past 4 GiB (no such tokenizer is kept).
fn put_len(out: &mut Vec<u8>, len: usize) -> Option<()> {
    put_u32(out, u32::try_from(len).ok()?);
    Some(())
}

/// Reads the layout front to back; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    fn len(&mut self) -> Option<usize> {
        self.u32().map(|n| n as usize)
    }
}
