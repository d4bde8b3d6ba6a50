//! One fuzz case through hubguard's real load path and API, with the
//! crate's panics caught (natively they unwind; in wasm they abort).
//!
//! The case's tokenizer.json goes through `TokenizerJson::parse` (the fast
//! loader, or the crate's loader with `validate`), asking for the
//! pre-parsed form, which is loaded too and must encode alike; then
//! `LoadedTokenizer` with its tokenizer_config.json, and every call that
//! reaches the crate: encode (single, batch, pairs, with and without
//! special tokens), tokenize, decode of what was encoded and of arbitrary
//! ids (skipping special tokens or not, with clean-up), batch_decode, and
//! the call API with padding and truncation.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;

use super::super::{CallOptions, LoadedTokenizer, Padding, TokenizerJson, Truncation};
use super::mutate::{special_tokens, Case};
use super::parts::{pick, STRINGS};
use crate::core::error::ErrorCode;

/// What a case came to.
pub enum Outcome {
    /// Refused at load, with this code.
    Refused(ErrorCode),
    /// Loaded and used; `errors` calls returned a typed error.
    Used { errors: usize },
    /// The crate panicked: where, and its message.
    Panicked(String),
}

thread_local! {
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
    static CAPTURING: RefCell<bool> = const { RefCell::new(false) };
}

/// A panic hook that, on a thread running a case, records where the panic
/// happened instead of printing it (other threads print as before).
fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CAPTURING.with(|c| *c.borrow()) {
                let location = info
                    .location()
                    .map(|l| format!("{}:{}", l.file().rsplit("/src/").next().unwrap_or(l.file()), l.line()))
                    .unwrap_or_default();
                let message = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                // Numbers (lengths, indexes) vary from case to case: the
                // site is the place and the message without them.
                let message: String = message
                    .chars()
                    .take(160)
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .collect();
                CAUGHT.with(|c| *c.borrow_mut() = Some(format!("{location}: {message}")));
            } else {
                previous(info);
            }
        }));
    });
}

/// Load `case` and use it on `texts`.
pub fn run(case: &Case, texts: &[String], rng: &mut StdRng) -> Outcome {
    install_hook();
    // Without `version`, the crate's own loader (and `validate::file`) runs.
    let bytes = match rng.random_bool(0.25) {
        true => {
            let mut file = case.file.clone();
            file.as_object_mut().map(|f| f.remove("version"));
            serde_json::to_vec(&file).unwrap()
        }
        false => serde_json::to_vec(&case.file).unwrap(),
    };
    let config = serde_json::to_vec(&case.config).unwrap();
    CAPTURING.with(|c| *c.borrow_mut() = true);
    let result = panic::catch_unwind(AssertUnwindSafe(|| load_and_use(case, &bytes, &config, texts, rng)));
    CAPTURING.with(|c| *c.borrow_mut() = false);
    match result {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Panicked(CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or_default()),
    }
}

fn load_and_use(case: &Case, bytes: &[u8], config: &[u8], texts: &[String], rng: &mut StdRng) -> Outcome {
    let (parsed, form) = match TokenizerJson::parse("fuzz/case", bytes, true) {
        Ok(parsed) => parsed,
        Err(e) => return Outcome::Refused(e.code),
    };
    let mut t = match LoadedTokenizer::from_parsed("fuzz/case", parsed, Some(config)) {
        Ok(t) => t,
        Err(e) => return Outcome::Refused(e.code),
    };
    let mut errors = 0;
    let mut count = |ok: bool| errors += usize::from(!ok);
    let texts = case_texts(case, texts, rng);
    let size = t.vocab().last().map_or(1, |(_, id)| id.saturating_add(1));
    for (i, text) in texts.iter().enumerate() {
        let specials = rng.random_bool(0.5);
        match t.encode(text, specials) {
            Ok(ids) => {
                count(t.decode(&ids, false).is_ok());
                count(t.decode(&ids, true).is_ok());
                count(t.decode_with(&ids, rng.random_bool(0.5), Some(true)).is_ok());
            }
            Err(_) => count(false),
        }
        let pair = &texts[(i + 1) % texts.len()];
        count(t.tokenize(text, Some(pair), specials).is_ok());
        let ids = arbitrary_ids(rng, size, &t);
        count(t.decode(&ids, rng.random_bool(0.5)).is_ok());
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    count(t.encode_many(&refs, true).is_ok());
    let rows: Vec<Vec<u32>> = (0..3).map(|_| arbitrary_ids(rng, size, &t)).collect();
    let rows: Vec<&[u32]> = rows.iter().map(Vec::as_slice).collect();
    count(t.batch_decode(&rows, rng.random_bool(0.5), None).is_ok());
    let options = call_options(rng);
    let pairs: Vec<&str> = refs.iter().rev().copied().collect();
    let with_pairs = rng.random_bool(0.5).then_some(pairs.as_slice());
    count(t.call(&refs, with_pairs, &options).is_ok());
    // (With dropout, encoding is random: two loads cannot be compared.)
    let random = case.file["model"]["dropout"].as_f64().is_some_and(|p| p > 0.0);
    if let Some(form) = form.filter(|_| !random) {
        let again =
            TokenizerJson::from_pre_parsed(&form, bytes.len() as u64).expect("a pre-parsed form just made loads");
        let again = LoadedTokenizer::from_parsed("fuzz/case", again, Some(config)).unwrap();
        for text in &texts {
            let (a, b) = (t.encode(text, true).ok(), again.encode(text, true).ok());
            assert!(
                a == b,
                "the pre-parsed form encodes {text:?} differently: {a:?} vs {b:?}"
            );
        }
    }
    Outcome::Used { errors }
}

/// A few corpus lines and one text made of the case's own tokens and the
/// parameter pools (what its normalizers and added tokens react to).
fn case_texts(case: &Case, corpus: &[String], rng: &mut StdRng) -> Vec<String> {
    let mut texts: Vec<String> = corpus.choose_multiple(rng, 4).cloned().collect();
    let specials = special_tokens(&case.file);
    let mut made = String::new();
    for _ in 0..rng.random_range(1..12) {
        match specials.choose(rng) {
            Some((token, _)) if rng.random_bool(0.3) => made.push_str(token),
            _ => made.push_str(pick(rng, STRINGS)),
        }
        if rng.random_bool(0.3) {
            made.push(' ');
        }
    }
    texts.push(made);
    texts
}

/// Ids to decode: encoded ones and any others, special ones, past the end.
fn arbitrary_ids(rng: &mut StdRng, size: u32, t: &LoadedTokenizer) -> Vec<u32> {
    let specials: Vec<u32> = t.special_added_tokens().iter().map(|(id, _)| *id).collect();
    (0..rng.random_range(0..10))
        .map(|_| match rng.random_range(0..8) {
            0 => u32::MAX,
            1 => size,
            2 => specials.choose(rng).copied().unwrap_or(0),
            _ => rng.random_range(0..size.max(1)),
        })
        .collect()
}

fn call_options(rng: &mut StdRng) -> CallOptions {
    CallOptions {
        add_special_tokens: rng.random_bool(0.7),
        padding: *[Padding::None, Padding::Longest, Padding::MaxLength]
            .choose(rng)
            .unwrap(),
        truncation: *[
            Truncation::Unset,
            Truncation::Off,
            Truncation::LongestFirst,
            Truncation::OnlyFirst,
            Truncation::OnlySecond,
        ]
        .choose(rng)
        .unwrap(),
        max_length: [None, Some(0), Some(1), Some(2), Some(5), Some(64)]
            .choose(rng)
            .copied()
            .unwrap(),
        pad_to_multiple_of: [None, Some(1), Some(3), Some(8)].choose(rng).copied().unwrap(),
        return_token_type_ids: Some(rng.random_bool(0.5)),
        return_attention_mask: Some(rng.random_bool(0.5)),
        padding_side: None,
    }
}
