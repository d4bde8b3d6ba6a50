// File contents: bytes in memory, or large generated files that are never
// held in memory (deterministic bytes, readable at any offset).

import { createHash } from 'node:crypto';
import { gitBlobSha1, sha256 } from './hashes.mjs';

const BLOCK = 64 * 1024;

// sha256 of generated files by `${size}:${seed}`: hashing 100s of MB takes a
// while, and benchmarks and tests create the same file in several repos.
const generatedSha256 = new Map();

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Block k of a generated file: xorshift32 seeded by (seed, k), as
 * little-endian u32s. Written through a Uint32Array view: the emulator must
 * serve faster than any client reads, or download benchmarks measure it.
 */
function generatedBlock(seed, k) {
  const out = Buffer.allocUnsafe(BLOCK);
  const words = new Uint32Array(out.buffer, out.byteOffset, BLOCK / 4);
  let x = (seed ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  if (!LITTLE_ENDIAN) out.swap32();
  return out;
}

export class Content {
  /**
   * `spec`: a string/Buffer, or { size, generated: true, seed?, xet? } (always LFS).
   * `etag` is what the Hub names the file by: the git blob sha1 of a regular
   * file, the sha256 of an LFS file. `xet`: stored with Xet (an LFS file
   * served through the Xet bridge, see xet.mjs).
   */
  constructor(spec, { lfs = false, xet = false } = {}) {
    this.xet = Boolean(xet || spec?.xet);
    if (this.xet) lfs = true;
    if (spec && spec.generated) {
      this.size = spec.size;
      this.seed = spec.seed ?? 7;
      this.lfs = true;
      const key = `${this.size}:${this.seed}`;
      if (!generatedSha256.has(key)) {
        const hash = createHash('sha256');
        for (const chunk of this.chunks(0, this.size - 1)) hash.update(chunk);
        generatedSha256.set(key, hash.digest('hex'));
      }
      this.etag = generatedSha256.get(key);
    } else {
      this.bytes = Buffer.isBuffer(spec) ? spec : Buffer.from(String(spec));
      this.size = this.bytes.length;
      this.lfs = lfs;
      this.etag = lfs ? sha256(this.bytes) : gitBlobSha1(this.bytes);
    }
  }

  /** Bytes start..end (inclusive), in chunks of at most 64 KiB. */
  *chunks(start, end) {
    if (this.bytes) {
      for (let at = start; at <= end; at += BLOCK) yield this.bytes.subarray(at, Math.min(end + 1, at + BLOCK));
      return;
    }
    for (let at = start; at <= end; ) {
      const k = Math.floor(at / BLOCK);
      const block = generatedBlock(this.seed, k);
      const from = at - k * BLOCK;
      const to = Math.min(BLOCK, end + 1 - k * BLOCK);
      yield block.subarray(from, to);
      at = k * BLOCK + to;
    }
  }
}
