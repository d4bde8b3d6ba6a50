//! Node build: the cache's `FileWriter`, a download's bytes on their way to
//! disk, with their sha256.
//!
//! Bytes are written in blocks. A block's write runs in libuv's thread pool
//! while the download goes on reading the next one (awaiting each write
//! before reading on made a download wait on the disk).
//!
//! The sha256 of a large file is computed on a worker thread
//! (`node_hash.cjs`), from what the file holds, as far as the writes have
//! landed: node:crypto's hash runs on the thread that calls it, and on the
//! main thread it held the download up for as long as it took. A small file
//! is hashed here, block by block on its way out: a thread costs more to
//! start than such a file takes to hash.

use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::node_file::{call, create_hash, hash_file, io_error, number, open, FileHandle, Hash, BLOCK};
use crate::hub::store::{FileWriter, IoError};

#[wasm_bindgen(module = "/src/platform/node_hash.cjs")]
extern "C" {
    /// The sha256 of a file being written, on a worker thread.
    type FileHasher;
    #[wasm_bindgen(constructor, catch)]
    fn new(path: &str, block: u32) -> Result<FileHasher, JsValue>;
    /// The file holds at least `end` bytes.
    #[wasm_bindgen(method, js_name = hashTo)]
    fn hash_to(this: &FileHasher, end: f64);
    /// The file is complete at `end` bytes: a promise of its sha256.
    #[wasm_bindgen(method)]
    fn digest(this: &FileHasher, end: f64) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    fn stop(this: &FileHasher);
}

/// Files at least this large (as announced) are hashed on a worker thread.
/// Below it, starting the thread (time on another core, and memory while it
/// runs: README, benchmarks) costs about what hashing here does.
const HASH_APART_FROM: u64 = 16 << 20;

enum Sha256 {
    /// node:crypto on this thread, fed each block as it goes out.
    Here(Hash),
    /// A worker thread reading the file behind the writes.
    Apart(FileHasher),
}

/// Writes in blocks and keeps the sha256 of everything in the file.
pub struct NodeWriter {
    path: String,
    handle: FileHandle,
    sha256: Sha256,
    /// Bytes in the file once the write under way has landed.
    landed: u64,
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
    /// Opens `path` for writing: appended to when `append` (what it holds
    /// is hashed first), else emptied. `size`: what the complete file will
    /// hold, if known.
    pub async fn open(path: &str, append: bool, size: Option<u64>) -> Result<NodeWriter, IoError> {
        let handle: FileHandle = call(open(path, if append { "a" } else { "w" }))
            .await
            .map_err(io_error)?
            .unchecked_into();
        let held = if append {
            match call(handle.stat()).await {
                Ok(stat) => number(&stat, "size") as u64,
                Err(e) => {
                    let _ = call(handle.close()).await;
                    return Err(io_error(e));
                }
            }
        } else {
            0
        };
        let apart = size
            .filter(|&size| size >= HASH_APART_FROM)
            .and_then(|_| FileHasher::new(path, BLOCK).ok());
        let sha256 = match apart {
            Some(hasher) => {
                // Hashed on the worker while the rest downloads.
                hasher.hash_to(held as f64);
                Sha256::Apart(hasher)
            }
            None => {
                let hash = create_hash("sha256");
                if held > 0 {
                    if let Err(e) = hash_file(path, &hash).await {
                        let _ = call(handle.close()).await;
                        return Err(e);
                    }
                }
                Sha256::Here(hash)
            }
        };
        Ok(NodeWriter {
            path: path.to_owned(),
            handle,
            sha256,
            landed: held,
            pending: Vec::with_capacity(BLOCK as usize + (64 << 10)),
            buffers: [
                Uint8Array::new_with_length(BLOCK + (64 << 10)),
                Uint8Array::new_with_length(BLOCK + (64 << 10)),
            ],
            filling: 0,
            in_flight: None,
        })
    }

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
        if let Sha256::Here(hash) = &self.sha256 {
            hash.update(&block);
        }
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
            self.landed += u64::from(written);
            rest = rest.subarray(written, rest.length());
            if rest.length() == 0 {
                break;
            }
            result = call(self.handle.write(&rest)).await;
        }
        if let Sha256::Apart(hasher) = &self.sha256 {
            hasher.hash_to(self.landed as f64);
        }
        Ok(())
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
        let hasher = match &self.sha256 {
            Sha256::Here(hash) => return Ok(hash.digest("hex")),
            Sha256::Apart(hasher) => hasher,
        };
        let digest = call(hasher.digest(self.landed as f64)).await.ok();
        if let Some(digest) = digest.and_then(|d| d.as_string()) {
            return Ok(digest);
        }
        // The thread failed (it could not start, say): the file, read
        // through here, gives the same digest.
        let hash = create_hash("sha256");
        hash_file(&self.path, &hash).await?;
        Ok(hash.digest("hex"))
    }
}

/// A writer given up (a failed write, a cancelled download) ends its thread.
impl Drop for NodeWriter {
    fn drop(&mut self) {
        if let Sha256::Apart(hasher) = &self.sha256 {
            hasher.stop();
        }
    }
}
