// This build against an earlier one, side by side in one run: for every
// tokenizer of the conformance matrix, a warm load of `main` (revalidated
// with the Hub) in a fresh process, then encoding the 1 MB multilingual
// corpus line by line in that process (best of ROUNDS passes). The two
// packages' processes alternate, so both meet the same machine state, and
// every process's ids must equal the other package's.
//
//   make bench-compare BASELINE=/path/to/node_modules/hubguard
//   (a package built from the earlier commit: `git worktree add /tmp/base
//   REV && make -C /tmp/base consumer`, then its target/consumer/node_modules/hubguard)

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHub } from '../hub/server.mjs';
import { ROUNDS, benchRepos, benchTokenizers, geomean, printTable, runFresh } from './support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!process.env.BASELINE) {
  console.error('BASELINE must name the earlier build\'s package folder (see the top of tests/bench/compare.mjs).');
  process.exit(2);
}
const packages = [
  ['this build', path.resolve(here, '../../target/consumer/node_modules/hubguard')],
  ['baseline', path.resolve(process.env.BASELINE)],
];

const tokenizers = await benchTokenizers();
const hub = await startHub({ extraRepos: benchRepos(tokenizers) });
const corpusUrl = pathToFileURL(path.join(here, 'corpus.mjs')).href;
const supportUrl = pathToFileURL(path.join(here, 'support.mjs')).href;

/** One fresh process: load `repo` from `cacheDir`, encode the corpus; → { loadMs, tokensPerSec, digest }. */
function program(pkg, repo, cacheDir) {
  const entry = pathToFileURL(path.join(pkg, 'node/index.mjs')).href;
  return `const { AutoTokenizer, env } = await import(${JSON.stringify(entry)});
    const { corpus } = await import(${JSON.stringify(corpusUrl)});
    const { bestOf, digest } = await import(${JSON.stringify(supportUrl)});
    env.endpoint = ${JSON.stringify(hub.url)};
    const start = performance.now();
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(repo)}, { cache_dir: ${JSON.stringify(cacheDir)} });
    const loadMs = performance.now() - start;
    const lines = corpus();
    const run = bestOf(() => lines.map((l) => t.encode(l)));
    const tokens = run.result.reduce((n, ids) => n + ids.length, 0);
    console.log(JSON.stringify({ loadMs, tokensPerSec: tokens / (run.ms / 1000), digest: digest(run.result) }));`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const rows = [];
  const loadRatios = [];
  const encodeRatios = [];
  for (const t of tokenizers) {
    const repo = `bench/${t.name}`;
    const caches = packages.map(() => mkdtempSync(path.join(tmpdir(), 'hubguard-bench-compare-')));
    // Cold first (fills each package's cache and its pre-parsed form).
    for (const [i, [, pkg]] of packages.entries()) await runFresh(program(pkg, repo, caches[i]));
    const runs = packages.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [, pkg]] of packages.entries()) runs[i].push(JSON.parse(await runFresh(program(pkg, repo, caches[i]))));
    }
    const digests = new Set(runs.flat().map((r) => r.digest));
    if (digests.size !== 1) throw new Error(`${repo}: the two builds' ids differ`);
    const [ours, base] = runs.map((r) => ({
      loadMs: median(r.map((x) => x.loadMs)),
      tokensPerSec: Math.max(...r.map((x) => x.tokensPerSec)),
    }));
    loadRatios.push(base.loadMs / ours.loadMs);
    encodeRatios.push(ours.tokensPerSec / base.tokensPerSec);
    rows.push([
      t.name,
      ours.loadMs.toFixed(0),
      base.loadMs.toFixed(0),
      (base.loadMs / ours.loadMs).toFixed(2),
      `${(ours.tokensPerSec / 1e6).toFixed(2)}M`,
      `${(base.tokensPerSec / 1e6).toFixed(2)}M`,
      (ours.tokensPerSec / base.tokensPerSec).toFixed(2),
    ]);
  }
  console.log(`warm load of main in a fresh process (median of ${ROUNDS}) and encode (best of ${ROUNDS} processes), the builds alternating\n`);
  printTable(['tokenizer', 'load ms', 'baseline load ms', 'load speed ×', 'encode tok/s', 'baseline tok/s', 'encode speed ×'], rows);
  console.log(`\nthis build against the baseline (above 1: faster): load ${geomean(loadRatios).toFixed(2)}× (${Math.min(...loadRatios).toFixed(2)}–${Math.max(...loadRatios).toFixed(2)}), encode ${geomean(encodeRatios).toFixed(2)}× (${Math.min(...encodeRatios).toFixed(2)}–${Math.max(...encodeRatios).toFixed(2)}); ids equal on every tokenizer`);
} finally {
  await hub.close();
}
