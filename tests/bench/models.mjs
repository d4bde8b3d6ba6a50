// Model loading benchmark: Transformers.js (4.3.1, Node) loads a gated
// BERT-shaped ONNX model of 200+ MB, made now by tests/fixtures/tiny_bert.py,
// from the local Hub as a feature-extraction pipeline:
//   - Transformers.js alone (its own fetch, HF_TOKEN, its FS cache);
//   - configureTransformers(env) (hubFetch and the custom cache over the
//     huggingface_hub cache);
//   - env.fetch = hubFetch alone (hubguard downloads, Transformers.js
//     still copies into its own cache).
// Each load runs in a fresh process: cold (empty caches), then warm (the
// median of BENCH_ROUNDS). Printed: the pipeline() time (for hubguard,
// importing it counts), the process's peak RSS, the requests the Hub saw,
// and the ratios against Transformers.js alone, all from this one run.
//
// Transformers.js sends HF_TOKEN only to huggingface.co or hf.co, so every
// process resolves huggingface.co to 127.0.0.1 (a dns.lookup preload) and
// the Hub is http://huggingface.co:PORT (plain HTTP on loopback, no TLS).
//
//   make bench-models   (or: node tests/bench/models.mjs after `make consumer` and `make deps`)
//   BENCH_MODEL_ROWS=50000 BENCH_MODEL_HIDDEN=1024 (the default: 204.8 MB of weights)

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHub, TOKENS } from '../hub/server.mjs';
import { makeTinyBert, repoFiles } from '../fixtures/tiny-bert.mjs';
import { printTable } from './support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const hubguardUrl = pathToFileURL(createRequire(path.resolve(here, '../../target/consumer/package.json')).resolve('hubguard')).href;
const transformersUrl = pathToFileURL(createRequire(path.resolve(here, '../package.json')).resolve('@huggingface/transformers')).href;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = process.env.BENCH_MODEL_ROWS ?? '50000';
const HIDDEN = process.env.BENCH_MODEL_HIDDEN ?? '1024';
const REPO = 'hubguard-bench/gated-bert';
const MB = 1 << 20;

// huggingface.co → 127.0.0.1 in each child, for Node's http and fetch alike.
const RESOLVE_HF = `data:text/javascript,${encodeURIComponent(`
  import dns from 'node:dns';
  const lookup = dns.lookup;
  dns.lookup = function (host, options, callback) {
    return lookup.call(this, host === 'huggingface.co' ? '127.0.0.1' : host, options, callback);
  };`)}`;

/**
 * One load in a fresh process. mode: tjs | configure | offline (configure,
 * HF_HUB_OFFLINE=1: no revalidation) | fetch. → { ms (pipeline()),
 * importMs (importing and setting up hubguard), rssMb, digest }.
 */
function load(mode, { endpoint, home, tjsCache }) {
  const source = `
    const { env, pipeline } = await import(${JSON.stringify(transformersUrl)});
    env.cacheDir = ${JSON.stringify(tjsCache)};
    env.allowLocalModels = false;
    const mode = ${JSON.stringify(mode)};
    const imported = performance.now();
    if (mode === 'tjs') {
      env.remoteHost = ${JSON.stringify(`${endpoint}/`)};
    } else {
      const hubguard = await import(${JSON.stringify(hubguardUrl)});
      if (mode === 'fetch') {
        env.fetch = hubguard.hubFetch;
        env.remoteHost = ${JSON.stringify(`${endpoint}/`)};
      } else hubguard.configureTransformers(env);
    }
    const importMs = performance.now() - imported;
    const start = performance.now();
    const extractor = await pipeline('feature-extraction', ${JSON.stringify(REPO)});
    const ms = performance.now() - start;
    const output = await extractor('Hello world', { pooling: 'mean', normalize: true });
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(JSON.stringify(output.tolist())).digest('hex').slice(0, 12);
    console.log(JSON.stringify({ ms, importMs, rssMb: process.resourceUsage().maxRSS / 1024, digest }));`;
  const env = { PATH: process.env.PATH, HOME: home, HF_HOME: path.join(home, 'hf'), HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: endpoint };
  if (mode === 'offline') env.HF_HUB_OFFLINE = '1';
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', RESOLVE_HF, '--input-type=module', '-e', source], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`${mode} load failed (${e.message}):\n${out}\n${err}`));
      }
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hubguard-bench-model-'));
  console.log(`making a ${ROWS} x ${HIDDEN} BERT-shaped ONNX model…`);
  await makeTinyBert(path.join(dir, 'model'), ['--rows', ROWS, '--hidden', HIDDEN]);
  const files = repoFiles(path.join(dir, 'model'));
  const modelMb = files['onnx/model.onnx'].content.length / MB;
  const hub = await startHub({ extraRepos: [{ id: REPO, visibility: 'gated', files }] });
  const endpoint = hub.url.replace('127.0.0.1', 'huggingface.co');
  console.log(`model.onnx: ${modelMb.toFixed(1)} MB (LFS, behind the CDN); Hub ${endpoint}; ${ROUNDS} warm rounds\n`);

  const results = {};
  const digests = new Set();
  const places = (home) => ({ endpoint, home, tjsCache: path.join(home, 'tjs-cache') });
  try {
    const homes = {};
    const requests = async (body) => {
      const mark = hub.hubLog.length;
      const result = await body();
      return { result, requests: hub.hubLog.length - mark };
    };
    for (const mode of ['tjs', 'configure', 'fetch']) {
      homes[mode] = mkdtempSync(path.join(dir, `${mode}-`));
      const cold = await requests(() => load(mode, places(homes[mode])));
      results[mode] = { cold: cold.result, coldRequests: cold.requests, warm: [] };
      digests.add(cold.result.digest);
    }
    // Warm rounds interleaved, so that a busy moment of a shared machine
    // does not land on one case only.
    results.offline = { warm: [] };
    for (let i = 0; i < ROUNDS; i++) {
      for (const mode of ['tjs', 'configure', 'offline', 'fetch']) {
        const home = homes[mode === 'offline' ? 'configure' : mode];
        const warm = await requests(() => load(mode, places(home)));
        results[mode].warm.push(warm.result);
        results[mode].warmRequests = warm.requests;
        digests.add(warm.result.digest);
      }
    }
    for (const r of Object.values(results)) {
      r.warm = { ms: median(r.warm.map((w) => w.ms)), rssMb: median(r.warm.map((w) => w.rssMb)), importMs: median(r.warm.map((w) => w.importMs)) };
    }
  } finally {
    await hub.close();
  }

  const names = {
    tjs: 'Transformers.js alone',
    configure: 'configureTransformers',
    offline: '  same, HF_HUB_OFFLINE=1',
    fetch: 'env.fetch = hubFetch',
  };
  const f = (n, d = 0) => (n === undefined ? '-' : n.toFixed(d));
  printTable(
    ['case', 'cold ms', 'cold peak MB', 'warm ms', 'warm peak MB', 'Hub requests cold/warm', 'hubguard import ms'],
    ['tjs', 'configure', 'offline', 'fetch'].map((mode) => {
      const r = results[mode];
      return [
        names[mode],
        f(r.cold?.ms),
        f(r.cold?.rssMb),
        f(r.warm.ms),
        f(r.warm.rssMb),
        `${r.coldRequests ?? '-'}/${r.warmRequests}`,
        mode === 'tjs' ? '-' : f(r.warm.importMs),
      ];
    }),
  );
  console.log('(ms: the pipeline() call; importing hubguard and configuring it is the last column, paid once per process)');
  const tjs = results.tjs;
  console.log('');
  for (const mode of ['configure', 'fetch']) {
    const r = results[mode];
    const speedup = tjs.cold.ms / r.cold.ms;
    const warmRatio = r.warm.ms / tjs.warm.ms;
    const rssBudget = tjs.warm.rssMb + 50;
    const withImport = (r.warm.ms + r.warm.importMs) / tjs.warm.ms;
    console.log(
      `${names[mode]}: cold ${f(speedup, 2)}x Transformers.js (target >= 1.5x: ${speedup >= 1.5 ? 'met' : 'NOT met'}); ` +
        `warm ${f(warmRatio, 2)}x its time (target <= 1.10: ${warmRatio <= 1.1 ? 'met' : 'NOT met'}; ${f(withImport, 2)}x with the import); ` +
        `cold peak ${f(r.cold.rssMb)} MB vs its warm peak + 50 = ${f(rssBudget)} MB (${r.cold.rssMb <= rssBudget ? 'met' : 'NOT met'})`,
    );
  }
  // Where a cold load's time goes: the download is what differs between the
  // cases (a warm load does everything else), and hubguard hashes every
  // byte on its way to disk (sha256 against what the Hub announced, on the
  // main thread) where Transformers.js checks nothing.
  const model = files['onnx/model.onnx'].content;
  const hashStart = performance.now();
  const hash = createHash('sha256');
  for (let at = 0; at < model.length; at += MB) hash.update(model.subarray(at, at + MB));
  hash.digest();
  const hashMs = performance.now() - hashStart;
  console.log(
    `\ndownload part (cold minus warm): Transformers.js ${f(tjs.cold.ms - tjs.warm.ms)} ms, ` +
      `configureTransformers ${f(results.configure.cold.ms - results.configure.warm.ms)} ms, ` +
      `env.fetch = hubFetch ${f(results.fetch.cold.ms - results.fetch.warm.ms)} ms; ` +
      `sha256 of the ${f(modelMb)} MB model in node:crypto here: ${f(hashMs)} ms`,
  );
  console.log(`embeddings: ${digests.size === 1 ? 'identical in every run' : `DIFFER (${[...digests].join(', ')})`}`);
  if (digests.size !== 1) process.exitCode = 1;
  rmSync(dir, { recursive: true, force: true });
}

await main();
