//! Native anchor for tests/bench/encode.mjs: the crate hubguard ships,
//! compiled for the host, encoding the same lines the same way hubguard
//! does (`encode_fast`, no padding or truncation, one call per line).
//!
//! Reads {"tokenizer": path, "lines": [...], "rounds": n} as JSON on stdin
//! and prints {"ms": best, "tokens": n, "ids_digest": ...}, as
//! encode_native.py does, so both anchors are checked against hubguard's ids.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::time::Instant;
use tokenizers::Tokenizer;

#[derive(Deserialize)]
struct Job {
    tokenizer: String,
    lines: Vec<String>,
    rounds: usize,
}

fn main() {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).expect("read the job from stdin");
    let job: Job = serde_json::from_str(&input).expect("job JSON");
    let mut tokenizer = Tokenizer::from_file(&job.tokenizer).expect("load tokenizer.json");
    // As hubguard and transformers: the file's own padding and truncation
    // (MiniLM pads to 128) do not apply to plain encoding.
    tokenizer.with_padding(None);
    tokenizer.with_truncation(None).expect("no truncation");

    let mut best = f64::INFINITY;
    let mut ids: Vec<Vec<u32>> = Vec::new();
    for _ in 0..job.rounds {
        let start = Instant::now();
        ids = job
            .lines
            .iter()
            .map(|line| tokenizer.encode_fast(line.as_str(), true).expect("encode").get_ids().to_vec())
            .collect();
        best = best.min(start.elapsed().as_secs_f64() * 1000.0);
    }
    let json = serde_json::to_string(&ids).expect("ids JSON");
    let digest: String = Sha256::digest(json.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let tokens: usize = ids.iter().map(Vec::len).sum();
    println!("{}", serde_json::json!({ "ms": best, "tokens": tokens, "ids_digest": digest }));
}
