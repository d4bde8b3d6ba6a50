// What the encode benchmarks share: the tokenizers of the conformance
// matrix served as Hub repos, the timing rule, and the anchors
// (Transformers.js, native Python `tokenizers`, and the crate hubguard
// ships compiled natively).

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { matrix, texts } from '../fixtures/conformance.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromTests = createRequire(path.resolve(here, '../package.json'));
const python = process.env.PYTHON ?? 'python3';

export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Best of ROUNDS: the least disturbed run on a shared machine. */
export function bestOf(fn) {
  let best = Infinity;
  let result;
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    result = fn();
    best = Math.min(best, performance.now() - start);
  }
  return { result, ms: best };
}

/** Rows of strings as right-aligned columns under `header`. */
export function printTable(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padStart(widths[i])).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

export const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
export const digest = (ids) => createHash('sha256').update(JSON.stringify(ids)).digest('hex');

/**
 * The matrix's tokenizers (only those named in BENCH_ONLY, if set), with
 * the Unigram one trained first if this checkout has not made it yet.
 */
export async function benchTokenizers() {
  const tokenizers = await matrix();
  const unigram = tokenizers.find((t) => t.name === 'unigram');
  if (!existsSync(path.join(unigram.dir, 'tokenizer.json'))) {
    spawnSync(python, [path.resolve(here, '../python/tokenizer_reference.py')], {
      input: JSON.stringify({ train_unigram: unigram.dir, texts: texts([]) }),
    });
  }
  const only = process.env.BENCH_ONLY?.split(',');
  return only ? tokenizers.filter((t) => only.includes(t.name)) : tokenizers;
}

/** Each tokenizer as the Hub repo `bench/{name}`, for startHub's extraRepos. */
export function benchRepos(tokenizers) {
  return tokenizers.map((t) => {
    const files = { 'tokenizer.json': readFileSync(path.join(t.dir, 'tokenizer.json')) };
    const config = path.join(t.dir, 'tokenizer_config.json');
    if (existsSync(config)) files['tokenizer_config.json'] = readFileSync(config);
    return { id: `bench/${t.name}`, files };
  });
}

/** Transformers.js, loading from the local Hub into its own cache. */
export async function transformersFor(hubUrl, cacheDir) {
  const transformers = await import(fromTests.resolve('@huggingface/transformers'));
  transformers.env.remoteHost = `${hubUrl}/`;
  transformers.env.allowLocalModels = false;
  transformers.env.useBrowserCache = false;
  transformers.env.useFSCache = true;
  transformers.env.cacheDir = cacheDir;
  return transformers;
}

/** Native Python `tokenizers` on the same lines: → { ms, tokens, ids_digest }. */
export const nativeEncode = (tokenizerJson, lines) =>
  runAnchor('encode_native.py', python, [path.join(here, 'encode_native.py')], tokenizerJson, lines);

/**
 * The `tokenizers` crate hubguard ships, compiled for the host
 * (tests/bench/crate_native, built by `make bench`): the ceiling of any
 * hubguard build on this crate. → { ms, tokens, ids_digest }.
 */
export const crateNativeEncode = (tokenizerJson, lines) =>
  runAnchor('crate_native', crateNativeBinary, [], tokenizerJson, lines);

const crateNativeBinary = path.join(here, 'crate_native/target/release/hubguard-crate-native-bench');

// Both native anchors read the same job on stdin and print the same answer.
function runAnchor(name, command, args, tokenizerJson, lines) {
  const run = spawnSync(command, args, {
    input: JSON.stringify({ tokenizer: tokenizerJson, lines, rounds: ROUNDS }),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (run.status !== 0) throw new Error(`${name} failed:\n${run.error ?? run.stderr}`);
  return JSON.parse(run.stdout);
}

/**
 * The source of a Node program that loads `repo` once with hubguard (the
 * package at `modulePath`) and prints how long `from_pretrained` took.
 */
export function hubguardLoad(modulePath, repo, hubUrl, cacheDir) {
  return `const { AutoTokenizer, env } = await import(${JSON.stringify(modulePath)});
    env.endpoint = ${JSON.stringify(hubUrl)};
    const start = performance.now();
    await AutoTokenizer.from_pretrained(${JSON.stringify(repo)}, { cache_dir: ${JSON.stringify(cacheDir)} });
    console.log(performance.now() - start);`;
}

/** The same with Transformers.js. */
export function transformersLoad(repo, hubUrl, cacheDir) {
  return `const { AutoTokenizer, env } = await import(${JSON.stringify(pathToFileURL(fromTests.resolve('@huggingface/transformers')).href)});
    env.remoteHost = ${JSON.stringify(`${hubUrl}/`)};
    env.allowLocalModels = false;
    env.useBrowserCache = false;
    env.useFSCache = true;
    env.cacheDir = ${JSON.stringify(cacheDir)};
    const start = performance.now();
    await AutoTokenizer.from_pretrained(${JSON.stringify(repo)});
    console.log(performance.now() - start);`;
}

/**
 * Run a program's `source` in a new Node process (with `extraEnv`); → the
 * last line it printed. Async, because the Hub answering it runs in this
 * process.
 */
export function runFresh(source, extraEnv = {}) {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, BENCH_ROUNDS: String(ROUNDS), ...extraEnv };
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      if (code === 0) resolve(out.trim().split('\n').pop());
      else reject(new Error(`a benchmark process failed (exit ${code}):\n${err}`));
    });
  });
}

/**
 * A load `source` (see hubguardLoad) run in fresh processes, as an
 * application starting up meets it: cold is the first run (into an empty
 * cache), first the next one (hubguard's first load from the cache builds
 * the tokenizer and keeps its image), warm the median of ROUNDS after it.
 * → { cold, first, warm } in ms.
 */
export async function loadTimes(source, extraEnv = {}) {
  const once = async () => {
    const ms = Number(await runFresh(source, extraEnv));
    if (!Number.isFinite(ms)) throw new Error('a load printed no time');
    return ms;
  };
  const cold = await once();
  const first = await once();
  const warm = [];
  for (let i = 0; i < ROUNDS; i++) warm.push(await once());
  return { cold, first, warm: warm.sort((a, b) => a - b)[Math.floor(warm.length / 2)] };
}
