//! Normalizers the crate panics on, checked as JSON before it parses them
//! (see mod.rs).

use serde_json::Value;

use super::super::loaded::shown_token;
use super::empty_match::can_match_empty;

/// The normalizer's JSON, before the crate parses it, nested in Sequences
/// too:
/// - every Precompiled normalizer must have a sound `precompiled_charsmap`.
///   The crate `expect`s that field to parse, so any charsmap it cannot read
///   panics at load, and its lookups index the trie the charsmap holds
///   without bounds checks;
/// - no normalizer may insert text at the start of the text without
///   replacing a character there: a Prepend of nothing, or a Replace whose
///   pattern can match the empty string, with some content. The crate then
///   aligns the inserted text to no character of the original (its offsets
///   `(0, 0)`), and the next step that maps offsets (a later normalizer,
///   the pre-tokenizer, the added tokens) indexes past its alignments and
///   panics, on every encode. (Found by the fuzz test, `fuzz/`.)
pub(in super::super) fn normalizer(normalizer: &Value) -> Result<(), String> {
    match normalizer.get("type").and_then(Value::as_str) {
        Some("Prepend") if normalizer.get("prepend").and_then(Value::as_str) == Some("") => {
            Err("the normalizer Prepend prepends an empty string, which crashes the tokenizers library".into())
        }
        Some("Replace") => replace(normalizer),
        Some("Precompiled") => {
            let charsmap = normalizer
                .get("precompiled_charsmap")
                .and_then(Value::as_str)
                .ok_or("a Precompiled normalizer has no precompiled_charsmap string")?;
            let bytes = base64::decode(charsmap)
                .map_err(|_| "a Precompiled normalizer's precompiled_charsmap is not base64".to_owned())?;
            precompiled_charsmap(&bytes)
                .map_err(|what| format!("a Precompiled normalizer's precompiled_charsmap is malformed: {what}"))
        }
        Some("Sequence") => normalizer
            .get("normalizers")
            .and_then(Value::as_array)
            .map_or(Ok(()), |all| all.iter().try_for_each(self::normalizer)),
        _ => Ok(()),
    }
}

/// A Replace normalizer: refused when its pattern can match the empty
/// string and its content is not empty. A `String` pattern is compiled
/// as that text escaped (so `""` matches everywhere); a `Regex` is checked
/// by its syntax tree, as the crate's regex engine (fancy-regex) parses it.
fn replace(normalizer: &Value) -> Result<(), String> {
    if !normalizer
        .get("content")
        .and_then(Value::as_str)
        .is_some_and(|content| !content.is_empty())
    {
        return Ok(());
    }
    let pattern = normalizer.get("pattern");
    let (shown, empty) = match (
        pattern.and_then(|p| p.get("String")).and_then(Value::as_str),
        pattern.and_then(|p| p.get("Regex")).and_then(Value::as_str),
    ) {
        (Some(text), _) => (shown_token(text), text.is_empty()),
        (None, Some(regex)) => (
            format!("/{}/", shown_token(regex).trim_matches('"')),
            can_match_empty(regex),
        ),
        // Not a pattern the crate reads: it refuses the file itself.
        (None, None) => return Ok(()),
    };
    match empty {
        false => Ok(()),
        true => Err(format!(
            "the normalizer Replace's pattern {shown} can match an empty string, where it would insert its content \
             between characters, which crashes the tokenizers library"
        )),
    }
}

/// A SentencePiece charsmap as spm_precompiled 0.1.4 reads it: a u32 byte
/// length of the trie, the trie (a darts-clone double array of u32 units),
/// then the replacement strings, UTF-8, each ended by a 0 byte. A lookup
/// starts at unit 0 and, per byte `c` of the text (any byte but 0), reads
/// unit `node ^ c`; when that unit's label is `c` it moves to
/// `node ^ c ^ offset(unit)`, and when the unit has a leaf, the unit there
/// gives where a replacement starts in the strings. So: the array is not
/// empty, every position a lookup can move to leaves its whole 256-unit
/// block (every `node ^ c`) inside the array, and every leaf starts a
/// replacement at a character of the strings. Checked for every unit, not
/// only those a lookup can reach: darts-clone arrays are whole 256-unit
/// blocks, whose spare units point at themselves, and pass.
fn precompiled_charsmap(bytes: &[u8]) -> Result<(), String> {
    let (size, rest) = bytes.split_first_chunk::<4>().ok_or("shorter than its header")?;
    // The crate reads `size / 4` units (sizing a buffer for them first).
    let units = u32::from_le_bytes(*size) as usize / 4;
    if units == 0 {
        return Err("its trie is empty".into());
    }
    let (trie, strings) = match rest.len() / 4 >= units {
        true => rest.split_at(units * 4),
        false => return Err("its trie is longer than the charsmap".into()),
    };
    let strings = std::str::from_utf8(strings).map_err(|_| "its replacement strings are not UTF-8")?;
    let trie: Vec<u32> = trie
        .chunks_exact(4)
        .map(|u| u32::from_le_bytes([u[0], u[1], u[2], u[3]]))
        .collect();
    // As the crate computes it, in 64 bits (on wasm32 it would wrap, but
    // past the array either way).
    let offset = |u: u32| u64::from(u >> 10) << ((u & (1 << 9)) >> 6);
    let block_inside = |node: u64| (node | 0xFF) < units as u64;
    if !block_inside(offset(trie[0])) {
        return Err("its root points past the trie".into());
    }
    for (position, &u) in trie.iter().enumerate() {
        // A unit a lookup can match: its label (low byte, and the top bit
        // clear) is a byte 1-255.
        if u & 0x8000_0000 != 0 || u & 0xFF == 0 {
            continue;
        }
        let next = position as u64 ^ offset(u);
        if !block_inside(next) {
            return Err(format!("unit {position} points past the trie"));
        }
        if (u >> 8) & 1 == 1 {
            let start = (trie[next as usize] & 0x7FFF_FFFF) as usize;
            if !strings.is_char_boundary(start) {
                return Err(format!("unit {position} points outside the replacement strings"));
            }
        }
    }
    Ok(())
}
