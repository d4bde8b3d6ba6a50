// Encode and load benchmark over the conformance matrix (every tokenizer in
// tests/fixtures/conformance.mjs), in one run: hubguard against
// Transformers.js, native Python `tokenizers` and the `tokenizers` crate
// hubguard ships compiled for the host (tests/bench/crate_native: the
// ceiling for any build on that crate), each tokenizer served by the local
// Hub. Prints tokens/s, ratios with their geometric means, cold
// and warm (from cache) load times, and the gzipped size of the browser
// wasm. Fails if hubguard's or the native crate's ids differ from Python's
// on any line.
//
// Load times are taken in fresh processes, as an application starting up
// meets them: cold is the first load into an empty cache, "first" the next
// (hubguard builds the tokenizer from the cache and keeps its image, see
// pkg-template/node/images.cjs), warm the median of ROUNDS later processes
// (hubguard restores the image). Loads ask for `main`, so hubguard's warm
// loads revalidate with the Hub (one HEAD); "offline" is the same
// warm load with HF_HUB_OFFLINE=1, no request at all (Transformers.js
// never revalidates). They run against the emulator over TLS, as
// huggingface.co is (BENCH_TLS=0: plain http).
//
//   make bench        (or: node tests/bench/encode.mjs after `make consumer`)
//   BENCH_ROUNDS=5 BENCH_ONLY=llama3,gemma3 make bench

import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { startHub } from '../hub/server.mjs';
import { corpus } from './corpus.mjs';
import {
  ROUNDS,
  bestOf,
  crateNativeEncode,
  benchRepos,
  benchTokenizers,
  digest,
  geomean,
  hubguardLoad,
  loadTimes,
  nativeEncode,
  printTable,
  transformersFor,
  transformersLoad,
} from './support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The size of the image kept for `repo` under `cacheDir` ('-' if none). */
function imageMegabytes(cacheDir, repo) {
  const dir = path.join(cacheDir, `models--${repo.replace('/', '--')}`, '.hubguard');
  const images = existsSync(dir)
    ? readdirSync(dir).map((commit) => path.join(dir, commit, 'tokenizer.json.image')).filter(existsSync)
    : [];
  return images.length ? (statSync(images[0]).size / 1e6).toFixed(1) : '-';
}
const consumer = path.resolve(here, '../../target/consumer');
const fromConsumer = createRequire(path.join(consumer, 'package.json'));

const tokenizers = await benchTokenizers();
const hub = await startHub({ extraRepos: benchRepos(tokenizers) });
// The fresh-process loads: over TLS unless BENCH_TLS=0. (The in-process
// loads for encoding use the plain one: this process cannot trust a
// certificate made after it started.)
const tls = process.env.BENCH_TLS !== '0';
const loadHub = tls ? await startHub({ extraRepos: benchRepos(tokenizers), tls: true }) : hub;
const loadEnv = tls ? { NODE_EXTRA_CA_CERTS: loadHub.certFile } : {};
const cacheHome = mkdtempSync(path.join(tmpdir(), 'hubguard-bench-'));
let failed = false;
try {
  const hubguard = fromConsumer('hubguard');
  hubguard.env.endpoint = hub.url;
  const transformers = await transformersFor(hub.url, path.join(cacheHome, 'transformers.js'));

  const lines = corpus();
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  console.log(`corpus: ${lines.length} lines, ${(bytes / 1e6).toFixed(2)} MB; best of ${ROUNDS}; tokens/s counted on hubguard's ids\n`);
  const header = ['tokenizer', 'tokens', 'hubguard', 'batch', 'transformers.js', 'python', 'crate native', 'x TJS', 'x native', 'x crate', 'crate x TJS', 'load cold/first/warm/offline ms', 'TJS cold/warm ms', 'warm x TJS', 'offline x TJS', 'first x TJS', 'image MB'];
  const rows = [];
  const vsTjs = [];
  const vsNative = [];
  // The crate compiled for the host, against hubguard and against Transformers.js.
  const vsCrate = [];
  const crateVsTjs = [];
  // Every load first: a long synchronous encode loop would let the Hub's
  // keep-alive connections time out under the next load (ECONNRESET).
  const loads = [];
  const vsTjsLoad = [];
  const offlineVsTjs = [];
  const firstVsTjs = [];
  for (const t of tokenizers) {
    const repo = `bench/${t.name}`;
    const ourLoad = hubguardLoad(fromConsumer.resolve('hubguard'), repo, loadHub.url, path.join(cacheHome, 'hubguard'));
    const ourTimes = await loadTimes(ourLoad, loadEnv);
    ourTimes.offline = (await loadTimes(ourLoad, { ...loadEnv, HF_HUB_OFFLINE: '1' })).warm;
    const tjsTimes = await loadTimes(transformersLoad(repo, loadHub.url, path.join(cacheHome, 'transformers.js')), loadEnv);
    vsTjsLoad.push(tjsTimes.warm / ourTimes.warm);
    firstVsTjs.push(tjsTimes.warm / ourTimes.first);
    offlineVsTjs.push(tjsTimes.warm / ourTimes.offline);
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
    const native = nativeEncode(path.join(t.dir, 'tokenizer.json'), lines);
    const crate = crateNativeEncode(path.join(t.dir, 'tokenizer.json'), lines);

    const tokens = a.result.reduce((n, ids) => n + ids.length, 0);
    const tjsMismatches = a.result.filter((ids, i) => ids.length !== b.result[i].length || ids.some((v, j) => v !== b.result[i][j])).length;
    const nativeSame = [batch.result, a.result].every((r) => digest(r) === native.ids_digest) && crate.ids_digest === native.ids_digest;
    if (!nativeSame) failed = true;
    const rate = (ms) => (tokens / (ms / 1000) / 1e6).toFixed(2) + 'M';
    vsTjs.push(b.ms / a.ms);
    vsNative.push(native.ms / a.ms);
    vsCrate.push(crate.ms / a.ms);
    crateVsTjs.push(b.ms / crate.ms);
    rows.push([
      t.name,
      String(tokens),
      rate(a.ms),
      rate(batch.ms),
      rate(b.ms) + (tjsMismatches ? ` (${tjsMismatches} lines differ)` : ''),
      rate(native.ms),
      rate(crate.ms),
      (b.ms / a.ms).toFixed(2),
      (native.ms / a.ms).toFixed(2) + (nativeSame ? '' : ' IDS DIFFER'),
      (crate.ms / a.ms).toFixed(2),
      (b.ms / crate.ms).toFixed(2),
      `${ourTimes.cold.toFixed(0)}/${ourTimes.first.toFixed(0)}/${ourTimes.warm.toFixed(0)}/${ourTimes.offline.toFixed(0)}`,
      `${tjsTimes.cold.toFixed(0)}/${tjsTimes.warm.toFixed(0)}`,
      (tjsTimes.warm / ourTimes.warm).toFixed(2),
      (tjsTimes.warm / ourTimes.offline).toFixed(2),
      (tjsTimes.warm / ourTimes.first).toFixed(2),
      imageMegabytes(path.join(cacheHome, 'hubguard'), `bench/${t.name}`),
    ]);
    console.error(`  ${t.name} done`);
  }
  printTable(header, rows);
  console.log(`\ngeometric mean: hubguard / transformers.js ${geomean(vsTjs).toFixed(2)}x (target >= 3x); hubguard / native ${geomean(vsNative).toFixed(2)}x (target >= 0.9x on each: min ${Math.min(...vsNative).toFixed(2)}x)`);
  console.log(`the crate hubguard ships, compiled natively: hubguard runs at ${geomean(vsCrate).toFixed(2)}x its speed; it is ${geomean(crateVsTjs).toFixed(2)}x transformers.js, the ceiling for any build on it`);
  const names = tokenizers.map((t) => t.name);
  const ratios = (rs) => rs.map((r, i) => `${names[i]} ${r.toFixed(2)}x`).join(', ');
  console.log(`warm load of main, fresh process, ${tls ? 'over TLS' : 'plain http'}: hubguard (revalidated) is ${ratios(vsTjsLoad)} as fast as transformers.js (target >= 2x); offline ${ratios(offlineVsTjs)}; the first load from the cache (builds, keeps the image) ${ratios(firstVsTjs)}`);
  console.log('columns: per-line encode() for hubguard, Transformers.js, Python and "crate native" (tokenizers 0.23.2, the crate in hubguard, built for the host); "batch" is hubguard batch_encode(lines), one call into wasm.');

  const wasm = path.join(consumer, 'node_modules/hubguard/browser/hubguard_wasm_bg.wasm');
  const raw = readFileSync(wasm);
  console.log(`browser wasm: ${(raw.length / 1e6).toFixed(2)} MB, ${(gzipSync(raw, { level: 9 }).length / 1e6).toFixed(2)} MB gzipped (limit 2.5 MB)`);
  console.log(`ids: hubguard ${failed ? 'DIFFERS from' : 'equals'} Python tokenizers on every line of every tokenizer`);
  process.exitCode = failed ? 1 : 0;
} finally {
  await hub.close();
  if (loadHub !== hub) await loadHub.close();
}
