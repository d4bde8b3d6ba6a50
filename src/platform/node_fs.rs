//! Node's filesystem for the cache, through `node:fs/promises`.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::hub::store::{FileStore, FileWriter, IoError};

#[wasm_bindgen(module = "node:crypto")]
extern "C" {
    type Hash;
    #[wasm_bindgen(js_name = createHash)]
    fn create_hash(algorithm: &str) -> Hash;
    #[wasm_bindgen(method)]
    fn update(this: &Hash, data: &Uint8Array);
    #[wasm_bindgen(method)]
    fn digest(this: &Hash, encoding: &str) -> String;
}

#[wasm_bindgen(module = "node:fs/promises")]
extern "C" {
    /// `FileHandle` from `open()`.
    type FileHandle;
    #[wasm_bindgen(method)]
    fn write(this: &FileHandle, data: &Uint8Array) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn read(this: &FileHandle, buffer: &Uint8Array, offset: u32, length: u32, position: JsValue) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn close(this: &FileHandle) -> js_sys::Promise;

    fn open(path: &str, flags: &str) -> js_sys::Promise;
    fn stat(path: &str) -> js_sys::Promise;
    fn utimes(path: &str, atime: f64, mtime: f64) -> js_sys::Promise;
    #[wasm_bindgen(js_name = writeFile)]
    fn write_file_with(path: &str, data: &Uint8Array, options: &Object) -> js_sys::Promise;
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
    fn chmod(path: &str, mode: u32) -> js_sys::Promise;
    fn rm(path: &str, options: &Object) -> js_sys::Promise;
}

pub struct NodeStore;

/// Bytes per read when hashing a partial file, and per write: few large
/// writes cost far less than one promise per network chunk, and memory stays
/// bounded.
const BLOCK: u32 = 1 << 20;

/// Writes in blocks and hashes each block with node:crypto on its way out.
/// A block's write runs in libuv's thread pool while the download goes on
/// reading the next one: awaiting each write before reading on made a
/// 200 MB download wait ~0.6 s on the disk.
pub struct NodeWriter {
    handle: FileHandle,
    hash: Hash,
    pending: Vec<u8>,
    /// Two JS-side buffers, reused for every block: one is being written
    /// while the next block fills the other. (A fresh buffer per block
    /// would leave hundreds of megabytes of garbage on a large download.)
    buffers: [Uint8Array; 2],
    filling: usize,
    /// The write under way and the bytes it was given. Wrapped in a future
    /// at once, so a failure is handled (Node would call an unawaited
    /// rejected promise unhandled); `close` always waits for it.
    in_flight: Option<(JsFuture, Uint8Array)>,
}

impl NodeWriter {
    async fn flush(&mut self) -> Result<(), IoError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let length = self.pending.len() as u32;
        if self.buffers[self.filling].length() < length {
            self.buffers[self.filling] = Uint8Array::new_with_length(length);
        }
        let block = self.buffers[self.filling].subarray(0, length);
        block.copy_from(&self.pending);
        self.pending.clear();
        self.hash.update(&block);
        // The previous block lands first: one write at a time keeps the
        // file's bytes in order.
        self.settle().await?;
        self.in_flight = Some((JsFuture::from(self.handle.write(&block)), block));
        self.filling ^= 1;
        Ok(())
    }

    /// Wait for the write under way; `write` may take fewer bytes than
    /// offered, so go on until all are in.
    async fn settle(&mut self) -> Result<(), IoError> {
        let Some((write, mut rest)) = self.in_flight.take() else {
            return Ok(());
        };
        let mut result = write.await;
        loop {
            let written = number(&result.map_err(io_error)?, "bytesWritten") as u32;
            if written == 0 {
                return Err(IoError {
                    detail: "the file system accepted no bytes".into(),
                });
            }
            rest = rest.subarray(written, rest.length());
            if rest.length() == 0 {
                return Ok(());
            }
            result = call(self.handle.write(&rest)).await;
        }
    }

    /// Hash what the file already holds (appending to a partial download).
    async fn hash_existing(&self, path: &str) -> Result<(), IoError> {
        let reader: FileHandle = call(open(path, "r")).await.map_err(io_error)?.unchecked_into();
        let buffer = Uint8Array::new_with_length(BLOCK);
        let outcome = loop {
            match call(reader.read(&buffer, 0, BLOCK, JsValue::NULL)).await {
                Ok(result) => match number(&result, "bytesRead") as u32 {
                    0 => break Ok(()),
                    n => self.hash.update(&buffer.subarray(0, n)),
                },
                Err(e) => break Err(io_error(e)),
            }
        };
        let _ = call(reader.close()).await;
        outcome
    }
}

impl FileWriter for NodeWriter {
    async fn write(&mut self, bytes: &[u8]) -> Result<(), IoError> {
        self.pending.extend_from_slice(bytes);
        if self.pending.len() >= BLOCK as usize {
            self.flush().await?;
        }
        Ok(())
    }

    async fn close(mut self) -> Result<String, IoError> {
        let flushed = self.flush().await;
        // Even after a failure: no write may still be running once closed.
        let settled = self.settle().await;
        let flushed = flushed.and(settled);
        let closed = call(self.handle.close()).await.map(|_| ()).map_err(io_error);
        flushed.and(closed)?;
        Ok(self.hash.digest("hex"))
    }
}

fn number(object: &JsValue, key: &str) -> f64 {
    Reflect::get(object, &key.into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0)
}

async fn stat_of(path: &str) -> Option<JsValue> {
    call(stat(path)).await.ok()
}

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

fn error_code(error: &JsValue) -> Option<String> {
    Reflect::get(error, &"code".into()).ok().and_then(|v| v.as_string())
}

fn is_missing(error: &JsValue) -> bool {
    error_code(error).as_deref() == Some("ENOENT")
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
    path.rsplit_once(|c| c == '/' || (c == '\\' && on_windows()))
        .map_or(".", |(dir, _)| if dir.is_empty() { "/" } else { dir })
}

/// Windows paths also separate folders with `\`; elsewhere it is a name's
/// own character.
fn on_windows() -> bool {
    thread_local! {
        static WINDOWS: bool = Reflect::get(&js_sys::global(), &"process".into())
            .and_then(|process| Reflect::get(&process, &"platform".into()))
            .is_ok_and(|platform| platform.as_string().as_deref() == Some("win32"));
    }
    WINDOWS.with(|w| *w)
}

/// Creates the folder `path` goes in, and any missing folders above it.
///
/// Not `mkdir(…, { recursive: true })`: where a folder exists but cannot
/// hold children, as under `/proc` or through a dangling symlink, the kernel
/// answers ENOENT, and Node's recursive mkdir takes that for a missing parent
/// and retries forever. Here a folder is retried once, after its parent was
/// made; an ENOENT then is the answer.
async fn make_parent(path: &str) -> Result<(), IoError> {
    make_parent_with(path, None).await
}

/// As `make_parent`, new folders with `mode` (before the umask).
async fn make_parent_with(path: &str, mode: Option<u32>) -> Result<(), IoError> {
    let mut missing = Vec::new();
    let mut dir = parent(path);
    loop {
        match make_dir(dir, mode).await {
            Ok(()) => break,
            Err(e) if is_missing(&e) && parent(dir) != dir => {
                missing.push(dir);
                dir = parent(dir);
            }
            Err(e) => return Err(io_error(e)),
        }
    }
    for dir in missing.into_iter().rev() {
        make_dir(dir, mode).await.map_err(io_error)?;
    }
    Ok(())
}

/// One folder; one that is already there is fine.
async fn make_dir(dir: &str, mode: Option<u32>) -> Result<(), JsValue> {
    let settings = match mode {
        Some(mode) => options(&[("mode", mode.into())]),
        None => Object::new(),
    };
    match call(mkdir(dir, &settings)).await {
        Err(e) if error_code(&e).as_deref() != Some("EEXIST") => Err(e),
        _ => Ok(()),
    }
}

async fn remove(path: &str) {
    let _ = call(rm(path, &options(&[("force", true.into())]))).await;
}

/// Into a uniquely named partial file, then renamed into place; on failure
/// the partial file is removed. `mode` for a new file (before the umask).
async fn write_whole(path: &str, bytes: &[u8], mode: Option<u32>) -> Result<(), IoError> {
    let partial = partial_name(path);
    let data = Uint8Array::from(bytes);
    let written = match mode {
        Some(mode) => call(write_file_with(&partial, &data, &options(&[("mode", mode.into())]))).await,
        None => call(write_file(&partial, &data)).await,
    };
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

impl FileStore for NodeStore {
    type Writer<'w> = NodeWriter;

    async fn size(&self, path: &str) -> Option<u64> {
        stat_of(path).await.map(|s| number(&s, "size") as u64)
    }

    async fn age_millis(&self, path: &str) -> Option<u64> {
        let modified = number(&stat_of(path).await?, "mtimeMs");
        Some((js_sys::Date::now() - modified).max(0.0) as u64)
    }

    async fn touch(&self, path: &str) {
        let now = js_sys::Date::now() / 1000.0;
        let _ = call(utimes(path, now, now)).await;
    }

    async fn create_new(&self, path: &str, bytes: &[u8]) -> Result<bool, IoError> {
        make_parent(path).await?;
        // 'wx': fails with EEXIST if the file is there, atomically.
        match call(write_file_with(
            path,
            &Uint8Array::from(bytes),
            &options(&[("flag", "wx".into())]),
        ))
        .await
        {
            Ok(_) => Ok(true),
            Err(e) if error_code(&e).as_deref() == Some("EEXIST") => Ok(false),
            Err(e) => Err(io_error(e)),
        }
    }

    async fn open_writer(&self, path: &str, append: bool) -> Result<NodeWriter, IoError> {
        make_parent(path).await?;
        let handle = call(open(path, if append { "a" } else { "w" }))
            .await
            .map_err(io_error)?;
        let writer = NodeWriter {
            handle: handle.unchecked_into(),
            hash: create_hash("sha256"),
            pending: Vec::with_capacity(BLOCK as usize + (64 << 10)),
            buffers: [
                Uint8Array::new_with_length(BLOCK + (64 << 10)),
                Uint8Array::new_with_length(BLOCK + (64 << 10)),
            ],
            filling: 0,
            in_flight: None,
        };
        if append {
            if let Err(e) = writer.hash_existing(path).await {
                let _ = call(writer.handle.close()).await;
                return Err(e);
            }
        }
        Ok(writer)
    }

    async fn rename(&self, from: &str, to: &str) -> Result<(), IoError> {
        call(rename(from, to)).await.map(|_| ()).map_err(io_error)
    }

    async fn remove(&self, path: &str) {
        remove(path).await;
    }

    async fn read(&self, path: &str) -> Result<Option<Vec<u8>>, IoError> {
        match call(read_file(path)).await {
            // A Buffer is a Uint8Array already: `Uint8Array::new` would copy
            // it once more (33 MB for Gemma-3's tokenizer.json).
            Ok(buffer) => Ok(Some(buffer.unchecked_into::<Uint8Array>().to_vec())),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(io_error(e)),
        }
    }

    async fn exists(&self, path: &str) -> bool {
        call(access(path)).await.is_ok()
    }

    async fn write_atomic(&self, path: &str, bytes: &[u8]) -> Result<(), IoError> {
        make_parent(path).await?;
        write_whole(path, bytes, None).await
    }

    async fn write_secret(&self, path: &str, bytes: &[u8]) -> Result<(), IoError> {
        make_parent_with(path, Some(0o700)).await?;
        // As huggingface_hub: the folder is its owner's alone, even if it
        // was there before (best effort: Windows has no such modes).
        let _ = call(chmod(parent(path), 0o700)).await;
        write_whole(path, bytes, Some(0o600)).await
    }

    async fn link(&self, link: &str, target: &str, source: &str) -> Result<(), IoError> {
        make_parent(link).await?;
        // Made beside it, then renamed over it: another process reading the
        // snapshot (which may have linked it already) never finds it gone.
        let partial = partial_name(link);
        let made = match call(symlink(target, &partial)).await {
            Ok(_) => Ok(()),
            // No symlinks here (some Windows setups): a copy works for readers.
            Err(_) => call(copy_file(source, &partial)).await.map(|_| ()),
        };
        let renamed = match made {
            Ok(()) => call(rename(&partial, link)).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = renamed {
            remove(&partial).await;
            return Err(io_error(e));
        }
        Ok(())
    }
}

/// A name beside `path`, unique per write: two loads may write the same file
/// at once, each renaming its own partial file into place.
fn partial_name(path: &str) -> String {
    format!(
        "{path}.{:08x}.incomplete",
        (js_sys::Math::random() * f64::from(u32::MAX)) as u32
    )
}
