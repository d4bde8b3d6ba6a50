//! How much of a repo's files and a caller's input one load or call takes.
//!
//! Wasm memory ends at 4 GiB, never shrinks, and a failed allocation ends
//! the instance; so every file read whole and every large input is
//! measured first, and refused with a typed error before anything of its
//! size is allocated. The values come from real repos and measurements:
//!
//! - files: tokenizer.json at most 64 MiB (Gemma-3's, the largest among
//!   common models, is 33 MB; Llama-3 9 MB, Qwen3 11 MB; a real file loads
//!   in about 4.3 bytes of wasm memory per byte, measured on Gemma-3: 142 MiB),
//!   tokenizer_config.json at most 16 MiB (Gemma-3's, with 6415 added
//!   tokens, is 1.2 MB; most are under 60 KB), chat_template.jinja at most
//!   1 MiB (real ones are under 20 KiB; the sandbox renders at most 256 KiB);
//! - JSON values: a value parsed into a tree takes about 48 bytes in wasm
//!   (so `[0,0,...]` turns 1 MiB into 24 MiB), and the crate's parts and
//!   loader build such trees; tokenizer.json may hold at most 8 million
//!   (Gemma-3's has about 2.2 million), tokenizer_config.json at most 1
//!   million (Gemma-3's has about 60 000);
//! - text: 16 MiB per encode (the crate holds about 85 bytes per byte);
//! - ids: 4 Mi per decode or batch_decode (decoding holds about 45 bytes
//!   per id, measured on Llama-2, Llama-3, MiniLM and Gemma-3 in wasm; a
//!   16 MiB text encodes to about 4 million tokens), and at most 64 MiB of
//!   token text (the tokens' own bytes, times what the decoder's Replace
//!   steps may add), as a vocabulary may hold very long tokens.
//!
//! A file over its cap is INVALID_TOKENIZER (the repo is at fault); an
//! input over its cap is INVALID_OPTION (the caller can split it).

use super::file::{CHAT_TEMPLATE_FILE, TOKENIZER_FILE};
use crate::core::error::{ErrorCode, HubError};

pub const MAX_TOKENIZER_JSON_BYTES: u64 = 64 << 20;
pub const MAX_CONFIG_BYTES: u64 = 16 << 20;
pub const MAX_TEMPLATE_FILE_BYTES: u64 = 1 << 20;
pub const MAX_TOKENIZER_JSON_VALUES: usize = 8_000_000;
pub const MAX_CONFIG_JSON_VALUES: usize = 1_000_000;
pub const MAX_TEXT_BYTES: usize = 16 << 20;
pub const MAX_DECODE_IDS: usize = 4 << 20;
pub const MAX_DECODE_BYTES: u64 = 64 << 20;

/// The most bytes hubguard reads whole of the repo file `path`.
pub fn max_file_bytes(path: &str) -> u64 {
    match path {
        TOKENIZER_FILE => MAX_TOKENIZER_JSON_BYTES,
        CHAT_TEMPLATE_FILE => MAX_TEMPLATE_FILE_BYTES,
        // tokenizer_config.json, and any other file read whole.
        _ => MAX_CONFIG_BYTES,
    }
}

/// `path` of `repo` is `size` bytes (or more): over its cap.
pub fn file_too_large(repo: &str, path: &str, size: u64) -> HubError {
    HubError::new(
        ErrorCode::InvalidTokenizer,
        format!(
            "{path} in {repo} is {} or more; hubguard reads at most {} of it (real ones are far smaller), so the \
             repo's file is not a usable tokenizer file. Check the repo, or pin a revision where the file is sane.",
            mib(size),
            mib(max_file_bytes(path)),
        ),
    )
    .about(repo, Some(path))
}

/// `bytes` of the repo file `path`, refused when over its cap.
pub fn check_file_size(repo: &str, path: &str, bytes: usize) -> Result<(), HubError> {
    match bytes as u64 > max_file_bytes(path) {
        true => Err(file_too_large(repo, path, bytes as u64)),
        false => Ok(()),
    }
}

/// JSON about to be parsed: refused when it may hold more than `max`
/// values. Every value but the first follows a `[`, a `,` or a `:`
/// (counting those inside strings too only errs on the safe side), so this
/// needs no parse.
pub fn check_json_values(bytes: &[u8], max: usize) -> Result<(), String> {
    let most = 1 + bytes.iter().filter(|&&b| matches!(b, b'[' | b',' | b':')).count();
    match most > max {
        true => Err(format!(
            "it may hold about {most} JSON values, more than hubguard parses in one such file ({max})"
        )),
        false => Ok(()),
    }
}

pub fn check_text_size(bytes: usize) -> Result<(), HubError> {
    if bytes <= MAX_TEXT_BYTES {
        return Ok(());
    }
    Err(HubError::new(
        ErrorCode::InvalidOption,
        format!(
            "The text is {}; one call encodes at most {}. Split it (at paragraphs, say) and encode the parts.",
            mib(bytes as u64),
            mib(MAX_TEXT_BYTES as u64)
        ),
    ))
}

/// `count` ids to decode in one call (all rows of a batch together).
pub fn check_decode_ids(count: usize) -> Result<(), HubError> {
    if count <= MAX_DECODE_IDS {
        return Ok(());
    }
    Err(HubError::new(
        ErrorCode::InvalidOption,
        format!(
            "{count} ids were given to decode; one call decodes at most {MAX_DECODE_IDS} ({} Mi). Split them and \
             decode the parts.",
            MAX_DECODE_IDS >> 20
        ),
    ))
}

/// Ids whose decoded text may reach `bytes` bytes.
pub fn check_decode_bytes(bytes: u64) -> Result<(), HubError> {
    if bytes <= MAX_DECODE_BYTES {
        return Ok(());
    }
    Err(HubError::new(
        ErrorCode::InvalidOption,
        format!(
            "These ids decode to up to {} of text (this tokenizer's tokens are long); one call decodes at most {}. \
             Split the ids and decode the parts.",
            mib(bytes),
            mib(MAX_DECODE_BYTES)
        ),
    ))
}

/// A size for a message: `33.0 MiB`.
fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1 << 20) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_has_its_cap() {
        assert_eq!(max_file_bytes("tokenizer.json"), 64 << 20);
        assert_eq!(max_file_bytes("tokenizer_config.json"), 16 << 20);
        assert_eq!(max_file_bytes("chat_template.jinja"), 1 << 20);
        let e = check_file_size("o/r", "tokenizer_config.json", (16 << 20) + 1).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidTokenizer);
        assert!(
            e.message.contains("tokenizer_config.json in o/r is 16.0 MiB or more"),
            "{}",
            e.message
        );
        assert_eq!(
            (e.repo_id.as_deref(), e.file.as_deref()),
            (Some("o/r"), Some("tokenizer_config.json"))
        );
        check_file_size("o/r", "tokenizer.json", 33 << 20).unwrap();
    }

    #[test]
    fn json_values_are_bounded_without_parsing() {
        let max = MAX_CONFIG_JSON_VALUES;
        let zeros = format!("{{\"x\":[{}0]}}", "0,".repeat(max));
        assert!(check_json_values(zeros.as_bytes(), max)
            .unwrap_err()
            .contains("JSON values"));
        let fine = format!("{{\"x\":[{}0]}}", "0,".repeat(max - 10));
        check_json_values(fine.as_bytes(), max).unwrap();
    }

    #[test]
    fn inputs_over_their_caps_are_invalid_options() {
        assert_eq!(
            check_text_size(MAX_TEXT_BYTES + 1).unwrap_err().code,
            ErrorCode::InvalidOption
        );
        assert_eq!(
            check_decode_ids(MAX_DECODE_IDS + 1).unwrap_err().code,
            ErrorCode::InvalidOption
        );
        assert_eq!(
            check_decode_bytes(MAX_DECODE_BYTES + 1).unwrap_err().code,
            ErrorCode::InvalidOption
        );
        check_decode_ids(MAX_DECODE_IDS).unwrap();
    }
}
