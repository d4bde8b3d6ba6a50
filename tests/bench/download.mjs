// Download benchmark: a large generated LFS file (200 MB, then 400 MB) from
// the local Hub, fetched cold into an empty cache by hubguard's
// downloadFile, Python huggingface_hub's hf_hub_download and
// @huggingface/hub's downloadFileToCacheDir, one after another, each in a
// child process of its own. Prints seconds (the download call, timed inside
// the child), the child's own peak RSS, ratios against huggingface_hub, and
// checks every result file's sha256. Then the warm (cache-hit)
// AutoTokenizer.from_pretrained time, hubguard against Transformers.js.
//
//   make bench-download   (or: node tests/bench/download.mjs after `make consumer` and `make deps`)
//   BENCH_SIZES_MB=50,100 to try other sizes.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHub } from '../hub/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const hubguardUrl = pathToFileURL(createRequire(path.resolve(here, '../../target/consumer/package.json')).resolve('hubguard')).href;
const fromTests = createRequire(path.resolve(here, '../package.json'));
const hfHubUrl = pathToFileURL(fromTests.resolve('@huggingface/hub')).href;
const transformersUrl = pathToFileURL(fromTests.resolve('@huggingface/transformers')).href;
const PYTHON = process.env.PYTHON ?? 'python3';

const MB = 1 << 20;
const SIZES = (process.env.BENCH_SIZES_MB ?? '200,400').split(',').map(Number);
const REPO = 'hubguard-bench/weights';
const TOKENIZER_REPO = 'hubguard-test/public-llama';
const WARM_RUNS = Number(process.env.BENCH_ROUNDS ?? 3);
const fileName = (mb) => `model-${mb}mb.safetensors`;

/** Runs a child; resolves to the JSON object its last stdout line holds. */
function child(command, args, env) {
  return new Promise((resolve, reject) => {
    const p = spawn(command, args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    p.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(new Error(`${command} ${args.slice(0, 2).join(' ')}: ${e.message}\n${out}\n${err}`));
      }
    });
  });
}

const nodeChild = (source, env) => child(process.execPath, ['--input-type=module', '-e', source], env);

/** Each client: download `file` of REPO into `cacheDir`; → { seconds, maxRssKb, path }. */
const CLIENTS = {
  hubguard: (hub, file, cacheDir) =>
    nodeChild(
      `const { downloadFile } = await import(${JSON.stringify(hubguardUrl)});
       const t0 = performance.now();
       const path = await downloadFile({ repo: ${JSON.stringify(REPO)}, path: ${JSON.stringify(file)}, cacheDir: ${JSON.stringify(cacheDir)} });
       console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, maxRssKb: process.resourceUsage().maxRSS, path }));`,
      { HF_ENDPOINT: hub.url },
    ),
  huggingface_hub: (hub, file, cacheDir) =>
    child(
      PYTHON,
      [
        '-c',
        `import json, resource, time
from huggingface_hub import hf_hub_download
t0 = time.perf_counter()
path = hf_hub_download(${JSON.stringify(REPO)}, ${JSON.stringify(file)}, cache_dir=${JSON.stringify(cacheDir)})
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "path": path}))`,
      ],
      { HF_ENDPOINT: hub.url, HF_HUB_DISABLE_PROGRESS_BARS: '1', HF_HUB_DISABLE_TELEMETRY: '1' },
    ),
  '@huggingface/hub': (hub, file, cacheDir) =>
    nodeChild(
      `const { downloadFileToCacheDir } = await import(${JSON.stringify(hfHubUrl)});
       const t0 = performance.now();
       const path = await downloadFileToCacheDir({ repo: ${JSON.stringify(REPO)}, path: ${JSON.stringify(file)}, cacheDir: ${JSON.stringify(cacheDir)}, hubUrl: ${JSON.stringify(hub.url)} });
       console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, maxRssKb: process.resourceUsage().maxRSS, path }));`,
      {},
    ),
};

/**
 * Floors: the runtime's own HTTP clients reading the same file and throwing
 * the bytes away (no disk, no hash). `node:http` is what hubguard's Node
 * build stands on; `fetch` is what @huggingface/hub stands on.
 */
const FLOORS = {
  'node:http only': (hub, file) =>
    nodeChild(
      `const http = await import('node:http');
       const get = (url) => new Promise((resolve, reject) => http.get(url, resolve).on('error', reject));
       const t0 = performance.now();
       let url = ${JSON.stringify(hub.url)} + '/' + ${JSON.stringify(REPO)} + '/resolve/main/' + ${JSON.stringify(file)};
       let res = await get(url);
       while (res.statusCode >= 300 && res.statusCode < 400) {
         res.resume();
         url = new URL(res.headers.location, url).href;
         res = await get(url);
       }
       let bytes = 0;
       for await (const chunk of res) bytes += chunk.length;
       console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, maxRssKb: process.resourceUsage().maxRSS, bytes }));`,
      {},
    ),
  'fetch only': (hub, file) =>
    nodeChild(
      `const t0 = performance.now();
       const res = await fetch(${JSON.stringify(hub.url)} + '/' + ${JSON.stringify(REPO)} + '/resolve/main/' + ${JSON.stringify(file)});
       let bytes = 0;
       for await (const chunk of res.body) bytes += chunk.length;
       console.log(JSON.stringify({ seconds: (performance.now() - t0) / 1000, maxRssKb: process.resourceUsage().maxRSS, bytes }));`,
      {},
    ),
};

function sha256Of(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (d) => hash.update(d))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pad = (s, n) => String(s).padEnd(n);

async function downloads(hub) {
  const info = await (await fetch(`${hub.url}/api/models/${REPO}?blobs=true`)).json();
  const expected = Object.fromEntries(info.siblings.map((s) => [s.rfilename, s.lfs?.sha256]));
  let ok = true;
  const results = {};
  for (const mb of SIZES) {
    const file = fileName(mb);
    console.log(`\n${mb} MB LFS file (${file}), cold cache, one child process per client:`);
    for (const [name, run] of Object.entries(CLIENTS)) {
      const cacheDir = mkdtempSync(path.join(tmpdir(), 'hubguard-bench-dl-'));
      try {
        const r = await run(hub, file, cacheDir);
        const sha = await sha256Of(r.path);
        const verified = sha === expected[file];
        ok &&= verified;
        (results[mb] ??= {})[name] = r;
        console.log(
          `  ${pad(name, 17)} ${r.seconds.toFixed(2).padStart(7)} s  ${(mb / r.seconds).toFixed(0).padStart(5)} MB/s  peak RSS ${(r.maxRssKb / 1024).toFixed(0).padStart(5)} MB  sha256 ${verified ? 'ok' : `MISMATCH (${sha})`}`,
        );
      } finally {
        rmSync(cacheDir, { recursive: true, force: true });
      }
    }
    for (const [name, run] of Object.entries(FLOORS)) {
      const floor = await run(hub, file);
      console.log(
        `  ${pad(`(${name})`, 17)} ${floor.seconds.toFixed(2).padStart(7)} s  ${(mb / floor.seconds).toFixed(0).padStart(5)} MB/s  peak RSS ${(floor.maxRssKb / 1024).toFixed(0).padStart(5)} MB  (reads and discards: a floor)`,
      );
    }
    const base = results[mb].huggingface_hub;
    for (const name of ['hubguard', '@huggingface/hub']) {
      const r = results[mb][name];
      console.log(
        `  ${pad(name, 17)} speed ${(base.seconds / r.seconds).toFixed(2)}x huggingface_hub's (>1 is faster), peak RSS ${(r.maxRssKb / base.maxRssKb).toFixed(2)}x`,
      );
    }
  }
  const [small, large] = SIZES;
  if (large !== undefined) {
    const g = (mb) => results[mb].hubguard;
    console.log(
      `\nhubguard peak RSS ${(g(small).maxRssKb / 1024).toFixed(0)} MB at ${small} MB, ${(g(large).maxRssKb / 1024).toFixed(0)} MB at ${large} MB` +
        ` (target <= 100 MB and flat); speed vs huggingface_hub ${SIZES.map((mb) => (results[mb].huggingface_hub.seconds / g(mb).seconds).toFixed(2) + 'x').join(', ')} (target >= 1.5x)`,
    );
  }
  return ok;
}

/** Warm from_pretrained: the cache is filled once, then each run is a fresh process timing the call alone. */
async function warmLoads(hub) {
  const hfHome = mkdtempSync(path.join(tmpdir(), 'hubguard-bench-hf-'));
  const tjsCache = mkdtempSync(path.join(tmpdir(), 'hubguard-bench-tjs-'));
  const commit = hub.commitOf(TOKENIZER_REPO);
  const ours = (revision) =>
    nodeChild(
      `const { AutoTokenizer } = await import(${JSON.stringify(hubguardUrl)});
       const t0 = performance.now();
       const t = await AutoTokenizer.from_pretrained(${JSON.stringify(TOKENIZER_REPO)}, { revision: ${JSON.stringify(revision)} });
       const ms = performance.now() - t0;
       console.log(JSON.stringify({ ms, ids: t.encode('Hello world!') }));`,
      { HF_ENDPOINT: hub.url, HF_HOME: hfHome },
    );
  const theirs = () =>
    nodeChild(
      `const { AutoTokenizer, env } = await import(${JSON.stringify(transformersUrl)});
       env.remoteHost = ${JSON.stringify(`${hub.url}/`)};
       env.allowLocalModels = false;
       env.useFSCache = true;
       env.cacheDir = ${JSON.stringify(tjsCache)};
       const t0 = performance.now();
       const t = await AutoTokenizer.from_pretrained(${JSON.stringify(TOKENIZER_REPO)});
       const ms = performance.now() - t0;
       console.log(JSON.stringify({ ms, ids: t.encode('Hello world!') }));`,
      {},
    );
  try {
    await ours('main');
    await theirs();
    const rows = [
      ['hubguard, revision main (one HEAD per file)', () => ours('main')],
      ['hubguard, commit hash (no request)', () => ours(commit)],
      ['transformers.js, FS cache (no request)', theirs],
    ];
    console.log(`\nwarm AutoTokenizer.from_pretrained(${TOKENIZER_REPO}), median of ${WARM_RUNS} fresh processes:`);
    const medians = [];
    for (const [label, run] of rows) {
      const runs = [];
      for (let i = 0; i < WARM_RUNS; i++) runs.push(await run());
      const ms = median(runs.map((r) => r.ms));
      medians.push(ms);
      console.log(`  ${pad(label, 46)} ${ms.toFixed(0).padStart(5)} ms   ids ${JSON.stringify(runs[0].ids)}`);
    }
    console.log(`  ratio transformers.js / hubguard: ${(medians[2] / medians[0]).toFixed(2)}x (main), ${(medians[2] / medians[1]).toFixed(2)}x (commit hash)`);
  } finally {
    rmSync(hfHome, { recursive: true, force: true });
    rmSync(tjsCache, { recursive: true, force: true });
  }
}

console.log(`generating ${SIZES.join(' + ')} MB of LFS content and its sha256 ...`);
const hub = await startHub({
  extraRepos: [
    { id: REPO, files: Object.fromEntries(SIZES.map((mb, i) => [fileName(mb), { size: mb * MB, generated: true, seed: 100 + i }])) },
  ],
});
try {
  const ok = await downloads(hub);
  await warmLoads(hub);
  process.exitCode = ok ? 0 : 1;
} finally {
  await hub.close();
}
