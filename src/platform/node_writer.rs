//! Node build: the cache's `FileWriter`, a download's bytes on their way to
//! disk, with their sha256.
//!
//! Bytes are written in blocks. A block's write runs in libuv's thread pool
//! while the download goes on reading the next one (awaiting each write
//! before reading on made a download wait on the disk). Each block is
//! hashed with node:crypto (native code) as it goes out, so the hash keeps
//! pace with the download rather than following it. Hashing on a worker
//! thread that read the file behind the writes was tried, and measured
//! slower and heavier (docs/BENCHMARKS.md, "Design measurements").

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::node_file::{call, create_hash, hash_file, io_error, number, open, FileHandle, Hash, BLOCK};
use crate::hub::store::{FileWriter, IoError};

/// Writes in blocks and keeps the sha256 of everything in the file.
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
    /// Opens `path` for writing: appended to when `append` (what it holds
    /// is hashed first, in bounded blocks), else emptied.
    pub async fn open(path: &str, append: bool) -> Result<NodeWriter, IoError> {
        let handle: FileHandle = call(open(path, if append { "a" } else { "w" }))
            .await
            .map_err(io_error)?
            .unchecked_into();
        let hash = create_hash("sha256");
        if append {
            if let Err(e) = hash_file(path, &hash).await {
                let _ = call(handle.close()).await;
                return Err(e);
            }
        }
        Ok(NodeWriter {
            handle,
            hash,
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
