// Encode and load benchmark over the conformance matrix (every tokenizer in
// tests/fixtures/conformance.mjs), in one run: hubguard against
// Transformers.js and native Python `tokenizers`, each tokenizer served by
// the local Hub. Prints tokens/s, ratios with their geometric means, cold
// and warm (from cache) load times, and the gzipped size of the browser
// wasm. Fails if hubguard's ids differ from Python's on any line.
//
// Load times are taken in fresh processes, as an application starting up
// meets them: cold is the first load into an empty cache, warm the median
// of ROUNDS later processes loading from the cache.
//
//   make bench        (or: node tests/bench/encode.mjs after `make consumer`)
//   BENCH_ROUNDS=5 BENCH_ONLY=llama3,qwen3 make bench

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startHub } from '../hub/server.mjs';
import { matrix, texts } from '../fixtures/conformance.mjs';
import { corpus } from './corpus.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const consumer = path.resolve(here, '../../target/consumer');
const fromConsumer = createRequire(path.join(consumer, 'package.json'));
const fromTests = createRequire(path.resolve(here, '../package.json'));

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ONLY = process.env.BENCH_ONLY?.split(',');

/** Best of ROUNDS: the least disturbed run on a shared machine. */
function bestOf(fn) {
  let best = Infinity;
  let result;
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - start);
  }
  return { result, ms: best };
}

/**
 * One `from_pretrained` of `repo` in a new Node process, by hubguard or
 * Transformers.js, each with its own cache under `cacheHome`; → ms. (Async:
 * the Hub answering it runs in this process.)
 */
function loadInFreshProcess(which, repo, hubUrl, cacheHome) {
  const source =
    which === 'hubguard'
      ? `const { AutoTokenizer, env } = await import(${JSON.stringify(fromConsumer.resolve('hubguard'))});
         env.endpoint = ${JSON.stringify(hubUrl)};
         const start = performance.now();
         await AutoTokenizer.from_pretrained(${JSON.stringify(repo)}, { cache_dir: ${JSON.stringify(path.join(cacheHome, 'hubguard'))} });
         console.log(performance.now() - start);`
      : `const { AutoTokenizer, env } = await import(${JSON.stringify(pathToFileURL(fromTests.resolve('@huggingface/transformers')).href)});
         env.remoteHost = ${JSON.stringify(`${hubUrl}/`)};
         env.allowLocalModels = false;
         env.useBrowserCache = false;
         env.useFSCache = true;
         env.cacheDir = ${JSON.stringify(path.join(cacheHome, 'transformers.js'))};
         const start = performance.now();
         await AutoTokenizer.from_pretrained(${JSON.stringify(repo)});
         console.log(performance.now() - start);`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const ms = Number(out.trim().split('\n').pop());
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`${which} load of ${repo} failed (exit ${code}):\n${err}`));
    });
  });
}

/** Cold, then the median of ROUNDS warm loads, each in a fresh process. */
async function loadTimes(which, repo, hubUrl, cacheHome) {
  const cold = await loadInFreshProcess(which, repo, hubUrl, cacheHome);
  const warm = [];
  for (let i = 0; i < ROUNDS; i++) warm.push(await loadInFreshProcess(which, repo, hubUrl, cacheHome));
  return { cold, warm: warm.sort((a, b) => a - b)[Math.floor(warm.length / 2)] };
}

const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
const digest = (ids) => createHash('sha256').update(JSON.stringify(ids)).digest('hex');

let tokenizers = await matrix();
const unigram = tokenizers.find((t) => t.name === 'unigram');
if (!existsSync(path.join(unigram.dir, 'tokenizer.json'))) {
  spawnSync(process.env.PYTHON ?? 'python3', [path.resolve(here, '../python/tokenizer_reference.py')], {
    input: JSON.stringify({ train_unigram: unigram.dir, texts: texts([]) }),
  });
}
if (ONLY) tokenizers = tokenizers.filter((t) => ONLY.includes(t.name));

const extraRepos = tokenizers.map((t) => {
  const files = { 'tokenizer.json': readFileSync(path.join(t.dir, 'tokenizer.json')) };
  const config = path.join(t.dir, 'tokenizer_config.json');
  if (existsSync(config)) files['tokenizer_config.json'] = readFileSync(config);
  return { id: `bench/${t.name}`, files };
});
const hub = await startHub({ extraRepos });
const cacheHome = mkdtempSync(path.join(tmpdir(), 'hubguard-bench-'));
let failed = false;
try {
  const hubguard = fromConsumer('hubguard');
  hubguard.env.endpoint = hub.url;
  const transformers = await import(fromTests.resolve('@huggingface/transformers'));
  transformers.env.remoteHost = `${hub.url}/`;
  transformers.env.allowLocalModels = false;
  transformers.env.useBrowserCache = false;
  transformers.env.useFSCache = true;
  transformers.env.cacheDir = path.join(cacheHome, 'transformers.js');

  const lines = corpus();
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  console.log(`corpus: ${lines.length} lines, ${(bytes / 1e6).toFixed(2)} MB; best of ${ROUNDS}; tokens/s counted on hubguard's ids\n`);
  const header = ['tokenizer', 'tokens', 'hubguard', 'batch', 'transformers.js', 'python', 'x TJS', 'x native', 'load cold/warm ms', 'TJS cold/warm ms', 'warm x TJS'];
  const rows = [];
  const vsTjs = [];
  const vsNative = [];
  // Every load first: a long synchronous encode loop would let the Hub's
  // keep-alive connections time out under the next load (ECONNRESET).
  const loads = [];
  const vsTjsLoad = [];
  for (const t of tokenizers) {
    const repo = `bench/${t.name}`;
    const ourTimes = await loadTimes('hubguard', repo, hub.url, cacheHome);
    const tjsTimes = await loadTimes('transformers.js', repo, hub.url, cacheHome);
    vsTjsLoad.push(tjsTimes.warm / ourTimes.warm);
    const cache_dir = path.join(cacheHome, 'hubguard');
    loads.push({
      ours: await hubguard.AutoTokenizer.from_pretrained(repo, { cache_dir }),
      theirs: await transformers.AutoTokenizer.from_pretrained(repo),
      ourTimes,
      tjsTimes,
    });
  }
  for (const [index, t] of tokenizers.entries()) {
    const { ours, theirs, ourTimes, tjsTimes } = loads[index];

    const a = bestOf(() => lines.map((l) => ours.encode(l)));
    const batch = bestOf(() => ours.batch_encode(lines));
    const b = bestOf(() => lines.map((l) => theirs.encode(l)));
    const run = spawnSync(process.env.PYTHON ?? 'python3', [path.join(here, 'encode_native.py')], {
      input: JSON.stringify({ tokenizer: path.join(t.dir, 'tokenizer.json'), lines, rounds: ROUNDS }),
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    const native = JSON.parse(run.stdout);

    const tokens = a.result.reduce((n, ids) => n + ids.length, 0);
    const tjsMismatches = a.result.filter((ids, i) => ids.length !== b.result[i].length || ids.some((v, j) => v !== b.result[i][j])).length;
    const nativeSame = native.ids_digest === digest(a.result) && digest(batch.result) === native.ids_digest;
    if (!nativeSame) failed = true;
    const rate = (ms) => (tokens / (ms / 1000) / 1e6).toFixed(2) + 'M';
    vsTjs.push(b.ms / a.ms);
    vsNative.push(native.ms / a.ms);
    rows.push([
      t.name,
      String(tokens),
      rate(a.ms),
      rate(batch.ms),
      rate(b.ms) + (tjsMismatches ? ` (${tjsMismatches} lines differ)` : ''),
      rate(native.ms),
      (b.ms / a.ms).toFixed(2),
      (native.ms / a.ms).toFixed(2) + (nativeSame ? '' : ' IDS DIFFER'),
      `${ourTimes.cold.toFixed(0)}/${ourTimes.warm.toFixed(0)}`,
      `${tjsTimes.cold.toFixed(0)}/${tjsTimes.warm.toFixed(0)}`,
      (tjsTimes.warm / ourTimes.warm).toFixed(2),
    ]);
    console.error(`  ${t.name} done`);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(`\ngeometric mean: hubguard / transformers.js ${geomean(vsTjs).toFixed(2)}x (target >= 3x); hubguard / native ${geomean(vsNative).toFixed(2)}x (target >= 0.9x on each: min ${Math.min(...vsNative).toFixed(2)}x)`);
  console.log(`warm load, fresh process: hubguard is ${vsTjsLoad.map((r) => r.toFixed(2) + 'x').join(', ')} as fast as transformers.js (target >= 2x)`);
  console.log('columns: per-line encode() for hubguard, Transformers.js and Python; "batch" is hubguard batch_encode(lines), one call into wasm.');

  const wasm = path.join(consumer, 'node_modules/hubguard/browser/hubguard_wasm_bg.wasm');
  const raw = readFileSync(wasm);
  console.log(`browser wasm: ${(raw.length / 1e6).toFixed(2)} MB, ${(gzipSync(raw, { level: 9 }).length / 1e6).toFixed(2)} MB gzipped (limit 2.5 MB)`);
  console.log(`ids: hubguard ${failed ? 'DIFFERS from' : 'equals'} Python tokenizers on every line of every tokenizer`);
  process.exitCode = failed ? 1 : 0;
} finally {
  await hub.close();
}
