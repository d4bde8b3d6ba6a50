// Proxy load benchmark (issue 17): the CLI proxy under 5,000 mixed requests,
// 64 at a time, on loopback against the local Hub. The mix: small files,
// Range probes, LFS files streamed whole, refused requests, and clients that
// disconnect mid-body. It checks, and prints side by side:
//   - every answer is correct (status and bytes);
//   - the proxy printed no warning;
//   - its RSS grows less than 20 MB between the 2nd and the 5th thousand;
//   - its open sockets come back to the baseline;
//   - it still serves afterwards.
// Exit status 1 if any check fails.
//
//   make bench-proxy-load    (after `make consumer`)

import http from 'node:http';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { startHub, TOKENS } from '../hub/server.mjs';
import { startProxy } from '../node/support/proxy.mjs';

const TOTAL = Number(process.env.LOAD_REQUESTS ?? 5000);
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 64);
const GATED = 'meta-llama/Llama-2-7b-hf';
const BIG = { id: 'hubguard-bench/load-16mb', visibility: 'gated', files: { 'model.bin': { size: 16 << 20, generated: true } } };
const SECRET = 'load-bench-shared-secret-0123456789';

const hub = await startHub({ extraRepos: [BIG] });
// The caps leave room above the 64 clients: a client that disconnects moves
// on at once, while its slot is freed when the proxy sees the close, a
// moment later. The bearer check keeps the no-authorize warning away.
const CAP = String(CONCURRENCY + 16);
const proxy = await startProxy(
  ['--allow', GATED, '--allow', BIG.id, '--max-concurrent', CAP, '--max-per-client', CAP, '--rate-limit', '1000000/1', '--require-bearer-env', 'BENCH_SECRET'],
  { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: hub.url, BENCH_SECRET: SECRET },
);
const { port } = new URL(proxy.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const auth = { authorization: `Bearer ${SECRET}` };

const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const expected = {
  config: hub.readFile(GATED, 'tokenizer_config.json'),
  tokenizer: hub.readFile(GATED, 'tokenizer.json'),
};
const tokenizerSha = sha(expected.tokenizer);

/**
 * One request; resolves to { status, bytes (count), hash, dropped }. Like a
 * browser, it asks again once when a kept-alive connection was closed by the
 * server just as it was reused (Node's documented `reusedSocket` race).
 */
async function get(path, options = {}) {
  const result = await getOnce(path, options);
  return result.retry ? getOnce(path, options) : result;
}

function getOnce(path, { headers = {}, dropAfter } = {}) {
  return new Promise((resolve) => {
    const req = http.get(
      { host: '127.0.0.1', port, path, headers: { ...auth, ...headers }, agent: dropAfter ? false : agent },
      (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (chunk) => {
          bytes += chunk.length;
          hash.update(chunk);
          if (dropAfter && bytes >= dropAfter) {
            req.destroy();
            resolve({ status: res.statusCode, bytes, dropped: true });
          }
        });
        res.on('end', () => resolve({ status: res.statusCode, bytes, hash: hash.digest('hex') }));
        res.on('error', () => resolve({ status: res.statusCode, bytes, dropped: true }));
      },
    );
    req.on('error', (e) =>
      resolve({ status: 0, error: e.code ?? e.message, dropped: !!dropAfter, retry: req.reusedSocket && e.code === 'ECONNRESET' }),
    );
  });
}

/** The mix, by request number: what to ask and how to check the answer. */
const KINDS = [
  ['small', 7, () => get(`/${GATED}/resolve/main/tokenizer_config.json`), (r) => r.status === 200 && r.bytes === expected.config.length],
  ['range', 4, () => get(`/${GATED}/resolve/main/tokenizer.json`, { headers: { range: 'bytes=0-99' } }), (r) => r.status === 206 && r.bytes === 100],
  ['lfs', 4, () => get(`/${GATED}/resolve/main/tokenizer.json`), (r) => r.status === 200 && r.hash === tokenizerSha],
  ['refused', 3, () => get(['/hubguard-test/private-llama/resolve/main/config.json', `/${GATED}/resolve/main/%2e%2e/x`, '/api/whoami-v2'][Math.floor(Math.random() * 3)]), (r) => r.status === 403 || r.status === 400 || r.status === 404],
  ['drop', 2, () => get(`/${BIG.id}/resolve/main/model.bin`, { dropAfter: 256 << 10 }), (r) => r.status === 200 && r.dropped],
];
const schedule = KINDS.flatMap(([name, weight]) => Array(weight).fill(name));
const byName = Object.fromEntries(KINDS.map(([name, , run, check]) => [name, { run, check }]));

const rssMb = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${proxy.pid}/status`, 'utf8'))[1]) / 1024;
function sockets() {
  let n = 0;
  for (const fd of readdirSync(`/proc/${proxy.pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${proxy.pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Open sockets once the proxy is idle (keep-alive ones to the Hub time out after a few seconds). */
async function idleSockets(atMost = Infinity) {
  let n = sockets();
  for (let i = 0; i < 100 && n > atMost; i++) {
    await sleep(100);
    n = sockets();
  }
  return n;
}

// Warm up (the first requests load code and open the first connections), then take the baseline.
for (const name of ['small', 'lfs', 'range']) await byName[name].run();
agent.destroy();
await sleep(6000);
const baseline = await idleSockets();

const counts = Object.fromEntries(KINDS.map(([name]) => [name, { ok: 0, bad: 0 }]));
const failures = [];
const rss = [];
let next = 0;
const started = performance.now();
async function worker() {
  for (;;) {
    const i = next++;
    if (i >= TOTAL) return;
    const name = schedule[i % schedule.length];
    const result = await byName[name].run();
    if (byName[name].check(result)) counts[name].ok++;
    else {
      counts[name].bad++;
      if (failures.length < 10) failures.push({ i, name, ...result, hash: undefined });
    }
    if ((i + 1) % 1000 === 0) rss[(i + 1) / 1000] = rssMb();
  }
}
await Promise.all(Array.from({ length: CONCURRENCY }, worker));
const seconds = (performance.now() - started) / 1000;
agent.destroy();
const after = await idleSockets(baseline);
const still = await get(`/${GATED}/resolve/main/tokenizer_config.json`);
const stillOk = still.status === 200 && still.bytes === expected.config.length;
const warnings = proxy.stderr.split('\n').filter((l) => /warn/i.test(l));
await proxy.stop();
await hub.close();

const growth = rss[5] - rss[2];
const checks = [
  ['every answer correct', failures.length === 0, `${Object.values(counts).reduce((a, c) => a + c.ok, 0)}/${TOTAL}`],
  ['no warning printed', warnings.length === 0, warnings.length ? warnings[0] : 'none'],
  ['RSS growth 2nd→5th thousand < 20 MB', growth < 20, `${growth.toFixed(1)} MB (${rss.slice(1).map((m) => m.toFixed(0)).join(' → ')} MB)`],
  ['open sockets back to baseline', after <= baseline, `${baseline} before, ${after} after`],
  ['still serves after the run', stillOk, String(still.status)],
];
console.log(`${TOTAL} requests, ${CONCURRENCY} at a time, in ${seconds.toFixed(1)} s (${(TOTAL / seconds).toFixed(0)} req/s)`);
console.log(`mix: ${KINDS.map(([name]) => `${name} ${counts[name].ok}/${counts[name].ok + counts[name].bad}`).join(', ')}`);
for (const [what, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${what.padEnd(38)} ${detail}`);
if (failures.length) console.log('first failures:', JSON.stringify(failures));
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
