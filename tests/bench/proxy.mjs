// Proxy streaming benchmark: a large LFS file (200 MB by default) fetched
// with curl through `hubguard proxy`, against curl fetching it directly
// from the Hub (its 302 to the CDN followed), on loopback, side by side in
// one run: rounds interleaved, best and median of each. Prints the time
// ratio (target <= 1.10), the proxy process's CPU time per download and its
// peak RSS, which streaming keeps flat. curl is the floor: the least a
// client can cost. A third column, a bare Node proxy (bare_proxy.mjs: one
// upstream GET piped into the response, nothing checked), is the floor of
// any proxy written for Node.
//
//   make bench-proxy    (after `make consumer`)
//   BENCH_SIZES_MB=100,200 BENCH_ROUNDS=7 make bench-proxy

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { startHub, TOKENS } from '../hub/server.mjs';
import { startProxy } from '../node/support/proxy.mjs';

const MB = 1 << 20;
const SIZES = (process.env.BENCH_SIZES_MB ?? '200').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/**
 * curl downloads `url` to /dev/null (following redirects); returns seconds,
 * checking the size. Asynchronously: the Hub runs in this process.
 */
async function curl(url, expected) {
  const { stdout: out } = await promisify(execFile)('curl', ['-sS', '-L', '-o', '/dev/null', '-w', '%{time_total} %{size_download} %{http_code}', url]);
  const [seconds, bytes, status] = out.trim().split(' ');
  if (Number(bytes) !== expected || status !== '200') throw new Error(`${url}: HTTP ${status}, ${bytes} bytes (expected ${expected})`);
  return Number(seconds);
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set size of a process, from /proc (Linux). */
function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const stats = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { best: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
};

const repos = SIZES.map((size) => ({ id: `hubguard-bench/lfs-${size}mb`, files: { 'model.bin': { size: size * MB, generated: true } } }));
const hub = await startHub({ extraRepos: repos });
const proxy = await startProxy(repos.flatMap((r) => ['--allow', r.id]), { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: hub.url });
const bare = spawn(process.execPath, [new URL('./bare_proxy.mjs', import.meta.url).pathname, hub.url]);
const bareUrl = /listening on (\S+)/.exec(String((await once(bare.stdout, 'data'))[0]))[1];
try {
  console.log(`${ROUNDS} rounds, interleaved, on loopback; client: curl ${execFileSync('curl', ['--version'], { encoding: 'utf8' }).split(' ')[1]}`);
  console.log('direct: the Hub\'s 302 to the CDN followed by curl; proxy: curl to `hubguard proxy` (the proxy follows the 302 with its token)');
  for (const [i, size] of SIZES.entries()) {
    const path = `/${repos[i].id}/resolve/main/model.bin`;
    const direct = [];
    const proxied = [];
    const bared = [];
    const cpu = [];
    await curl(hub.url + path, size * MB); // warm-up: first-touch costs out of the numbers
    await curl(proxy.url + path, size * MB);
    await curl(bareUrl + path, size * MB);
    for (let round = 0; round < ROUNDS; round++) {
      direct.push(await curl(hub.url + path, size * MB));
      const before = cpuSeconds(proxy.pid);
      proxied.push(await curl(proxy.url + path, size * MB));
      cpu.push(cpuSeconds(proxy.pid) - before);
      bared.push(await curl(bareUrl + path, size * MB));
    }
    const d = stats(direct);
    const p = stats(proxied);
    const b = stats(bared);
    const rate = (s) => `${(size / s).toFixed(0).padStart(4)} MB/s`;
    console.log(`${String(size).padStart(4)} MB, best (median) of ${ROUNDS}:`);
    console.log(`  curl direct         ${rate(d.best)} (${rate(d.median)})`);
    console.log(`  curl → bare Node    ${rate(b.best)} (${rate(b.median)})  ratio ${(b.best / d.best).toFixed(2)} (${(b.median / d.median).toFixed(2)})`);
    console.log(
      `  curl → hubguard     ${rate(p.best)} (${rate(p.median)})  ratio ${(p.best / d.best).toFixed(2)} (${(p.median / d.median).toFixed(2)}), ` +
        `target <= 1.10; vs bare Node ${(p.median / b.median).toFixed(2)}; proxy CPU ${stats(cpu).median.toFixed(2)} s per download, peak RSS ${peakRssMb(proxy.pid).toFixed(0)} MB`,
    );
  }
} finally {
  bare.kill();
  await proxy.stop();
  await hub.close();
}
