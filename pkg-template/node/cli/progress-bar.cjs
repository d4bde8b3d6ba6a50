'use strict';
// One progress line on a terminal's stderr, for all files of a download.
// Only used when stderr is a TTY: pipes and logs get no bar and no noise.

const WIDTH = 24;
const REDRAW_MS = 100;

function megabytes(bytes) {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

class ProgressBar {
  constructor(stream = process.stderr) {
    this.stream = stream;
    this.files = new Map(); // file → { loaded, total, done }
    this.lastDraw = 0;
    this.drawn = false;
  }

  /** A Transformers.js-style progress event (progress_callback). */
  update(event) {
    const entry = this.files.get(event.file) ?? { loaded: 0, total: undefined, done: false };
    if (event.status === 'progress') {
      entry.loaded = event.loaded ?? entry.loaded;
      entry.total = event.total ?? entry.total;
    } else if (event.status === 'done') {
      entry.done = true;
      if (entry.total !== undefined) entry.loaded = entry.total;
    }
    this.files.set(event.file, entry);
    const now = Date.now();
    if (now - this.lastDraw >= REDRAW_MS || event.status === 'done') {
      this.lastDraw = now;
      this.draw();
    }
  }

  draw() {
    let loaded = 0;
    let total = 0;
    let done = 0;
    for (const f of this.files.values()) {
      loaded += f.loaded;
      total += f.total ?? f.loaded;
      if (f.done) done += 1;
    }
    const fraction = total > 0 ? Math.min(1, loaded / total) : 0;
    const filled = Math.round(fraction * WIDTH);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}`;
    const files = this.files.size === 1 ? [...this.files.keys()][0] : `${done}/${this.files.size} files`;
    const line = `${files}  [${bar}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${megabytes(loaded)} / ${megabytes(total)}`;
    const columns = this.stream.columns || 80;
    this.stream.write(`\r${line.slice(0, columns - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Clears the line, so the paths printed on stdout stand alone. */
  finish() {
    if (this.drawn) this.stream.write('\r\x1b[K');
  }
}

module.exports = { ProgressBar };
