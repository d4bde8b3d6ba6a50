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
//! same `bpe_load::build` and `fast_load::assemble`) and the crate's loader
//! all run them. The pre-parsed form is rechecked although it is only
//! written from files that passed: the checks cost little beside the build,
//! and a form kept by an older hubguard, before a rule existed, stays usable.

use serde::Deserialize;
use serde_json::Value;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{Merges, Vocab};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::template::{Piece, Sequence as Input, TemplateProcessing};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{Model, Tokenizer};

use super::bpe_load::BpeParts;
use super::shown_token;

/// Before the crate's `BpeBuilder::build` sees these merges. For each merge
/// `(a, b)` whose parts are in the vocabulary, the builder copies `a` and `b`
/// without its first `prefix.len()` bytes into a buffer as long as the
/// longest token, then reads that buffer as UTF-8 unchecked. So `b` must be
/// at least as long as the prefix, the cut must fall between characters
/// (otherwise the merged token is not UTF-8: undefined behaviour), and the
/// merged token must fit the buffer. A merge failing any of these makes a
/// token that is not in the vocabulary, which the crate rejects anyway, but
/// only after the panic.
pub(super) fn bpe_merges(vocab: &Vocab, merges: &Merges, prefix: Option<&str>) -> Result<(), String> {
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

/// The normalizer's JSON, before the crate parses it: every Precompiled
/// normalizer in it, nested in Sequences too, must have a sound
/// `precompiled_charsmap`. The crate `expect`s that field to parse, so any
/// charsmap it cannot read panics at load, and its lookups index the trie
/// the charsmap holds without bounds checks.
pub(super) fn normalizer(normalizer: &Value) -> Result<(), String> {
    match normalizer.get("type").and_then(Value::as_str) {
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
        self::pre_tokenizer(pre_tokenizer)?;
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

/// FixedLength splits text into chunks of `length` characters
/// (`chunks(length)`, which panics on 0).
fn pre_tokenizer(pre_tokenizer: &PreTokenizerWrapper) -> Result<(), String> {
    match pre_tokenizer {
        PreTokenizerWrapper::FixedLength(f) if f.length == 0 => Err(
            "the pre-tokenizer FixedLength has length 0 (it splits text into chunks of that many characters)".into(),
        ),
        PreTokenizerWrapper::Sequence(all) => all.as_ref().iter().try_for_each(self::pre_tokenizer),
        _ => Ok(()),
    }
}

/// How many encodings `processor` hands on when it gets `parts` of them (1:
/// a text, 2: a pair), or why it panics. TemplateProcessing, deserialized
/// without its builder's checks, indexes its inputs by the template's
/// sequences (`$B` of a single text is past the end), looks its special
/// tokens up unchecked when it adds them, and takes only 1 or 2 inputs
/// (`todo!()` otherwise), which inside a Sequence depends on the processors
/// before it: a template outputs one encoding per piece it keeps. The other
/// processors keep the count. (The builder also demands both sequences in
/// `pair`; a pair template without one does not panic, so that is allowed.)
fn post_processor(processor: &PostProcessorWrapper, parts: usize, specials: bool) -> Result<usize, String> {
    match processor {
        PostProcessorWrapper::Template(template) => template_output(template, parts, specials),
        PostProcessorWrapper::Sequence(all) => all
            .as_ref()
            .iter()
            .try_fold(parts, |parts, p| post_processor(p, parts, specials)),
        _ => Ok(parts),
    }
}

fn template_output(template: &TemplateProcessing, parts: usize, specials: bool) -> Result<usize, String> {
    let (name, pieces) = match parts {
        1 => ("single", &template.single),
        2 => ("pair", template.get_pair()),
        _ => {
            return Err(format!(
                "the post-processor Sequence hands a TemplateProcessing {parts} parts (made by the processors \
                 before it), and it only takes one text or a pair"
            ))
        }
    };
    // The template's pieces are private; their serialized form is not.
    let pieces: Vec<Piece> = serde_json::to_value(pieces)
        .and_then(serde_json::from_value)
        .map_err(|e| format!("its TemplateProcessing could not be read back: {e}"))?;
    let mut output = 0;
    for piece in &pieces {
        match piece {
            Piece::Sequence { id: Input::B, .. } if parts == 1 => {
                let what = "the post-processor TemplateProcessing's `single` template uses sequence B";
                return Err(format!("{what}, which only a pair has"));
            }
            Piece::Sequence { .. } => output += 1,
            Piece::SpecialToken { id, .. } if specials => {
                if !template.get_special_tokens().0.contains_key(id) {
                    return Err(format!(
                        "the post-processor TemplateProcessing's `{name}` template uses the special token {}, \
                         which its special_tokens does not define",
                        shown_token(id)
                    ));
                }
                output += 1;
            }
            Piece::SpecialToken { .. } => {}
        }
    }
    Ok(output)
}

/// Strip removes up to `start` leading and `stop` trailing `content`
/// characters from each token. Its trailing loop steps back past the start
/// of a token made only of `content` shorter than `stop` (the empty token
/// included), and its final slice is reversed when such a token is shorter
/// than `start + stop`: both panic. So with `stop` 0 it never panics; with
/// more, the tokens it gets must hold no such token. That is known only
/// when it gets the tokens as they are (`raw`: first in line): then every
/// token and added token is looked at; after another decoder, whose output
/// cannot be known here (Fuse makes one empty token of an empty decode), it
/// is refused.
fn decoder(decoder: &DecoderWrapper, raw: bool, tokenizer: &Tokenizer) -> Result<(), String> {
    match decoder {
        DecoderWrapper::Strip(strip) if strip.stop > 0 => {
            let crashes = |token: &str| {
                token.chars().all(|c| c == strip.content)
                    && token.chars().count() < strip.start.saturating_add(strip.stop)
            };
            let what = || {
                format!(
                    "the decoder Strip (content {}, start {}, stop {})",
                    shown_token(&strip.content.to_string()),
                    strip.start,
                    strip.stop
                )
            };
            if !raw {
                return Err(format!(
                    "{} comes after another decoder, and with stop above 0 it crashes on an empty token",
                    what()
                ));
            }
            let added = tokenizer.get_added_vocabulary();
            let mut tokens = tokenizer.get_model().get_vocab().into_keys().chain(
                added
                    .get_added_tokens_decoder()
                    .keys()
                    .filter_map(|id| added.simple_id_to_token(*id)),
            );
            match tokens.find(|t| crashes(t)) {
                Some(token) => Err(format!(
                    "{} crashes on the token {}, made only of that character and too short for it",
                    what(),
                    shown_token(&token)
                )),
                None => Ok(()),
            }
        }
        DecoderWrapper::Sequence(all) => all
            .get_decoders()
            .iter()
            .enumerate()
            .try_for_each(|(i, d)| self::decoder(d, raw && i == 0, tokenizer)),
        _ => Ok(()),
    }
}

/// An added token with `normalized: true` is searched for in normalized text
/// by its normalized form: when the normalizer turns it into nothing, that
/// empty pattern matches at every byte, inside characters too, and the crate
/// panics slicing there (`AddedVocabulary bad split`).
fn added_tokens(tokenizer: &Tokenizer) -> Result<(), String> {
    let added = tokenizer.get_added_vocabulary();
    for (id, token) in added.get_added_tokens_decoder() {
        if token.normalized && added.simple_id_to_token(*id).is_some_and(|form| form.is_empty()) {
            return Err(format!(
                "the added token {} has normalized: true, and the normalizer turns it into an empty string",
                shown_token(&token.content)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde_json::{json, Value};

    use super::super::bpe_load::BpeParts;
    use super::super::LoadedTokenizer;
    use crate::core::error::ErrorCode;

    /// A WordLevel tokenizer.json around `parts` (which replace its keys).
    fn word_level(parts: Value) -> Value {
        let mut file = json!({
            "version": "1.0",
            "added_tokens": [],
            "normalizer": null,
            "pre_tokenizer": {"type": "WhitespaceSplit"},
            "post_processor": null,
            "decoder": null,
            "model": {"type": "WordLevel", "unk_token": "[UNK]",
                      "vocab": {"[UNK]": 0, "a": 1, "é": 2, " ": 3, "  ": 4, "_": 5, "[CLS]": 6, "[SEP]": 7, "b": 8}}
        });
        for (key, value) in parts.as_object().unwrap() {
            file[key] = value.clone();
        }
        file
    }

    /// `file` must be refused at load with INVALID_TOKENIZER, the message
    /// containing `says`. If it loads, it is used the ways that crashed the
    /// crate (without the checks, that panics here, in the crate).
    fn refused(file: &Value, says: &str) {
        let bytes = file.to_string();
        match LoadedTokenizer::from_files("o/r", bytes.as_bytes(), None) {
            Err(e) => {
                assert_eq!(e.code, ErrorCode::InvalidTokenizer, "{}", e.message);
                assert!(e.message.contains(says), "{}", e.message);
                assert!(e.message.contains("o/r"), "{}", e.message);
            }
            Ok(t) => {
                let _ = t.encode("a é a", true);
                let _ = t.tokenize("a é", Some("a"), true);
                let ids: Vec<u32> = (0..16).collect();
                for id in &ids {
                    let _ = t.decode(&[*id, *id], false);
                }
                let _ = t.decode(&[], false);
                panic!("loaded: {file}");
            }
        }
    }

    fn without_version(mut file: Value) -> Value {
        file.as_object_mut().unwrap().remove("version");
        file
    }

    #[test]
    fn a_bpe_merge_longer_than_any_token_is_refused() {
        let file = json!({"version": "1.0", "model": {"type": "BPE", "unk_token": null,
                          "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}});
        refused(&file, "longer than any");
        refused(&without_version(file), "longer than any");
    }

    #[test]
    fn a_bpe_merge_shorter_than_the_prefix_is_refused_on_every_path() {
        let file = json!({"model": {"type": "BPE", "unk_token": "<unk>", "continuing_subword_prefix": "##",
                          "vocab": {"<unk>": 0, "a": 1, "b": 2, "ab": 3}, "merges": [["a", "b"]]}});
        refused(&file, "continuing_subword_prefix");
    }

    #[test]
    fn a_bpe_prefix_that_cuts_a_character_is_refused() {
        let file = json!({"version": "1.0", "model": {"type": "BPE", "unk_token": "<unk>", "continuing_subword_prefix": "#",
                          "vocab": {"<unk>": 0, "a": 1, "é": 2, "aé": 3}, "merges": [["a", "é"]]}});
        refused(&file, "inside a character");
        refused(&without_version(file), "inside a character");
    }

    fn precompiled(charsmap: &[u8]) -> Value {
        json!({"type": "Precompiled", "precompiled_charsmap": base64::encode(charsmap)})
    }

    #[test]
    fn malformed_precompiled_charsmaps_are_refused() {
        for charsmap in [
            &[0xFF, 0xFF, 0xFF, 0xFF][..],
            &[0, 0, 0, 0],
            &[8, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 1, 1, 1, 1],
        ] {
            let file = word_level(json!({"normalizer": precompiled(charsmap)}));
            refused(&file, "precompiled_charsmap");
            refused(&without_version(file), "precompiled_charsmap");
            let nested = word_level(json!({"normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFC"}, precompiled(charsmap)]}}));
            refused(&nested, "precompiled_charsmap");
        }
    }

    #[test]
    fn a_fixed_length_of_zero_is_refused() {
        let fixed = json!({"type": "FixedLength", "length": 0});
        refused(&word_level(json!({"pre_tokenizer": fixed})), "FixedLength");
        let nested = json!({"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, fixed]});
        refused(
            &without_version(word_level(json!({"pre_tokenizer": nested}))),
            "FixedLength",
        );
    }

    fn template(single: Value, pair: Value) -> Value {
        json!({"type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": {
            "[CLS]": {"id": "[CLS]", "ids": [6], "tokens": ["[CLS]"]}}})
    }

    #[test]
    fn templates_that_crash_the_crate_are_refused() {
        let a = json!({"Sequence": {"id": "A", "type_id": 0}});
        let b = json!({"Sequence": {"id": "B", "type_id": 1}});
        let cls = json!({"SpecialToken": {"id": "[CLS]", "type_id": 0}});
        let sep = json!({"SpecialToken": {"id": "[SEP]", "type_id": 0}});
        let missing_in_single = template(json!([cls, a, sep]), json!([cls, a, b]));
        let missing_in_pair = template(json!([cls, a]), json!([cls, a, sep, b]));
        let b_in_single = template(json!([cls, b]), json!([cls, a, b]));
        for processor in [&missing_in_single, &missing_in_pair] {
            refused(&word_level(json!({"post_processor": processor})), "[SEP]");
        }
        refused(&word_level(json!({"post_processor": b_in_single})), "sequence B");
        let nested = json!({"type": "Sequence", "processors": [
            {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false},
            missing_in_single]});
        refused(&without_version(word_level(json!({"post_processor": nested}))), "[SEP]");
        // A template after one that leaves three parts.
        let twice = json!({"type": "Sequence", "processors": [template(json!([cls, a]), json!([cls, a, b])),
                                                                template(json!([a]), json!([a, b]))]});
        refused(&word_level(json!({"post_processor": twice})), "parts");
    }

    #[test]
    fn strip_decoders_that_crash_the_crate_are_refused() {
        let spaces = json!({"type": "Strip", "content": " ", "start": 0, "stop": 3});
        refused(&word_level(json!({"decoder": spaces})), "Strip");
        let underscore = json!({"type": "Strip", "content": "_", "start": 1, "stop": 1});
        refused(&word_level(json!({"decoder": underscore})), "Strip");
        // After Fuse, an empty decode is one empty token.
        let after_fuse = json!({"type": "Sequence", "decoders": [{"type": "Fuse"},
            {"type": "Strip", "content": "x", "start": 0, "stop": 1}]});
        refused(&without_version(word_level(json!({"decoder": after_fuse}))), "Strip");
    }

    #[test]
    fn an_added_token_normalized_to_nothing_is_refused() {
        let file = word_level(json!({
            "normalizer": {"type": "Strip", "strip_left": true, "strip_right": true},
            "added_tokens": [{"id": 8, "content": "  ", "single_word": false, "lstrip": false, "rstrip": false,
                              "normalized": true, "special": false}]}));
        refused(&file, "empty");
        refused(&without_version(file), "empty");
    }

    #[test]
    fn a_syntax_error_inside_a_part_is_an_error_not_a_crash() {
        // The crate's loader `expect`s its decoder to be readable JSON.
        let bad =
            r#"{"decoder": {"type": "Fuse",}, "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}"#;
        let e = LoadedTokenizer::from_files("o/r", bad.as_bytes(), None).err().unwrap();
        assert_eq!(e.code, ErrorCode::InvalidTokenizer);
        assert!(e.message.contains("trailing comma"), "{}", e.message);
    }

    /// A charsmap mapping "a" to "b": a darts-clone double array of two
    /// 256-unit blocks. The root (unit 0) has offset 256; byte 0x61 leads to
    /// unit 256 ^ 0x61 = 353, labelled 0x61, with a leaf at 353 ^ 352 = 1,
    /// whose value 0 is where "b\0" starts.
    fn a_to_b() -> Vec<u8> {
        let mut units = vec![0u32; 512];
        units[0] = 256 << 10;
        units[353] = (352 << 10) | (1 << 8) | 0x61;
        units[1] = 0x8000_0000;
        let mut bytes = ((units.len() * 4) as u32).to_le_bytes().to_vec();
        bytes.extend(units.iter().flat_map(|u| u.to_le_bytes()));
        bytes.extend(b"b\0");
        bytes
    }

    fn loads(file: &Value) -> LoadedTokenizer {
        let bytes = file.to_string();
        let t = LoadedTokenizer::from_files("o/r", bytes.as_bytes(), None).unwrap();
        let ids: Vec<u32> = (0..16).collect();
        t.encode("a é  _ 日本 a\u{300}", true).unwrap();
        t.tokenize("a é", Some("a _"), true).unwrap();
        t.decode(&ids, false).unwrap();
        t.decode(&[], false).unwrap();
        t
    }

    #[test]
    fn sound_charsmaps_load_and_normalize() {
        let file = word_level(json!({"normalizer": precompiled(&a_to_b())}));
        let t = loads(&file);
        assert_eq!(t.encode("a", false).unwrap(), vec![8]);
        let t = loads(&without_version(file));
        assert_eq!(t.encode("a", false).unwrap(), vec![8]);
        // The same array one unit short: the root's block leaves it.
        let mut short = a_to_b();
        short[..4].copy_from_slice(&(511u32 * 4).to_le_bytes());
        refused(&word_level(json!({"normalizer": precompiled(&short)})), "past the trie");
        // A leaf pointing into the middle of a character, or past the strings.
        for (value, says) in [(0x8000_0001u32, "outside"), (0x8000_0004, "outside")] {
            let mut bad = a_to_b();
            bad[8..12].copy_from_slice(&value.to_le_bytes());
            let mut with_e = bad.clone();
            with_e.truncate(with_e.len() - 2);
            with_e.extend("é\0".as_bytes());
            refused(&word_level(json!({"normalizer": precompiled(&with_e)})), says);
        }
        // What the crate cannot read at all (it `expect`s to).
        refused(
            &word_level(json!({"normalizer": {"type": "Precompiled"}})),
            "precompiled_charsmap",
        );
        refused(
            &word_level(json!({"normalizer": {"type": "Precompiled", "precompiled_charsmap": "%%"}})),
            "base64",
        );
        let mut not_utf8 = a_to_b();
        not_utf8.push(0xFF);
        refused(&word_level(json!({"normalizer": precompiled(&not_utf8)})), "UTF-8");
    }

    /// SentencePiece's nmt_nfkc charsmap (what T5, ALBERT, XLM-R... carry),
    /// from the spm_precompiled sources cargo fetched; skipped without them.
    #[test]
    fn a_real_charsmap_passes() {
        let home = std::env::var("CARGO_HOME")
            .map(std::path::PathBuf::from)
            .or_else(|_| std::env::var("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
        let found = home.ok().and_then(|home| {
            std::fs::read_dir(home.join("registry/src"))
                .ok()?
                .find_map(|index| std::fs::read(index.ok()?.path().join("spm_precompiled-0.1.4/test.json")).ok())
        });
        let Some(normalizer) = found else {
            eprintln!("spm_precompiled-0.1.4/test.json not found: skipped");
            return;
        };
        let normalizer: Value = serde_json::from_slice(&normalizer).unwrap();
        super::normalizer(&normalizer).unwrap();
        let t = loads(&word_level(json!({"normalizer": normalizer})));
        assert_eq!(
            t.encode("ａ", false).unwrap(),
            vec![1],
            "fullwidth a is NFKC-normalized"
        );
    }

    #[test]
    fn parts_that_only_look_risky_still_load() {
        let a = json!({"Sequence": {"id": "A", "type_id": 0}});
        let b = json!({"Sequence": {"id": "B", "type_id": 1}});
        let cls = json!({"SpecialToken": {"id": "[CLS]", "type_id": 0}});
        let llama_decoder = json!({"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]});
        let t = loads(&word_level(json!({
            // A pair template need not use both texts (the builder wants it,
            // but nothing crashes); a template later in a Sequence is fine
            // when it gets one text or a pair.
            "post_processor": {"type": "Sequence", "processors": [template(json!([a]), json!([a])),
                                                                   template(json!([cls, a]), json!([cls, a, b]))]},
            "decoder": llama_decoder,
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"},
                                                                    {"type": "FixedLength", "length": 1}]},
            "normalizer": {"type": "Strip", "strip_left": true, "strip_right": true},
            "added_tokens": [{"id": 9, "content": " x ", "single_word": false, "lstrip": false, "rstrip": false,
                              "normalized": true, "special": false}]})));
        assert_eq!(t.encode("a", true).unwrap(), vec![6, 1]);
        assert_eq!(t.tokenize("a", Some("é"), true).unwrap(), vec!["[CLS]", "a"]);
        // Strip with stop above 0, first in line, and no token it crashes on.
        let strip = json!({"type": "Strip", "content": "x", "start": 2, "stop": 2});
        let t = loads(&word_level(json!({"decoder": strip})));
        assert_eq!(t.decode(&[1, 2], false).unwrap(), "aé");
        // The token "_" is just long enough for one stripped at its end.
        let strip = json!({"type": "Strip", "content": "_", "start": 0, "stop": 1});
        let t = loads(&word_level(json!({"decoder": strip})));
        assert_eq!(t.decode(&[5, 1, 5], false).unwrap(), "a");
    }

    #[test]
    fn a_pre_parsed_form_of_a_file_refused_now_is_not_used() {
        // As an older hubguard, without the check, could have kept it.
        let json = word_level(json!({"pre_tokenizer": {"type": "FixedLength", "length": 0},
            "model": {"type": "BPE", "unk_token": null, "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"]]}}));
        let text = json.to_string();
        let pipeline: super::super::fast_load::Pipeline = serde_json::from_str(&text).unwrap();
        let parts = BpeParts::deserialize(&json["model"]).unwrap();
        let form = super::super::pre_parsed::encode(100, &pipeline, &parts).unwrap();
        assert!(super::super::pre_parsed::load(&form, 100).is_none());
        refused(&json, "FixedLength");
    }
}
