//! Mutations of a real tokenizer.json (and its tokenizer_config.json) for
//! the fuzz test: a part replaced by a random one (`parts.rs`) or wrapped
//! in a Sequence with it, the model's options and vocabulary bent (missing
//! unk tokens, duplicate and huge ids, merges out of order, odd prefixes),
//! added tokens that overlap, are empty or collide, and config values at
//! their edges. Each mutation names itself, so a finding says what made it.

use rand::rngs::StdRng;
use rand::seq::{IndexedMutRandom, IndexedRandom};
use rand::Rng;
use serde_json::{json, Value};

use super::parts::{self, count, pick, string};

/// A tokenizer.json and tokenizer_config.json to load, and what was done to them.
pub struct Case {
    pub file: Value,
    pub config: Value,
    pub steps: Vec<String>,
}

/// One to three mutations of `file` and `config`.
pub fn mutate(rng: &mut StdRng, file: &Value, config: &Value) -> Case {
    let mut case = Case {
        file: file.clone(),
        config: config.clone(),
        steps: Vec::new(),
    };
    for _ in 0..rng.random_range(1..4) {
        let step = match rng.random_range(0..16) {
            0..=2 => part(rng, &mut case.file, "normalizer"),
            3..=4 => part(rng, &mut case.file, "pre_tokenizer"),
            5..=6 => part(rng, &mut case.file, "post_processor"),
            7..=8 => part(rng, &mut case.file, "decoder"),
            9..=11 => model(rng, &mut case.file),
            12..=14 => added_tokens(rng, &mut case.file),
            _ => self::config(rng, &mut case.config),
        };
        case.steps.push(step);
    }
    case
}

/// Replace `key`'s part, wrap it in a Sequence with a random one, or drop it.
fn part(rng: &mut StdRng, file: &mut Value, key: &str) -> String {
    let specials = special_tokens(file);
    let random = |rng: &mut StdRng| match key {
        "normalizer" => parts::normalizer(rng, 2),
        "pre_tokenizer" => parts::pre_tokenizer(rng, 2),
        "decoder" => parts::decoder(rng, 2),
        _ => parts::post_processor(rng, 2, &specials),
    };
    let (list, kind) = match key {
        "normalizer" => ("normalizers", "normalizer"),
        "pre_tokenizer" => ("pretokenizers", "pre_tokenizer"),
        "decoder" => ("decoders", "decoder"),
        _ => ("processors", "post_processor"),
    };
    let old = file[key].take();
    file[key] = match rng.random_range(0..5) {
        0 => Value::Null,
        1 | 2 => random(rng),
        _ => {
            let mut all = vec![random(rng)];
            if !old.is_null() {
                all.insert(rng.random_range(0..2), old);
            }
            if rng.random_bool(0.3) {
                all.push(random(rng));
            }
            json!({"type": "Sequence", list: all})
        }
    };
    format!("{kind}={}", file[key])
}

/// The added tokens and the ids in the vocabulary the processors may name.
pub fn special_tokens(file: &Value) -> Vec<(String, u32)> {
    let added = file["added_tokens"].as_array().into_iter().flatten();
    added
        .filter_map(|t| Some((t["content"].as_str()?.to_owned(), t["id"].as_u64()? as u32)))
        .take(64)
        .collect()
}

fn vocab_tokens(model: &Value) -> Vec<String> {
    match &model["vocab"] {
        Value::Object(map) => map.keys().cloned().collect(),
        Value::Array(list) => list.iter().filter_map(|e| e[0].as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

/// A token of the vocabulary, or a string from the pools.
fn some_token(rng: &mut StdRng, tokens: &[String]) -> String {
    match tokens.choose(rng) {
        Some(t) if rng.random_bool(0.7) => t.clone(),
        _ => string(rng),
    }
}

/// An id: one of the vocabulary's, just past it, or far past it.
fn some_id(rng: &mut StdRng, size: usize) -> u64 {
    match rng.random_range(0..6) {
        0 => size as u64,
        1 => u32::MAX as u64,
        2 => (size + rng.random_range(1..1000)) as u64,
        _ => rng.random_range(0..size.max(1)) as u64,
    }
}

fn model(rng: &mut StdRng, file: &mut Value) -> String {
    let model = &mut file["model"];
    let kind = model["type"].as_str().unwrap_or_default().to_owned();
    let tokens = vocab_tokens(model);
    let size = tokens.len();
    let step = match (kind.as_str(), rng.random_range(0..10)) {
        (_, 0) => {
            // Remove a few tokens (merges and processors may still name them).
            let n = rng.random_range(1..20);
            for _ in 0..n {
                remove_token(model, &some_token(rng, &tokens));
            }
            format!("removed {n} tokens")
        }
        (_, 1) => {
            let token = some_token(rng, &tokens);
            let id = some_id(rng, size);
            set_token(model, &token, id);
            format!("vocab[{token:?}]={id}")
        }
        ("BPE", 2) => {
            let merges = model["merges"].as_array_mut().unwrap();
            match rng.random_range(0..4) {
                0 => merges.reverse(),
                1 => merges.truncate(merges.len() / 2),
                2 => {
                    let (a, b) = (some_token(rng, &tokens), some_token(rng, &tokens));
                    let at = rng.random_range(0..=merges.len());
                    merges.insert(at, json!([a, b]));
                }
                _ => merges.clear(),
            }
            "merges changed".into()
        }
        ("BPE", 3) => set(model, "byte_fallback", json!(rng.random_bool(0.5))),
        ("BPE", 4) => set(model, "fuse_unk", json!(rng.random_bool(0.5))),
        ("BPE", 5) => set(model, "ignore_merges", json!(rng.random_bool(0.5))),
        ("BPE", 6) => {
            let p = [json!(null), json!(0.0), json!(0.5), json!(1.0), json!(1.5), json!(-1)]
                .choose(rng)
                .cloned();
            set(model, "dropout", p.unwrap())
        }
        ("BPE", 7) => set(model, "continuing_subword_prefix", json!(string(rng))),
        ("BPE", 8) => set(model, "end_of_word_suffix", json!(string(rng))),
        ("WordPiece", 2..=4) => set(model, "max_input_chars_per_word", json!(count(rng))),
        ("WordPiece", 5..=6) => set(model, "continuing_subword_prefix", json!(string(rng))),
        ("BPE" | "WordPiece" | "WordLevel", _) => set(model, "unk_token", json!(some_token(rng, &tokens))),
        ("Unigram", 2..=4) => set(model, "unk_id", json!(some_id(rng, size))),
        ("Unigram", 5) => set(model, "byte_fallback", json!(rng.random_bool(0.5))),
        ("Unigram", 6) => {
            let list = model["vocab"].as_array_mut().unwrap();
            let score = [1e300, -1e300, 0.0, -0.0, 5.0][rng.random_range(0..5)];
            if let Some(entry) = list.choose_mut(rng) {
                entry[1] = json!(score);
            }
            format!("a score={score}")
        }
        ("Unigram", 7) => {
            let list = model["vocab"].as_array_mut().unwrap();
            let piece = some_token(rng, &tokens);
            list.push(json!([piece, -1.0]));
            format!("piece {piece:?} added")
        }
        ("Unigram", _) => {
            model["vocab"] = json!([]);
            "vocab emptied".into()
        }
        _ => "no model change".into(),
    };
    format!("model: {step}")
}

fn set(model: &mut Value, key: &str, value: Value) -> String {
    let shown = format!("{key}={value}");
    model[key] = value;
    shown
}

fn remove_token(model: &mut Value, token: &str) {
    match &mut model["vocab"] {
        Value::Object(map) => {
            map.shift_remove(token);
        }
        Value::Array(list) => list.retain(|e| e[0] != token),
        _ => {}
    }
}

fn set_token(model: &mut Value, token: &str, id: u64) {
    match &mut model["vocab"] {
        Value::Object(map) => {
            map.insert(token.to_owned(), json!(id));
        }
        Value::Array(list) => list.push(json!([token, -(id as f64)])),
        _ => {}
    }
}

/// Add an added token (empty, overlapping another, a vocabulary token, with
/// a colliding or huge id, any flags), change one, or remove them all.
fn added_tokens(rng: &mut StdRng, file: &mut Value) -> String {
    let tokens = vocab_tokens(&file["model"]);
    let size = tokens.len();
    let existing = special_tokens(file);
    let Some(list) = file["added_tokens"].as_array_mut() else {
        file["added_tokens"] = json!([]);
        return "added_tokens made a list".into();
    };
    match rng.random_range(0..8) {
        0 => {
            list.clear();
            "added tokens removed".into()
        }
        1 if !list.is_empty() => {
            let at = rng.random_range(0..list.len());
            let entry = list[at].as_object_mut().unwrap();
            for flag in ["single_word", "lstrip", "rstrip", "normalized", "special"] {
                if rng.random_bool(0.4) {
                    entry.insert(flag.into(), json!(rng.random_bool(0.5)));
                }
            }
            format!("added token flags: {}", Value::Object(entry.clone()))
        }
        _ => {
            let content = match rng.random_range(0..5) {
                0 => string(rng),
                1 if !existing.is_empty() => {
                    // A prefix, suffix or extension of another added token.
                    let other = &existing[rng.random_range(0..existing.len())].0;
                    let cut = other.char_indices().map(|(i, _)| i).nth(1).unwrap_or(0);
                    [
                        other[cut..].to_owned(),
                        other[..cut].to_owned(),
                        format!("{other}{}", string(rng)),
                    ][rng.random_range(0..3)]
                    .clone()
                }
                2 => format!("{}{}", string(rng), pick(rng, &["<x>", "ab", " a "])),
                _ => some_token(rng, &tokens),
            };
            let id = some_id(rng, size + list.len());
            let entry = json!({"id": id, "content": content, "single_word": rng.random_bool(0.3),
                "lstrip": rng.random_bool(0.3), "rstrip": rng.random_bool(0.3),
                "normalized": rng.random_bool(0.5), "special": rng.random_bool(0.5)});
            let shown = format!("added token {entry}");
            list.push(entry);
            shown
        }
    }
}

/// tokenizer_config.json values hubguard reads, at their edges.
fn config(rng: &mut StdRng, config: &mut Value) -> String {
    let Some(map) = config.as_object_mut() else {
        *config = json!({});
        return "config emptied".into();
    };
    let (key, value) = match rng.random_range(0..6) {
        0 => ("pad_token", json!(string(rng))),
        1 => (
            "model_max_length",
            [json!(0), json!(1), json!(3), json!(1e30), json!(-1)][rng.random_range(0..5)].clone(),
        ),
        2 => ("padding_side", json!(pick(rng, &["left", "right", "middle"]))),
        3 => ("truncation_side", json!(pick(rng, &["left", "right"]))),
        4 => ("clean_up_tokenization_spaces", json!(rng.random_bool(0.5))),
        _ => ("eos_token", json!({"content": string(rng), "special": true})),
    };
    map.insert(key.into(), value.clone());
    format!("config {key}={value}")
}
