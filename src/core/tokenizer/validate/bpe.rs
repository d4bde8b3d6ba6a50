//! The BPE builder's panics on merges (see mod.rs).

use tokenizers::models::bpe::{Merges, Vocab};

use super::super::loaded::shown_token;

/// Before the crate's `BpeBuilder::build` sees these merges. For each merge
/// `(a, b)` whose parts are in the vocabulary, the builder copies `a` and `b`
/// without its first `prefix.len()` bytes into a buffer as long as the
/// longest token, then reads that buffer as UTF-8 unchecked. So `b` must be
/// at least as long as the prefix, the cut must fall between characters
/// (otherwise the merged token is not UTF-8: undefined behaviour), and the
/// merged token must fit the buffer. A merge failing any of these makes a
/// token that is not in the vocabulary, which the crate rejects anyway, but
/// only after the panic.
pub(in super::super) fn bpe_merges(vocab: &Vocab, merges: &Merges, prefix: Option<&str>) -> Result<(), String> {
    let prefix_len = prefix.map_or(0, str::len);
    let longest = vocab.keys().map(String::len).max().unwrap_or(0);
    for (a, b) in merges {
        let merged = || format!("the BPE merge {} + {}", shown_token(a), shown_token(b));
        if b.len() < prefix_len {
            return Err(format!(
                "{}: its right part is shorter than continuing_subword_prefix {}",
                merged(),
                shown_token(prefix.unwrap_or_default())
            ));
        }
        if !b.is_char_boundary(prefix_len) {
            return Err(format!(
                "{}: removing continuing_subword_prefix {} from its right part cuts inside a character",
                merged(),
                shown_token(prefix.unwrap_or_default())
            ));
        }
        if a.len() + b.len() - prefix_len > longest {
            return Err(format!(
                "{} makes a token longer than any in the vocabulary, so not in it",
                merged()
            ));
        }
    }
    Ok(())
}
