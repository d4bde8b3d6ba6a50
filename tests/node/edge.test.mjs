// The same proxy in the other runtimes, from the same npm package (issue
// 17): Cloudflare Workers (workerd, through miniflare from npm) on the edge
// build; Deno and Bun (their binaries from npm) on the Node build, behind
// node:http and behind their own servers. In each: an allowed file is
// served, hostile requests are refused without any upstream request, the
// CDN never sees the token, and a client that leaves stops the download.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { consumerDir, cleanEnv } from './support/consumer.mjs';
import { useHub, TOKENS, GATED } from './support/hub.mjs';
import { rawRequest, partialGet } from './support/proxy.mjs';
import { defaultFixtureDir } from '../fixtures/llama2.mjs';

const testsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DENO = path.join(testsDir, 'node_modules/@deno/linux-x64-glibc/deno');
const BUN = path.join(testsDir, 'node_modules/@oven/bun-linux-x64/bin/bun');
const local = useHub();
const BIG = { id: 'hubguard-test/edge-big', visibility: 'gated', files: { 'model.bin': { size: 64 << 20, generated: true } } };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  await local.ready;
  local.hub.addRepo(BIG);
});

function scratch(name, source) {
  mkdirSync(path.join(consumerDir, 'runs'), { recursive: true });
  const dir = mkdtempSync(path.join(consumerDir, 'runs', 'edge-'));
  writeFileSync(path.join(dir, name), source);
  return path.join(dir, name);
}

const tokenizerJson = () => readFileSync(`${defaultFixtureDir}/tokenizer.json`);

/** The checks every runtime must pass, through `ask(path, init)` → Response. */
async function servesAndRefuses(ask, label) {
  local.hub.hubLog.length = 0;
  local.hub.cdnLog.length = 0;
  const res = await ask(`/${GATED}/resolve/main/tokenizer.json`);
  assert.equal(res.status, 200, label);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), tokenizerJson(), label);
  assert.ok(local.hub.hubLog.length > 0 && local.hub.hubLog.every((l) => l.authorization === 'accepted'), label);
  assert.ok(local.hub.cdnLog.length === 1 && !local.hub.cdnLog[0].hadAuthorization, `${label}: the CDN never sees the token`);
  local.hub.hubLog.length = 0;
  const hostile = [
    ['/hubguard-test/private-llama/resolve/main/config.json'],
    ['/api/whoami-v2'],
    [`/${GATED}/resolve/main/../../../api/whoami-v2`],
    [`/${GATED}/resolve/main/..%2f..%2fsecret`],
    [`/datasets/${GATED}/resolve/main/config.json`],
    [`/${GATED}/resolve/main/config.json?redirect=http://evil.example`],
    [`/${GATED}/resolve/main/config.json`, { method: 'POST', body: 'x' }],
    [`/${GATED}/resolve/main/config.json`, { method: 'DELETE' }],
    [`/${GATED}/resolve/main/config.json`, { headers: { Origin: 'http://evil.example' } }],
    [`/${GATED}/resolve/main/config.json`, { headers: { Range: 'bytes=0-1,5-6' } }],
  ];
  for (const [target, init] of hostile) {
    const r = await ask(target, init);
    assert.ok(r.status >= 400 && r.status < 500, `${label}: ${init?.method ?? 'GET'} ${target} → ${r.status}`);
    await r.arrayBuffer();
  }
  assert.deepEqual(local.hub.hubLog, [], `${label}: no hostile request reached the Hub`);
}

/** A client that reads a little of a large file and leaves: the CDN download must stop. */
async function leavingStopsTheDownload(url, label) {
  local.hub.cdnLog.length = 0;
  const got = await partialGet(url, `/${BIG.id}/resolve/main/model.bin`, { after: 1 << 20 });
  assert.equal(got.status, 200, label);
  const deadline = Date.now() + 10_000;
  while (local.hub.cdnLog[0]?.state !== 'aborted' && Date.now() < deadline) await sleep(50);
  assert.equal(local.hub.cdnLog[0]?.state, 'aborted', `${label}: the upstream download was stopped`);
}

test('export conditions: workerd and edge-light get the edge build; Deno and Bun the Node build', () => {
  const resolveWith = (args) => execFileSync(args[0], args.slice(1), { cwd: consumerDir, encoding: 'utf8', env: cleanEnv() }).trim();
  const node = (condition) => resolveWith([process.execPath, `--conditions=${condition}`, '--input-type=module', '-e', "console.log(import.meta.resolve('hubguard'))"]);
  assert.match(node('workerd'), /\/hubguard\/edge\/workerd\.js$/);
  assert.match(node('edge-light'), /\/hubguard\/edge\/edge-light\.js$/);
  assert.match(resolveWith([DENO, 'eval', "console.log(import.meta.resolve('hubguard'))"]), /\/hubguard\/node\/index\.mjs$/);
  assert.match(resolveWith([BUN, '-e', "console.log(import.meta.resolve('hubguard'))"]), /\/hubguard\/node\/index\.mjs$/);
});

test('Cloudflare Workers (workerd via miniflare): the edge build serves, refuses and keeps the token from the CDN', async () => {
  const worker = scratch(
    'worker.js',
    `import { createHubProxy } from '../../node_modules/hubguard/edge/workerd.js';
     let handler;
     export default {
       fetch(request, env) {
         handler ??= createHubProxy({ allow: [${JSON.stringify(GATED)}, ${JSON.stringify(BIG.id)}], token: env.HF_TOKEN, endpoint: env.HUB });
         return handler(request);
       },
     };`,
  );
  const mf = new Miniflare({
    modules: true,
    scriptPath: worker,
    modulesRoot: consumerDir,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.js', '**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    compatibilityDate: '2025-06-01',
    cf: false,
    bindings: { HF_TOKEN: TOKENS.accepted, HUB: local.hub.url },
  });
  try {
    const url = await mf.ready;
    await servesAndRefuses((target, init) => mf.dispatchFetch(`http://localhost${target}`, init), 'workerd');
    await leavingStopsTheDownload(url.origin, 'workerd');
  } finally {
    await mf.dispose();
  }
});

/** A Deno or Bun process serving the Node build two ways; resolves to { nodeHttp, native, stop, stderr }. */
function serveIn(runtime, nativeServe) {
  const script = scratch(
    'serve.mjs',
    `import http from 'node:http';
     import { createHubProxy, toNodeHandler } from 'hubguard';
     const handler = createHubProxy({ allow: [${JSON.stringify(GATED)}, ${JSON.stringify(BIG.id)}] });
     const server = http.createServer(toNodeHandler(handler));
     await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
     const native = ${nativeServe};
     console.log('nodeHttp=http://127.0.0.1:' + server.address().port + ' native=' + native);`,
  );
  const args = runtime === DENO ? ['run', '--allow-net', '--allow-read', '--allow-env', '--allow-sys', script] : [script];
  const child = spawn(runtime, args, { cwd: path.dirname(script), env: cleanEnv({ HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url }) });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /nodeHttp=(\S+) native=(\S+)/.exec(out);
      if (m) resolve({ nodeHttp: m[1], native: m[2], stop: () => child.kill(), stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`${runtime} exited ${code}: ${out}\n${stderr}`)));
  });
}

const fetchFrom = (origin) => (target, init) => fetch(origin + target, init);

/** Raw targets that a URL parser would have normalised: refused outright where the server keeps them. */
async function rawTricksRefused(origin, label) {
  local.hub.hubLog.length = 0;
  for (const target of [`/${GATED}/resolve/main/../../../etc/passwd`, `/${GATED}/resolve/main/a\\..\\b`, `//evil.example/${GATED}/resolve/main/x`]) {
    const r = await rawRequest(origin, `GET ${target} HTTP/1.1`);
    assert.ok(r.status >= 400 && r.status < 500, `${label}: ${target} → ${r.status}`);
  }
  assert.deepEqual(local.hub.hubLog, []);
}

for (const [name, runtime, nativeServe] of [
  ['Deno', DENO, "await new Promise((resolve) => { const s = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => resolve('http://127.0.0.1:' + port) }, (req, info) => handler(req, { clientAddress: info.remoteAddr.hostname })); })"],
  ['Bun', BUN, "(() => { const s = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req, server) => handler(req, { clientAddress: server.requestIP(req)?.address }) }); return 'http://127.0.0.1:' + s.port; })()"],
]) {
  test(`${name} (from npm): the Node build serves, refuses and keeps the token from the CDN, behind node:http and ${name}.serve`, async () => {
    const s = await serveIn(runtime, nativeServe);
    try {
      for (const [label, origin] of [[`${name} node:http`, s.nodeHttp], [`${name}.serve`, s.native]]) {
        await servesAndRefuses(fetchFrom(origin), label);
        await leavingStopsTheDownload(origin, label);
      }
      await rawTricksRefused(s.nodeHttp, `${name} node:http`);
      // A whole large body arrives: nothing aborts the upstream once an answer is on its way.
      const res = await fetch(`${s.native}/${BIG.id}/resolve/main/model.bin`);
      assert.equal((await res.arrayBuffer()).byteLength, 64 << 20);
    } finally {
      s.stop();
    }
  });
}
