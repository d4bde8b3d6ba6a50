//! Random tokenizer.json parts for the fuzz test: every normalizer,
//! pre-tokenizer, post-processor and decoder type the `tokenizers` crate
//! reads, with parameters drawn from pools of edge cases (empty strings,
//! combining marks, regexes that match nothing or everything), nested in
//! Sequences. The shapes are the crate's serialized forms, so most parts
//! load and the parameters, not the syntax, are what gets tested.

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::{json, Value};

/// Strings the parameters take: empty, spaces, the markers real tokenizers
/// use, combining and wide characters, control characters.
pub const STRINGS: &[&str] = &[
    "", " ", "  ", "▁", "##", "Ġ", "Ċ", "</w>", "a", "é", "e\u{301}", "\u{301}", "日", "🤗", "\0", "\n", "\t", "xyz",
    "<s>", "[SEP]", "ß", "İ", "ﬁ", "\u{200d}", "\u{feff}", "<0x41>", "<unk>",
];

/// Regexes for Replace and Split: empty matches (anywhere, before each
/// character, at the ends), lookarounds, the real pre-tokenizer regexes,
/// and some that do not compile.
pub const REGEXES: &[&str] = &[
    "",
    "(?=.)",
    "(?<=.)",
    "\\b",
    "^",
    "$",
    "a*",
    "x?",
    "(a|)",
    " ",
    "\\s+",
    "\\s*",
    ".",
    "\\p{L}+",
    "\\p{Mn}",
    "[",
    "(?i)É",
    "(?=a)",
    "(?!a)",
    "\\d",
    "(.)\\1",
    " ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
];

pub const BEHAVIORS: &[&str] = &[
    "Removed",
    "Isolated",
    "MergedWithPrevious",
    "MergedWithNext",
    "Contiguous",
];

pub fn string(rng: &mut StdRng) -> String {
    let s = pick(rng, STRINGS);
    match rng.random_range(0..8) {
        0 => s.repeat(rng.random_range(2..5)),
        1 => format!("{s}{}", pick(rng, STRINGS)),
        _ => s.to_owned(),
    }
}

/// One character (the crate reads some parameters as a `char`).
pub fn char(rng: &mut StdRng) -> String {
    let s = pick(rng, STRINGS);
    s.chars().next().unwrap_or('▁').to_string()
}

pub fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

fn pattern(rng: &mut StdRng) -> Value {
    if rng.random_bool(0.5) {
        json!({"String": string(rng)})
    } else {
        json!({"Regex": pick(rng, REGEXES)})
    }
}

fn flag(rng: &mut StdRng) -> bool {
    rng.random_bool(0.5)
}

fn prepend_scheme(rng: &mut StdRng) -> &'static str {
    pick(rng, &["always", "never", "first"])
}

/// A small unsigned number, sometimes 0, sometimes huge.
pub fn count(rng: &mut StdRng) -> u64 {
    match rng.random_range(0..10) {
        0 => 0,
        1 => u32::MAX as u64,
        2 => u64::MAX >> 1,
        _ => rng.random_range(1..6),
    }
}

/// SentencePiece's nmt_nfkc Precompiled normalizer (what T5, ALBERT and
/// XLM-R carry), from the spm_precompiled sources cargo fetched; NFKC
/// where they are not there.
fn precompiled() -> Value {
    static FOUND: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let home = std::env::var("CARGO_HOME")
                .map(std::path::PathBuf::from)
                .or_else(|_| std::env::var("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
            home.ok()
                .and_then(|home| {
                    std::fs::read_dir(home.join("registry/src")).ok()?.find_map(|index| {
                        std::fs::read(index.ok()?.path().join("spm_precompiled-0.1.4/test.json")).ok()
                    })
                })
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or_else(|| json!({"type": "NFKC"}))
        })
        .clone()
}

/// A normalizer; Sequences nest while `depth` lasts.
pub fn normalizer(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 0 { 16 } else { 15 }) {
        14 => precompiled(),
        0 => {
            let strip_accents = [Value::Null, json!(true), json!(false)][rng.random_range(0..3)].clone();
            json!({"type": "BertNormalizer", "clean_text": flag(rng), "handle_chinese_chars": flag(rng),
                   "strip_accents": strip_accents, "lowercase": flag(rng)})
        }
        1 => json!({"type": "Strip", "strip_left": flag(rng), "strip_right": flag(rng)}),
        2 => json!({"type": "StripAccents"}),
        3 => json!({"type": "NFC"}),
        4 => json!({"type": "NFD"}),
        5 => json!({"type": "NFKC"}),
        6 => json!({"type": "NFKD"}),
        7 => json!({"type": "Lowercase"}),
        8 => json!({"type": "Nmt"}),
        9 | 10 => json!({"type": "Replace", "pattern": pattern(rng), "content": string(rng)}),
        11 => json!({"type": "Prepend", "prepend": string(rng)}),
        12 => json!({"type": "ByteLevel"}),
        13 => json!({"type": "Sequence", "normalizers": []}),
        _ => {
            let n = rng.random_range(1..5);
            json!({"type": "Sequence", "normalizers": (0..n).map(|_| normalizer(rng, depth - 1)).collect::<Vec<_>>()})
        }
    }
}

pub fn pre_tokenizer(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 0 { 13 } else { 12 }) {
        0 => json!({"type": "BertPreTokenizer"}),
        1 => json!({"type": "ByteLevel", "add_prefix_space": flag(rng), "trim_offsets": flag(rng),
                    "use_regex": flag(rng)}),
        2 => json!({"type": "CharDelimiterSplit", "delimiter": char(rng)}),
        3 => json!({"type": "Metaspace", "replacement": char(rng), "prepend_scheme": prepend_scheme(rng),
                    "split": flag(rng)}),
        4 => json!({"type": "Whitespace"}),
        5 | 6 => json!({"type": "Split", "pattern": pattern(rng), "behavior": pick(rng, BEHAVIORS),
                        "invert": flag(rng)}),
        7 => json!({"type": "Punctuation", "behavior": pick(rng, BEHAVIORS)}),
        8 => json!({"type": "WhitespaceSplit"}),
        9 => json!({"type": "Digits", "individual_digits": flag(rng)}),
        10 => json!({"type": "UnicodeScripts"}),
        11 => json!({"type": "FixedLength", "length": count(rng)}),
        _ => {
            let n = rng.random_range(0..5);
            json!({"type": "Sequence",
                   "pretokenizers": (0..n).map(|_| pre_tokenizer(rng, depth - 1)).collect::<Vec<_>>()})
        }
    }
}

pub fn decoder(rng: &mut StdRng, depth: u32) -> Value {
    match rng.random_range(0..if depth > 0 { 11 } else { 10 }) {
        0 => json!({"type": "BPEDecoder", "suffix": string(rng)}),
        1 => json!({"type": "ByteLevel", "add_prefix_space": flag(rng), "trim_offsets": flag(rng),
                    "use_regex": flag(rng)}),
        2 => json!({"type": "WordPiece", "prefix": string(rng), "cleanup": flag(rng)}),
        3 => json!({"type": "Metaspace", "replacement": char(rng), "prepend_scheme": prepend_scheme(rng),
                    "split": flag(rng)}),
        4 => json!({"type": "CTC", "pad_token": string(rng), "word_delimiter_token": string(rng),
                    "cleanup": flag(rng)}),
        5 => json!({"type": "Replace", "pattern": pattern(rng), "content": string(rng)}),
        6 => json!({"type": "Fuse"}),
        7 => json!({"type": "Strip", "content": char(rng), "start": count(rng), "stop": count(rng)}),
        8 => json!({"type": "ByteFallback"}),
        9 => json!({"type": "Strip", "content": char(rng), "start": rng.random_range(0..3), "stop": 0}),
        _ => {
            let n = rng.random_range(0..5);
            json!({"type": "Sequence", "decoders": (0..n).map(|_| decoder(rng, depth - 1)).collect::<Vec<_>>()})
        }
    }
}

/// A post-processor naming `tokens` (special tokens of the file, with ids,
/// and some that are not in it).
pub fn post_processor(rng: &mut StdRng, depth: u32, tokens: &[(String, u32)]) -> Value {
    let token = |rng: &mut StdRng| -> (String, u32) {
        match rng.random_range(0..6) {
            0 => (string(rng), [0, u32::MAX / 2, u32::MAX][rng.random_range(0..3)]),
            _ if !tokens.is_empty() => tokens[rng.random_range(0..tokens.len())].clone(),
            _ => ("[X]".into(), rng.random_range(0..10)),
        }
    };
    match rng.random_range(0..if depth > 0 { 6 } else { 5 }) {
        0 => {
            let (sep, cls) = (token(rng), token(rng));
            json!({"type": "RobertaProcessing", "sep": [sep.0, sep.1], "cls": [cls.0, cls.1],
                   "trim_offsets": flag(rng), "add_prefix_space": flag(rng)})
        }
        1 => {
            let (sep, cls) = (token(rng), token(rng));
            json!({"type": "BertProcessing", "sep": [sep.0, sep.1], "cls": [cls.0, cls.1]})
        }
        2 => json!({"type": "ByteLevel", "add_prefix_space": flag(rng), "trim_offsets": flag(rng),
                    "use_regex": flag(rng)}),
        3 | 4 => {
            let specials: Vec<(String, u32)> = (0..rng.random_range(0..4)).map(|_| token(rng)).collect();
            let template = |rng: &mut StdRng, pair: bool| -> Vec<Value> {
                let n = rng.random_range(0..6);
                (0..n)
                    .map(|_| match rng.random_range(0..4) {
                        0 if !specials.is_empty() => {
                            let (id, _) = &specials[rng.random_range(0..specials.len())];
                            json!({"SpecialToken": {"id": id, "type_id": rng.random_range(0..3)}})
                        }
                        1 if pair || rng.random_range(0..10) == 0 => {
                            json!({"Sequence": {"id": "B", "type_id": rng.random_range(0..3)}})
                        }
                        _ => json!({"Sequence": {"id": "A", "type_id": rng.random_range(0..3)}}),
                    })
                    .collect()
            };
            let single = template(rng, false);
            let pair = template(rng, true);
            let mut table = serde_json::Map::new();
            for (name, id) in &specials {
                // Several ids for one token, or none, sometimes.
                let ids: Vec<u32> = (0..rng.random_range(0..3)).map(|i| id.saturating_add(i)).collect();
                let names: Vec<&str> = ids.iter().map(|_| name.as_str()).collect();
                table.insert(name.clone(), json!({"id": name, "ids": ids, "tokens": names}));
            }
            json!({"type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": table})
        }
        _ => {
            let n = rng.random_range(0..4);
            json!({"type": "Sequence",
                   "processors": (0..n).map(|_| post_processor(rng, depth - 1, tokens)).collect::<Vec<_>>()})
        }
    }
}
