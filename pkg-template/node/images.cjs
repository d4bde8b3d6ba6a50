'use strict';
// Images of built tokenizers, kept in the disk cache (Node).
//
// Building a large tokenizer is most of a warm load: the `tokenizers`
// crate's BPE builder hashes every merge (Llama-3: 280k, Gemma-3: 515k)
// and its public API cannot take a built model. But each tokenizer has a
// wasm instance of its own, so the built tokenizer is that instance's
// memory. When the cache alone serves a load (`loadTokenizer` answers the
// cached files, `hub::warm_load::LocalFiles`), the tokenizer is built in a
// fresh instance that does nothing else (no I/O, no JS values kept, freed
// memory zeroed), and the non-zero pages of that memory are written beside
// the pre-parsed form: `.hubguard/{commit}/tokenizer.json.image`. A later
// load copies them into a new instance instead of building.
//
// An image is the state of code that can reach the file system and the
// network, so it is trusted only if this user wrote it: it carries an
// HMAC-SHA256 under a key kept outside the cache, in
// `$XDG_CONFIG_HOME/hubguard/image-key` (else `~/.config/...`, mode 0600),
// so an image from a shared or restored cache, or one edited, is never
// used. It is used only when all of this holds, else the tokenizer is built
// from the files again (and a sound image written):
// - the HMAC, over everything before it;
// - the same package build (its wasm's and JS runtime's sha256), format,
//   repo and commit, and the same size and modification time of each
//   cached file it was built from;
// - a sound layout;
// - the building instance held no JS value besides the two every instance
//   starts with (checked before writing), which the new one is given again.
//
// Layout: "HGIMAGE\0", header length u32 LE, header JSON, the index of the
// non-zero 64 KiB pages (u32 LE each, ascending), those pages, the HMAC.

const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const BUILD = require('./build-id.cjs');

const MAGIC = Buffer.from('HGIMAGE\0', 'latin1');
const FORMAT = 1;
const PAGE = 65536;
const MAC_BYTES = 32;
const MAX_HEADER = 4096;
/** wasm32 memory: 65,536 pages at most. */
const MAX_PAGES = 65536;
const MAX_TABLE = 1 << 20;

module.exports = function createImages(runtime) {
  let key;

  /**
   * `repoId`'s tokenizer from the cached `files`: restored from its image,
   * or built in a fresh instance (and its image kept). → `{ instance, inner }`,
   * or null if a file could not be read (the caller then loads the plain way).
   * A HubError from the build (an invalid file, a crash) is thrown.
   */
  function make(repoId, files) {
    key ??= imageKey();
    const restored = key && restore(repoId, files);
    if (restored) return restored;
    let parts;
    try {
      parts = {
        kept: files.kept ? readIfThere(files.keptPath) : undefined,
        config: files.config == null ? undefined : readCached(files.config),
        template: files.template == null ? undefined : readCached(files.template),
      };
    } catch {
      return null; // gone or changed since it was found: the plain load reads it again, or says why
    }
    const instance = runtime.forTokenizer(repoId);
    // Freed memory zeroed while the tokenizer is built: those pages are left out of its image.
    instance.run((glue) => glue.zeroFreedMemory(true));
    const build = (file) =>
      instance.run((glue) => glue.buildTokenizer(repoId, parts.kept, file, files.tokenizerSize, parts.config, parts.template));
    let inner = build(undefined);
    if (inner === undefined) {
      let file;
      try {
        file = readCached(files.tokenizer);
      } catch {
        return null;
      }
      inner = build(file);
      // The form was missing or unsound: keep the one made from the file.
      const form = instance.run((glue) => glue.takePreParsed());
      if (form) writeWhole(files.keptPath, [form]);
    }
    instance.run((glue) => glue.zeroFreedMemory(false));
    if (key) keep(instance, inner, repoId, files);
    return { instance, inner };
  }

  /**
   * Starts making the tokenizer from the cached `files` once the current
   * task yields: the load's revalidating HEAD is then in flight, and says
   * later whether these files are the current ones (`finish`).
   */
  function start(repoId, files) {
    const made = new Promise((resolve) => {
      setImmediate(() => {
        try {
          resolve({ value: make(repoId, files) });
        } catch (error) {
          resolve({ error });
        }
      });
    });
    return { files, made };
  }

  /** The tokenizer from `files`: what `started` made, when it was for the same commit; else made now. */
  async function finish(repoId, files, started) {
    if (started?.files.commit !== files.commit) return make(repoId, files);
    const outcome = await started.made;
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  }

  /** The image as a tokenizer in a new instance, or null if it is not sound and this user's. */
  function restore(repoId, files) {
    let fd;
    try {
      fd = fs.openSync(files.image, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    } catch {
      return null;
    }
    try {
      const stat = fs.fstatSync(fd);
      if (!stat.isFile()) return null;
      const size = stat.size;
      const head = readAt(fd, 12, 0);
      if (head === null || !head.subarray(0, 8).equals(MAGIC)) return null;
      const headerLength = head.readUInt32LE(8);
      if (headerLength > MAX_HEADER) return null;
      const text = readAt(fd, headerLength, 12);
      const header = text && parseHeader(text);
      if (!header || header.build !== BUILD || header.repo !== repoId || header.commit !== files.commit) return null;
      if (header.sources !== sourcesOf(files)) return null; // a cached file was replaced or edited since
      const indexAt = 12 + headerLength;
      const macAt = indexAt + header.pages * 4 + header.pages * PAGE;
      if (size !== macAt + MAC_BYTES) return null;
      const index = readAt(fd, header.pages * 4, indexAt);
      const mac = readAt(fd, MAC_BYTES, macAt);
      if (index === null || mac === null) return null;
      const pages = [];
      for (let i = 0; i < header.pages; i++) {
        const page = index.readUInt32LE(i * 4);
        if (page >= header.memory / PAGE || (i > 0 && page <= pages[i - 1])) return null;
        pages.push(page);
      }
      const instance = runtime.forTokenizer(repoId);
      const memory = instance.memory;
      const own = memory.buffer.byteLength;
      if (header.memory < own) return null;
      if (header.memory > own) memory.grow((header.memory - own) / PAGE);
      const view = new Uint8Array(memory.buffer);
      // What the image leaves out is zero in it: clear what the new instance wrote there.
      const inImage = new Set(pages);
      for (let page = 0; page < own / PAGE; page++) {
        if (!inImage.has(page) && !isZero(view, page)) view.fill(0, page * PAGE, (page + 1) * PAGE);
      }
      // Straight into the memory, a run of consecutive pages at a time.
      const hmac = crypto.createHmac('sha256', key).update(head).update(text).update(index);
      let at = indexAt + index.length;
      for (let i = 0; i < pages.length; ) {
        let j = i;
        while (j + 1 < pages.length && pages[j + 1] === pages[j] + 1) j++;
        const run = view.subarray(pages[i] * PAGE, (pages[j] + 1) * PAGE);
        if (fs.readSync(fd, run, 0, run.length, at) !== run.length) return null;
        hmac.update(run);
        at += run.length;
        i = j + 1;
      }
      // Otherwise that instance is dropped: its memory is not a tokenizer of ours.
      if (!crypto.timingSafeEqual(hmac.digest(), mac)) return null;
      // Both instances started alike, so their tables are alike too.
      if (instance.externrefs.length !== header.table) return null;
      instance.restarted();
      return { instance, inner: instance.glue.Tokenizer.__wrap(header.pointer) };
    } catch {
      return null;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Write the image of `instance`, which has just built `inner` and done nothing else. */
  function keep(instance, inner, repoId, files) {
    if (!instance.holdsOnlyItsStart()) return;
    const memory = instance.memory.buffer;
    const view = new Uint8Array(memory);
    const pages = [];
    for (let page = 0; page < memory.byteLength / PAGE; page++) {
      if (!isZero(view, page)) pages.push(page);
    }
    const index = Buffer.alloc(pages.length * 4);
    pages.forEach((page, i) => index.writeUInt32LE(page, i * 4));
    const header = Buffer.from(
      JSON.stringify({
        format: FORMAT,
        build: BUILD,
        repo: repoId,
        commit: files.commit,
        sources: sourcesOf(files),
        memory: memory.byteLength,
        table: instance.externrefs.length,
        pointer: inner.__wbg_ptr,
        pages: pages.length,
      }),
    );
    const head = Buffer.alloc(12);
    MAGIC.copy(head);
    head.writeUInt32LE(header.length, 8);
    const parts = [head, header, index, ...pages.map((page) => view.subarray(page * PAGE, (page + 1) * PAGE))];
    const hmac = crypto.createHmac('sha256', key);
    for (const part of parts) hmac.update(part);
    writeWhole(files.image, [...parts, hmac.digest()]);
  }

  return { start, finish };
};

/**
 * This user's key for images: made once (32 random bytes, mode 0600) and
 * kept outside the cache, so it does not travel with one. Null if it can
 * be neither read nor made: then no image is written or read.
 */
function imageKey() {
  try {
    return readOrMakeKey();
  } catch {
    return null; // no home folder, say
  }
}

function readOrMakeKey() {
  const dir = path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'hubguard');
  const file = path.join(dir, 'image-key');
  const read = () => {
    try {
      const bytes = fs.readFileSync(file);
      return bytes.length === 32 ? bytes : null;
    } catch {
      return null;
    }
  };
  const found = read();
  if (found || fs.existsSync(file)) return found;
  // Made whole under another name, then linked into place (which fails if
  // another process got there first: then its key is the one).
  const temporary = temporaryName(file);
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(temporary, crypto.randomBytes(32), { mode: 0o600, flag: 'wx' });
    fs.linkSync(temporary, file);
  } catch {
    // another process made it, or the folder is read-only
  } finally {
    removeQuietly(temporary);
  }
  return read();
}

/**
 * A name beside `target` that nobody can guess, for a file made with 'wx'
 * (which never follows a link planted there) and then renamed.
 */
function temporaryName(target) {
  return `${target}.${crypto.randomBytes(8).toString('hex')}.tmp`;
}

function removeQuietly(file) {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // a folder we may not write: nothing was made there either
  }
}

/**
 * The size and modification time of each cached file an image was built
 * from: an image outlives no change to them.
 */
function sourcesOf(files) {
  return [files.tokenizer, files.config, files.template]
    .map((file) => {
      if (file == null) return '-';
      try {
        const stat = fs.statSync(file);
        return `${stat.size}@${Math.trunc(stat.mtimeMs)}`;
      } catch {
        return '?';
      }
    })
    .join(',');
}

/** The largest file a tokenizer load reads (tokenizer.json's cap; the build checks each file's own). */
const MAX_READ = 64 * 1024 * 1024;

/**
 * A cached file's bytes: a regular file within MAX_READ, read from one
 * descriptor (opened without blocking, so a FIFO planted in the cache
 * cannot hang the thread). Throws otherwise.
 */
function readCached(file) {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > MAX_READ) throw new Error(`not a cached file: ${file}`);
    const bytes = Buffer.alloc(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = fs.readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) throw new Error(`${file} shrank while it was read`);
      read += n;
    }
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/** The header's fields, each checked for type and range; null if any is off. */
function parseHeader(bytes) {
  let h;
  try {
    h = JSON.parse(bytes.toString('utf8'));
  } catch {
    return null;
  }
  const count = (n, max) => Number.isSafeInteger(n) && n >= 0 && n <= max;
  const sound =
    h !== null &&
    typeof h === 'object' &&
    h.format === FORMAT &&
    typeof h.build === 'string' &&
    typeof h.repo === 'string' &&
    typeof h.commit === 'string' &&
    typeof h.sources === 'string' &&
    count(h.memory, MAX_PAGES * PAGE) &&
    h.memory % PAGE === 0 &&
    count(h.pages, h.memory / PAGE) &&
    count(h.table, MAX_TABLE) &&
    count(h.pointer, h.memory - 1) &&
    h.pointer > 0;
  return sound ? h : null;
}

const ZERO_PAGE = Buffer.alloc(PAGE);

/** Whether 64 KiB page `page` of `view` is all zero (a native compare: a JS loop is 7x slower). */
function isZero(view, page) {
  return ZERO_PAGE.equals(Buffer.from(view.buffer, page * PAGE, PAGE));
}

/** `length` bytes at `position`, or null if the file is shorter. */
function readAt(fd, length, position) {
  const bytes = Buffer.alloc(length);
  return fs.readSync(fd, bytes, 0, length, position) === length ? bytes : null;
}

/** The file's bytes, or undefined if it cannot be read (the form is optional). */
function readIfThere(file) {
  try {
    return readCached(file);
  } catch {
    return undefined;
  }
}

/**
 * `parts` as the file `target`, written whole under another name, then
 * renamed: a reader never sees part of one. Best effort: a read-only cache
 * or a full disk only means the next load builds again.
 */
function writeWhole(target, parts) {
  const temporary = temporaryName(target);
  let fd;
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fd = fs.openSync(temporary, 'wx', 0o644);
    for (const bytes of parts) {
      let written = 0;
      while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
    }
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(temporary, target);
  } catch {
    if (fd !== undefined) fs.closeSync(fd);
    removeQuietly(temporary);
  }
}
