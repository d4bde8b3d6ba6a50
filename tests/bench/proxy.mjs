// Proxy benchmark: a large LFS file (100 MB, then 200 MB) fetched through
// `hubguard proxy` against fetched straight from the Hub (redirect to the
// CDN followed), on loopback, in one run. Prints the time ratio (target
// <= 1.10) and the proxy process's peak RSS, which streaming keeps flat.
//
//   make bench-proxy    (after `make consumer`)

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startHub, TOKENS } from '../hub/server.mjs';
import { startProxy } from '../node/support/proxy.mjs';

const MB = 1 << 20;
const SIZES = (process.env.BENCH_SIZES_MB ?? '100,200').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** Download `url` fully, counting bytes without keeping them. */
async function download(url) {
  const start = performance.now();
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  let bytes = 0;
  for await (const chunk of res.body) bytes += chunk.length;
  return { ms: performance.now() - start, bytes };
}

async function best(url, expected) {
  let ms = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await download(url);
    if (r.bytes !== expected) throw new Error(`got ${r.bytes} bytes, expected ${expected}`);
    ms = Math.min(ms, r.ms);
  }
  return ms;
}

/** Peak resident set size of a process, from /proc (Linux). */
function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const repos = SIZES.map((size) => ({
  id: `hubguard-bench/lfs-${size}mb`,
  visibility: 'gated',
  files: { 'model.bin': { size: size * MB, generated: true } },
}));
const hub = await startHub({ extraRepos: repos });
const proxy = await startProxy(repos.flatMap((r) => ['--allow', r.id]), { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: hub.url });
try {
  console.log(`best of ${ROUNDS} on loopback; direct: the Hub's 302 to the CDN followed by Node's fetch, anonymously`);
  for (const [i, size] of SIZES.entries()) {
    const repo = repos[i];
    const path = `/${repo.id}/resolve/main/model.bin`;
    // The direct download is anonymous: make the bench repo public for it.
    hub.setVisibility(repo.id, 'public');
    const direct = await best(hub.url + path, size * MB);
    hub.setVisibility(repo.id, 'gated');
    const proxied = await best(proxy.url + path, size * MB);
    const ratio = proxied / direct;
    console.log(
      `${String(size).padStart(4)} MB  direct ${(size / (direct / 1000)).toFixed(0).padStart(5)} MB/s  ` +
        `proxy ${(size / (proxied / 1000)).toFixed(0).padStart(5)} MB/s  ratio ${ratio.toFixed(2)} (target <= 1.10)  ` +
        `proxy peak RSS ${peakRssMb(proxy.pid).toFixed(0)} MB`,
    );
  }
} finally {
  await proxy.stop();
  await hub.close();
}
