//! tokenizer.json files on which the `tokenizers` crate (0.23.2) would
//! panic, refused when they are loaded.
//!
//! Why: the crate checks some of its inputs only by indexing, slicing or
//! `expect`ing, so a few malformed files (none of them made by Python
//! `tokenizers` or transformers) make it panic, while loading or at the first
//! encode or decode, instead of returning an error. In wasm a panic aborts the
//! instance (panic=abort), and during a load it takes the whole Node process
//! with it. So each rule here mirrors the crate code that would panic, and
//! the file is refused with INVALID_TOKENIZER instead. A rule refuses what
//! panics there, or what the crate rejects anyway; two reach a little wider,
//! where the exact condition is not known at load (a Strip decoder after
//! another decoder; a charsmap's trie, checked whole rather than only where
//! lookups go). No file that Python `tokenizers` or transformers writes is
//! refused (the real files of the tests load, nmt_nfkc's charsmap passes).
//!
//! Two kinds of check, by when the crate panics:
//! - before the crate parses a part (`bpe_merges`, `normalizer`, and `file`
//!   for the crate's own loader): the BPE builder and the Precompiled
//!   normalizer panic while being built;
//! - on the built tokenizer (`built`): the pre-tokenizer, post-processor,
//!   decoder and added tokens panic only when used.
//!
//! The fast loader (`fast_load`), the pre-parsed form (`pre_parsed`, via the
//! same `bpe_build::build` and `assemble::assemble`) and the crate's loader
//! all run them. The pre-parsed form is rechecked although it is only
//! written from files that passed: the checks cost little beside the build,
//! and a form kept by an older hubguard, before a rule existed, stays usable.
//!
//! By concern: `bpe.rs` (the merges), `normalizer.rs` (the normalizer's
//! JSON, with `empty_match.rs` for its regexes), `used.rs` (the parts that panic when used); `fuzz/` searches the
//! crate for more.

mod bpe;
mod empty_match;
mod normalizer;
#[cfg(test)]
mod tests;
mod used;

use serde::Deserialize;
use serde_json::Value;
use tokenizers::Tokenizer;

pub(super) use bpe::bpe_merges;
pub(super) use normalizer::normalizer;
use used::{added_tokens, decoder, post_processor};

use super::bpe_load::BpeParts;

/// The whole file, for the crate's own loader: the BPE merges (`type` BPE,
/// or none: the crate tries BPE first) and the normalizer.
pub(super) fn file(file: &Value) -> Result<(), String> {
    let model = file.get("model").filter(|m| m.is_object());
    if let Some(model) = model.filter(|m| m.get("type").map_or(true, |t| t == "BPE")) {
        // When these fields do not read, the crate's BPE fails on them too
        // and builds nothing.
        if let Ok(parts) = BpeParts::deserialize(model) {
            let prefix = match parts.options.get("continuing_subword_prefix") {
                None | Some(Value::Null) => None,
                Some(Value::String(prefix)) => Some(prefix.as_str()),
                Some(_) => return Ok(()),
            };
            bpe_merges(&parts.vocab, &parts.merges, prefix)?;
        }
    }
    match file.get("normalizer") {
        Some(n) => normalizer(n),
        None => Ok(()),
    }
}

/// The built tokenizer: the parts that panic when used.
pub(super) fn built(tokenizer: &Tokenizer) -> Result<(), String> {
    if let Some(pre_tokenizer) = tokenizer.get_pre_tokenizer() {
        used::pre_tokenizer(pre_tokenizer)?;
    }
    if let Some(processor) = tokenizer.get_post_processor() {
        // Encodes of one text and of pairs, with and without special tokens.
        for (parts, specials) in [(1, true), (2, true), (1, false), (2, false)] {
            post_processor(processor, parts, specials)?;
        }
    }
    if let Some(decoder) = tokenizer.get_decoder() {
        self::decoder(decoder, true, tokenizer)?;
    }
    added_tokens(tokenizer)
}
