// What one wasm instance per tokenizer costs: load time and memory, this
// package against a baseline package (an older build with one shared
// instance), side by side in one run.
//
// For each package, fresh processes load every tokenizer of the
// conformance matrix from a warm cache, one after the other in one process,
// and print each load's time and the process's RSS after it. A second
// measure loads the same small tokenizer 20 times in one process (an app
// that keeps many tokenizers): the RSS each extra tokenizer adds.
//
//   make bench-isolation BASELINE=/path/to/node_modules/hubguard
//   (BASELINE: a package built from an earlier commit; without it, only
//   this package is measured)

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startHub } from '../hub/server.mjs';
import { ROUNDS, benchRepos, benchTokenizers, printTable, runFresh } from './support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const current = path.resolve(here, '../../target/consumer/node_modules/hubguard');
const packages = [['this build', current]];
if (process.env.BASELINE) packages.push(['baseline', path.resolve(process.env.BASELINE)]);

const tokenizers = await benchTokenizers();
const hub = await startHub({ extraRepos: benchRepos(tokenizers) });
const cacheDir = mkdtempSync(path.join(tmpdir(), 'hubguard-bench-isolation-'));

/** A program that loads `repos` in order in one process: → [{ ms, rssMb }] per load. */
function loadAll(pkg, repos) {
  const entry = pathToFileURL(path.join(pkg, 'node/index.mjs')).href;
  return `const { AutoTokenizer, env } = await import(${JSON.stringify(entry)});
    env.endpoint = ${JSON.stringify(hub.url)};
    const kept = [];
    const out = [];
    for (const repo of ${JSON.stringify(repos)}) {
      const start = performance.now();
      kept.push(await AutoTokenizer.from_pretrained(repo, { cache_dir: ${JSON.stringify(cacheDir)} }));
      out.push({ ms: performance.now() - start, rssMb: process.memoryUsage().rss / 1e6 });
    }
    console.log(JSON.stringify(out));`;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Each package's median over ROUNDS fresh processes of each load's time and
 * RSS; the packages' runs interleave, so both meet the same machine state.
 */
async function measure(repos) {
  for (const [, pkg] of packages) await runFresh(loadAll(pkg, repos)); // fills the cache and the pre-parsed forms
  const runs = packages.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, pkg]] of packages.entries()) runs[i].push(JSON.parse(await runFresh(loadAll(pkg, repos))));
  }
  return packages.map(([name], p) => [
    name,
    repos.map((_, i) => ({
      ms: median(runs[p].map((r) => r[i].ms)),
      rssMb: median(runs[p].map((r) => r[i].rssMb)),
    })),
  ]);
}

try {
  const repos = tokenizers.map((t) => `bench/${t.name}`);
  console.log(`warm loads of every tokenizer, one after the other in one process; median of ${ROUNDS} processes\n`);
  const results = await measure(repos);
  const header = ['tokenizer', ...results.flatMap(([name]) => [`${name} ms`, `${name} RSS MB`])];
  if (results.length > 1) header.push('load ratio', 'RSS ratio');
  printTable(
    header,
    repos.map((repo, i) => {
      const cells = [repo, ...results.flatMap(([, r]) => [r[i].ms.toFixed(0), r[i].rssMb.toFixed(0)])];
      if (results.length > 1) {
        cells.push((results[0][1][i].ms / results[1][1][i].ms).toFixed(2), (results[0][1][i].rssMb / results[1][1][i].rssMb).toFixed(2));
      }
      return cells;
    }),
  );

  const small = Array(20).fill(`bench/${tokenizers.find((t) => t.name === 'llama2')?.name ?? tokenizers[0].name}`);
  console.log(`\n${small.length} loads of ${small[0]} kept in one process\n`);
  const many = await measure(small);
  printTable(
    ['package', 'first load ms', 'later loads ms (median)', 'RSS after 1 MB', `RSS after ${small.length} MB`, 'MB per extra tokenizer'],
    many.map(([name, r]) => [
      name,
      r[0].ms.toFixed(0),
      median(r.slice(1).map((x) => x.ms)).toFixed(0),
      r[0].rssMb.toFixed(0),
      r[r.length - 1].rssMb.toFixed(0),
      ((r[r.length - 1].rssMb - r[0].rssMb) / (r.length - 1)).toFixed(1),
    ]),
  );
} finally {
  await hub.close();
}
