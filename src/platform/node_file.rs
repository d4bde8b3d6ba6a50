//! Node build: one open file through `node:fs/promises`, node:crypto's
//! hashes, and what the cache's files have in common (`node_fs.rs` and
//! `node_writer.rs` stand on it): reading a file through in blocks, and
//! turning Node's errors into `IoError`s.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::hub::store::IoError;

#[wasm_bindgen(module = "node:crypto")]
extern "C" {
    pub type Hash;
    #[wasm_bindgen(js_name = createHash)]
    pub fn create_hash(algorithm: &str) -> Hash;
    #[wasm_bindgen(method)]
    pub fn update(this: &Hash, data: &Uint8Array);
    #[wasm_bindgen(method)]
    pub fn digest(this: &Hash, encoding: &str) -> String;
}

#[wasm_bindgen(module = "node:fs/promises")]
extern "C" {
    /// `FileHandle` from `open()`.
    pub type FileHandle;
    #[wasm_bindgen(method)]
    pub fn write(this: &FileHandle, data: &Uint8Array) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    pub fn read(this: &FileHandle, buffer: &Uint8Array, offset: u32, length: u32, position: JsValue)
        -> js_sys::Promise;
    #[wasm_bindgen(method)]
    pub fn close(this: &FileHandle) -> js_sys::Promise;

    pub fn open(path: &str, flags: &str) -> js_sys::Promise;
}

/// Bytes per read when hashing a file, and per write: few large writes cost
/// far less than one promise per network chunk, and memory stays bounded.
pub const BLOCK: u32 = 1 << 20;

/// Feed the file's bytes to `hash`, a block at a time.
pub async fn hash_file(path: &str, hash: &Hash) -> Result<(), IoError> {
    let reader: FileHandle = call(open(path, "r")).await.map_err(io_error)?.unchecked_into();
    let buffer = Uint8Array::new_with_length(BLOCK);
    let outcome = loop {
        match call(reader.read(&buffer, 0, BLOCK, JsValue::NULL)).await {
            Ok(result) => match number(&result, "bytesRead") as u32 {
                0 => break Ok(()),
                n => hash.update(&buffer.subarray(0, n)),
            },
            Err(e) => break Err(io_error(e)),
        }
    };
    let _ = call(reader.close()).await;
    outcome
}

pub fn number(object: &JsValue, key: &str) -> f64 {
    Reflect::get(object, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

/// `ENOSPC: no space left on device, ...` style: the code, then the message.
pub fn io_error(error: JsValue) -> IoError {
    let field = |name: &str| Reflect::get(&error, &name.into()).ok().and_then(|v| v.as_string());
    let detail = match (field("code"), field("message")) {
        (Some(code), Some(message)) if message.starts_with(&code) => message,
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (_, Some(message)) => message,
        _ => "unknown error".to_owned(),
    };
    IoError { detail }
}

pub fn error_code(error: &JsValue) -> Option<String> {
    Reflect::get(error, &"code".into()).ok().and_then(|v| v.as_string())
}

pub fn is_missing(error: &JsValue) -> bool {
    error_code(error).as_deref() == Some("ENOENT")
}

pub async fn call(promise: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}
