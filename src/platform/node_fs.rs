//! Node's filesystem for the cache, through `node:fs/promises`.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::hub::store::{FileStore, IoError};

#[wasm_bindgen(module = "node:fs/promises")]
extern "C" {
    #[wasm_bindgen(js_name = readFile)]
    fn read_file(path: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = writeFile)]
    fn write_file(path: &str, data: &Uint8Array) -> js_sys::Promise;
    fn mkdir(path: &str, options: &Object) -> js_sys::Promise;
    fn rename(from: &str, to: &str) -> js_sys::Promise;
    fn symlink(target: &str, path: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = copyFile)]
    fn copy_file(from: &str, to: &str) -> js_sys::Promise;
    fn access(path: &str) -> js_sys::Promise;
    fn rm(path: &str, options: &Object) -> js_sys::Promise;
}

pub struct NodeStore;

/// `ENOSPC: no space left on device, ...` style: the code, then the message.
fn io_error(error: JsValue) -> IoError {
    let field = |name: &str| Reflect::get(&error, &name.into()).ok().and_then(|v| v.as_string());
    let detail = match (field("code"), field("message")) {
        (Some(code), Some(message)) if message.starts_with(&code) => message,
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (_, Some(message)) => message,
        _ => "unknown error".to_owned(),
    };
    IoError { detail }
}

fn is_missing(error: &JsValue) -> bool {
    Reflect::get(error, &"code".into())
        .ok()
        .and_then(|v| v.as_string())
        .as_deref()
        == Some("ENOENT")
}

async fn call(promise: js_sys::Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

fn options(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), v);
    }
    o
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/')
        .map_or(".", |(dir, _)| if dir.is_empty() { "/" } else { dir })
}

async fn make_parent(path: &str) -> Result<(), IoError> {
    call(mkdir(parent(path), &options(&[("recursive", true.into())])))
        .await
        .map(|_| ())
        .map_err(io_error)
}

async fn remove(path: &str) {
    let _ = call(rm(path, &options(&[("force", true.into())]))).await;
}

impl FileStore for NodeStore {
    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, IoError> {
        match call(read_file(path)).await {
            Ok(buffer) => Ok(Some(Uint8Array::new(&buffer).to_vec())),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    async fn exists(&self, path: &str) -> bool {
        call(access(path)).await.is_ok()
    }

    async fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), IoError> {
        make_parent(path).await?;
        // Unique per write: two loads may write the same ref at once.
        let partial = format!(
            "{path}.{:08x}.incomplete",
            (js_sys::Math::random() * f64::from(u32::MAX)) as u32
        );
        let written = call(write_file(&partial, &Uint8Array::from(bytes))).await;
        let renamed = match written {
            Ok(_) => call(rename(&partial, path)).await,
            Err(e) => Err(e),
        };
        if let Err(e) = renamed {
            // A full disk must not leave half a file behind.
            remove(&partial).await;
            return Err(io_error(e));
        }
        Ok(())
    }

    async fn link(&self, link: &str, target: &str, source: &str) -> Result<(), IoError> {
        make_parent(link).await?;
        remove(link).await;
        match call(symlink(target, link)).await {
            Ok(_) => Ok(()),
            // No symlinks here (some Windows setups): a copy works for readers.
            Err(_) => call(copy_file(source, link)).await.map(|_| ()).map_err(io_error),
        }
    }
}
