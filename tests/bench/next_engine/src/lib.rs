//! A bare wasm module (no wasm-bindgen) around the `tokenizers` 1.0 release
//! candidate's `PipelineTokenizer`, driven by tests/bench/next_engine.mjs.
//!
//! The JS side writes bytes at `buffer(len)` and calls one function; results
//! come back as lengths (negative: failed) and are read at `output()` /
//! `ids()`. A failure leaves its message at `output()`.

use std::cell::RefCell;

use tokenizers::pipeline::{EncodeOptions, PipelineTokenizer};

thread_local! {
    static INPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static IDS: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    static TOKENIZER: RefCell<Option<PipelineTokenizer>> = const { RefCell::new(None) };
}

/// Where the caller writes `len` bytes of input.
#[no_mangle]
pub extern "C" fn buffer(len: usize) -> *mut u8 {
    INPUT.with_borrow_mut(|input| {
        input.resize(len, 0);
        input.as_mut_ptr()
    })
}

/// The text a call left (canonical JSON or an error message).
#[no_mangle]
pub extern "C" fn output() -> *const u8 {
    OUTPUT.with_borrow(|output| output.as_ptr())
}

/// The ids the last `encode` left.
#[no_mangle]
pub extern "C" fn ids() -> *const u32 {
    IDS.with_borrow(|ids| ids.as_ptr())
}

fn leave(text: String, ok: bool) -> i32 {
    let len = text.len() as i32;
    OUTPUT.with_borrow_mut(|output| *output = text.into_bytes());
    if ok {
        len
    } else {
        -len.max(1)
    }
}

/// tokenizer.json (version 1.0, as the Hub serves it) in the input buffer →
/// the canonical version-2.0 JSON the release candidate reads, at `output()`.
/// The file's own padding and truncation are cleared, as hubguard and
/// transformers do for plain encoding.
#[no_mangle]
pub extern "C" fn canonicalize(len: usize) -> i32 {
    let result = INPUT.with_borrow(|input| -> Result<String, String> {
        let mut value: serde_json::Value = serde_json::from_slice(&input[..len]).map_err(|e| e.to_string())?;
        tokenizers::canonicalize_value(&mut value).map_err(|e| e.to_string())?;
        if let Some(file) = value.as_object_mut() {
            file.insert("padding".into(), serde_json::Value::Null);
            file.insert("truncation".into(), serde_json::Value::Null);
        }
        serde_json::to_string(&value).map_err(|e| e.to_string())
    });
    match result {
        Ok(json) => leave(json, true),
        Err(e) => leave(e, false),
    }
}

/// Load the canonical JSON in the input buffer; 0, or an error at `output()`.
#[no_mangle]
pub extern "C" fn load(len: usize) -> i32 {
    let result = INPUT.with_borrow(|input| {
        let text = std::str::from_utf8(&input[..len]).map_err(|e| e.to_string())?;
        tokenizers::from_json(text).map_err(|e| e.to_string())
    });
    match result {
        Ok(tokenizer) => {
            TOKENIZER.with_borrow_mut(|slot| *slot = Some(tokenizer));
            0
        }
        Err(e) => leave(e, false),
    }
}

/// Encode the UTF-8 text in the input buffer; the id count, ids at `ids()`.
#[no_mangle]
pub extern "C" fn encode(len: usize, add_special_tokens: bool) -> i32 {
    let result = INPUT.with_borrow(|input| {
        let text = std::str::from_utf8(&input[..len]).map_err(|e| e.to_string())?;
        TOKENIZER.with_borrow(|tokenizer| {
            let tokenizer = tokenizer.as_ref().ok_or("nothing loaded")?;
            let options = EncodeOptions {
                add_special_tokens,
                ..EncodeOptions::default()
            };
            let mut tokens = Vec::new();
            tokenizer
                .encode_into(text, &options, &mut tokens)
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(tokens)
        })
    });
    match result {
        Ok(tokens) => IDS.with_borrow_mut(|ids| {
            ids.clear();
            ids.extend(tokens.iter().map(|t| t.id()));
            ids.len() as i32
        }),
        Err(e) => leave(e, false),
    }
}

/// getrandom's `custom` backend: the hash tables' seeds. Fixed bytes are
/// enough for a benchmark of non-adversarial text; this module is never
/// shipped.
///
/// # Safety
/// `dest` is valid for `len` bytes (getrandom's contract).
#[no_mangle]
unsafe extern "Rust" fn __getrandom_v03_custom(dest: *mut u8, len: usize) -> Result<(), getrandom::Error> {
    for i in 0..len {
        *dest.add(i) = (i as u8).wrapping_mul(151).wrapping_add(7);
    }
    Ok(())
}
