//! Node's filesystem for the cache, through `node:fs/promises`. Writing a
//! download and hashing it is `node_writer.rs`'s.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::node_file::{call, create_hash, error_code, hash_file, io_error, is_missing, number};
use super::node_writer::NodeWriter;
use crate::core::cache::git_blob_header;
use crate::hub::store::{FileStore, IoError};

#[wasm_bindgen(module = "node:fs/promises")]
extern "C" {
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

async fn stat_of(path: &str) -> Option<JsValue> {
    call(stat(path)).await.ok()
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
        NodeWriter::open(path, append).await
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

    async fn git_blob_sha1(&self, path: &str) -> Result<String, IoError> {
        let size = self.size(path).await.ok_or_else(|| IoError {
            detail: format!("ENOENT: {path} vanished before it was checked"),
        })?;
        let hash = create_hash("sha1");
        hash.update(&Uint8Array::from(git_blob_header(size).as_bytes()));
        hash_file(path, &hash).await?;
        Ok(hash.digest("hex"))
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
