'use strict';
// Node build: the sha256 of a large download, computed on a worker thread
// from what the file holds, while the main thread goes on reading the
// network and writing. node:crypto's `update` runs on the thread that calls
// it, so hashing on the main thread held the download up for as long as the
// hash took. The cache writer (src/platform/node_writer.rs) tells the worker
// how far the file is written; the worker reads and hashes up to there, and
// at the end gives the digest of exactly the bytes written (the file's own,
// as they landed: a partial file being resumed is hashed from its start).
// Only reads, no writes: the file stays the writer's. wasm-bindgen copies
// this file into the package (snippets/); no npm dependency.

const { Worker } = require('node:worker_threads');

// The worker's program, as a string so that it survives bundling.
const PROGRAM = `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, openSync, readSync } = require('node:fs');
const hash = require('node:crypto').createHash('sha256');
const buffer = Buffer.allocUnsafeSlow(workerData.block);
let fd = null;
let hashed = 0;
let failure = null;
function hashTo(end) {
  if (fd === null) fd = openSync(workerData.path, 'r');
  while (hashed < end) {
    const read = readSync(fd, buffer, 0, Math.min(buffer.length, end - hashed), hashed);
    if (read === 0) throw new Error('the file ended after ' + hashed + ' of the ' + end + ' bytes written to it');
    hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
    hashed += read;
  }
}
parentPort.on('message', ({ end, last }) => {
  if (failure === null) {
    try {
      hashTo(end);
    } catch (error) {
      failure = error;
    }
  }
  if (!last) return;
  try {
    if (fd !== null) closeSync(fd);
  } catch {}
  parentPort.postMessage(
    failure === null ? { digest: hash.digest('hex') } : { code: failure.code, message: String(failure.message) },
  );
  parentPort.close();
});`;

/** Hashes the file at `path` on a worker thread, reading `block` bytes at a time. */
class FileHasher {
  constructor(path, block) {
    // No execArgv: the app's flags (`--input-type=module` would make the
    // program a module; `--import`/`--require` preloads) are not its.
    this.worker = new Worker(PROGRAM, { eval: true, execArgv: [], workerData: { path, block } });
    // Not what keeps the process alive while the download runs (its socket
    // and file writes do); `digest` holds it alive while its answer is due.
    this.worker.unref();
    this.result = new Promise((resolve, reject) => {
      this.worker.once('message', (answer) => {
        if (typeof answer.digest === 'string') resolve(answer.digest);
        else reject(Object.assign(new Error(answer.message), { code: answer.code }));
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`the hashing thread stopped (exit code ${code})`)));
    });
    // Awaited by `digest`; a failure before that is not an unhandled one.
    this.result.catch(() => {});
  }

  /** The file holds at least `end` bytes: hash up to there. */
  hashTo(end) {
    this.worker.postMessage({ end, last: false });
  }

  /** The file is complete at `end` bytes: its sha256 (lower-case hex). */
  digest(end) {
    // Awaited with nothing else pending: an unref'd thread's answer would
    // never come, as the process would end first.
    this.worker.ref();
    this.worker.postMessage({ end, last: true });
    return this.result;
  }

  /** Ends the thread, digest or not. */
  stop() {
    this.worker.terminate().catch(() => {});
  }
}

module.exports = { FileHasher };
