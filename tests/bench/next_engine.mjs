// What the next major version of the `tokenizers` crate (1.0, a release
// candidate today) would give hubguard: its `PipelineTokenizer` compiled to
// wasm (tests/bench/next_engine/, never shipped) against the same anchors
// as `make bench`, on the same corpus, in one run. Fails if its ids differ
// from Python's on any line.
//
// The release candidate reads only version-2.0 tokenizer.json, so a file as
// the Hub serves it is first converted (the crate's `canonicalize_value`).
// "load" is the release candidate reading the converted file, the part a
// cache could not skip: hubguard would keep the converted form, as it keeps
// the pre-parsed one today. Every engine run is a fresh Node process, like
// the load times of `make bench`.
//
//   make bench-next    (or, once built: node tests/bench/next_engine.mjs)

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub } from '../hub/server.mjs';
import { corpus } from './corpus.mjs';
import {
  ROUNDS,
  bestOf,
  benchRepos,
  benchTokenizers,
  digest,
  geomean,
  loadTimes,
  nativeEncode,
  printTable,
  runFresh,
  transformersFor,
  transformersLoad,
} from './support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const wasmPath = path.join(here, 'next_engine/target/wasm32-unknown-unknown/release/hubguard_next_engine_bench.wasm');

/**
 * In a fresh process: convert and load `tokenizerJson` with the release
 * candidate, then encode the corpus line by line. Prints one JSON line.
 */
function engineRun(tokenizerJson) {
  return `
    import { readFileSync } from 'node:fs';
    import { corpus } from ${JSON.stringify(path.join(here, 'corpus.mjs'))};
    import { bestOf, digest } from ${JSON.stringify(path.join(here, 'support.mjs'))};
    const engine = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(${JSON.stringify(wasmPath)})), {}).exports;
    const text = (at, len) => Buffer.from(engine.memory.buffer, at, len).toString('utf8');
    const check = (n) => {
      if (n < 0) throw new Error(text(engine.output(), -n));
      return n;
    };
    const put = (bytes) => {
      const at = engine.buffer(bytes.length); // may grow memory: view it after
      new Uint8Array(engine.memory.buffer, at, bytes.length).set(bytes);
      return bytes.length;
    };
    let start = performance.now();
    const len = check(engine.canonicalize(put(readFileSync(${JSON.stringify(tokenizerJson)}))));
    const canonical = new Uint8Array(engine.memory.buffer, engine.output(), len).slice();
    const convertMs = performance.now() - start;
    start = performance.now();
    check(engine.load(put(canonical)));
    const loadMs = performance.now() - start;
    const encoder = new TextEncoder();
    const encode = (line) => {
      // UTF-8 straight into wasm memory, as hubguard's encode does.
      const at = engine.buffer(line.length * 3);
      const { written } = encoder.encodeInto(line, new Uint8Array(engine.memory.buffer, at, line.length * 3));
      const n = check(engine.encode(written, true));
      return Array.from(new Uint32Array(engine.memory.buffer, engine.ids(), n));
    };
    const lines = corpus();
    const run = bestOf(() => lines.map(encode));
    const tokens = run.result.reduce((n, ids) => n + ids.length, 0);
    console.log(JSON.stringify({ convertMs, loadMs, ms: run.ms, tokens, ids_digest: digest(run.result) }));`;
}

const tokenizers = await benchTokenizers();
const hub = await startHub({ extraRepos: benchRepos(tokenizers) });
const cacheDir = path.join(mkdtempSync(path.join(tmpdir(), 'hubguard-bench-next-')), 'transformers.js');
let failed = false;
try {
  const transformers = await transformersFor(hub.url, cacheDir);
  const lines = corpus();
  console.log(`tokenizers 1.0.0-rc.3 (wasm) against the anchors; corpus ${lines.length} lines; best of ${ROUNDS}\n`);
  const header = ['tokenizer', 'next engine', 'transformers.js', 'python', 'x TJS', 'x native', 'ids', 'convert ms', 'load ms', 'TJS warm load ms', 'load x TJS'];
  const rows = [];
  const [vsTjs, vsNative, vsTjsLoad] = [[], [], []];
  for (const t of tokenizers) {
    const repo = `bench/${t.name}`;
    const tjsTimes = await loadTimes(transformersLoad(repo, hub.url, cacheDir));
    const theirs = await transformers.AutoTokenizer.from_pretrained(repo);
    const b = bestOf(() => lines.map((l) => theirs.encode(l)));
    const tokenizerJson = path.join(t.dir, 'tokenizer.json');
    const native = nativeEncode(tokenizerJson, lines);
    let ours;
    try {
      ours = JSON.parse(await runFresh(engineRun(tokenizerJson)));
    } catch (e) {
      // A config the release candidate does not read yet is a result too.
      console.error(e.message.slice(0, 1500)); rows.push([t.name, `fails: ${String(e.message).split('\n').find((l) => l.startsWith('Error')) ?? 'see stderr'}`, '', '', '', '', '', '', '', '', '']);
      failed = true;
      continue;
    }
    const same = ours.ids_digest === native.ids_digest;
    if (!same) failed = true;
    const rate = (ms) => (ours.tokens / (ms / 1000) / 1e6).toFixed(2) + 'M';
    vsTjs.push(b.ms / ours.ms);
    vsNative.push(native.ms / ours.ms);
    vsTjsLoad.push(tjsTimes.warm / ours.loadMs);
    rows.push([
      t.name,
      rate(ours.ms),
      rate(b.ms),
      rate(native.ms),
      (b.ms / ours.ms).toFixed(2),
      (native.ms / ours.ms).toFixed(2),
      same ? 'same as Python' : 'DIFFER',
      ours.convertMs.toFixed(0),
      ours.loadMs.toFixed(0),
      tjsTimes.warm.toFixed(0),
      (tjsTimes.warm / ours.loadMs).toFixed(2),
    ]);
    console.error(`  ${t.name} done`);
  }
  printTable(header, rows);
  if (vsTjs.length) {
    console.log(`\ngeometric mean: next engine / transformers.js ${geomean(vsTjs).toFixed(2)}x; / native ${geomean(vsNative).toFixed(2)}x (min ${Math.min(...vsNative).toFixed(2)}x)`);
    console.log(`load of the converted file, fresh process: ${vsTjsLoad.map((r) => r.toFixed(2) + 'x').join(', ')} as fast as a warm Transformers.js load`);
  }
  console.log(`wasm: ${(readFileSync(wasmPath).length / 1e6).toFixed(2)} MB (not optimized by wasm-opt)`);
  process.exitCode = failed ? 1 : 0;
} finally {
  await hub.close();
}
