// The proxy against hostile clients and a hostile upstream (issue 16, the
// proxy cases): DNS rebinding, odd statuses, garbage handler input,
// redirects off the allow list, tokens echoed in headers, active content,
// refs/pr/N, and clients that hog or stall. After each case the same proxy
// must still serve a normal file: nothing here may take it down.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runScript } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, PUBLIC } from './support/hub.mjs';
import { startProxy, rawRequest, partialGet } from './support/proxy.mjs';
import { startHostileHub, NORMAL } from './support/hostile-hub.mjs';
import { defaultFixtureDir } from '../fixtures/llama2.mjs';

const local = useHub();
const BIG = { id: 'hubguard-test/hostile-big', files: { 'model.bin': { size: 64 << 20, generated: true } } };
let hostile;
let odd; // the CLI proxy in front of the hostile upstream
let proxy; // the CLI proxy in front of the local Hub

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  await local.ready;
  local.hub.addRepo(BIG);
  hostile = await startHostileHub();
  const allow = ['org/ok', 'org/odd', 'org/echo', 'org/html'].flatMap((r) => ['--allow', r]);
  odd = await startProxy(allow, { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: hostile.url });
  proxy = await startProxy(['--allow', GATED, '--allow', PUBLIC, '--allow', BIG.id], {
    HF_TOKEN: TOKENS.accepted,
    HF_ENDPOINT: local.hub.url,
  });
});
after(async () => {
  await odd?.stop();
  await proxy?.stop();
  await hostile?.close();
});

/** Waits (up to 20 s) until the proxy's access log shows `count` answers cut by a timeout. */
async function timeoutsLogged(p, count) {
  const deadline = Date.now() + 20_000;
  const seen = () => (p.output.match(/ timeout$/gm) ?? []).length;
  while (seen() < count && Date.now() < deadline) await sleep(100);
  assert.equal(seen(), count, p.output);
}

/** The normal file through the hostile-upstream proxy: it must still serve. */
async function stillServes(p = odd) {
  assert.ok(p.alive, 'the proxy process is still running');
  const res = await fetch(`${p.url}/${NORMAL.repo}/resolve/main/${NORMAL.file}`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), NORMAL.text);
}

/** A gated tokenizer file through the local-Hub proxy, byte for byte. */
async function stillServesTokenizer(p = proxy) {
  assert.ok(p.alive, 'the proxy process is still running');
  const res = await fetch(`${p.url}/${GATED}/resolve/main/tokenizer.json`);
  assert.equal(res.status, 200);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), readFileSync(`${defaultFixtureDir}/tokenizer.json`));
}

test('a request whose Host is not the proxy (DNS rebinding) is refused before any upstream request', async () => {
  const { port } = new URL(proxy.url);
  const file = `/${GATED}/resolve/main/tokenizer_config.json`;
  local.hub.hubLog.length = 0;
  for (const host of [`attacker.example:${port}`, 'attacker.example', `127.0.0.1:${Number(port) + 1}`, `localhost.attacker.example:${port}`]) {
    const res = await rawRequest(proxy.url, `GET ${file} HTTP/1.1`, '', { host });
    assert.equal(res.status, 403, host);
    assert.match(res.body, /not served by this proxy/);
  }
  assert.deepEqual(local.hub.hubLog, []);
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) {
    assert.equal((await rawRequest(proxy.url, `GET ${file} HTTP/1.1`, '', { host })).status, 200, host);
  }
  const named = await startProxy(['--allow', GATED, '--public-host', 'app.example'], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
  try {
    assert.equal((await rawRequest(named.url, `GET ${file} HTTP/1.1`, '', { host: 'app.example' })).status, 200);
    assert.equal((await rawRequest(named.url, `GET ${file} HTTP/1.1`, '', { host: 'attacker.example' })).status, 403);
  } finally {
    await named.stop();
  }
  await stillServesTokenizer();
});

test('every odd upstream status becomes a valid answer, and the CLI keeps serving', async () => {
  for (const [status, expected] of [[204, 502], [205, 502], [999, 502], [201, 502], [299, 502], [600, 502], [304, 304], [418, 418], [503, 503]]) {
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(`${odd.url}/org/odd/resolve/main/status-${status}`, { method });
      assert.equal(res.status, expected, `${method} upstream ${status}`);
      await res.arrayBuffer();
    }
    await stillServes();
  }
});

test('garbage passed to the handler gets a 400, never an uncaught exception', async () => {
  const run = await runScript(
    `import { createHubProxy } from 'hubguard';
     let uncaught = 0;
     process.on('uncaughtException', () => uncaught++);
     process.on('unhandledRejection', () => uncaught++);
     const handler = createHubProxy({ allow: ['org/ok'], endpoint: ${JSON.stringify(hostile.url)} });
     const hostileValue = new Proxy({}, { get() { throw new Error('boom'); } });
     const statuses = [];
     for (const value of [null, undefined, {}, 'GET /', 42, [], hostileValue, { url: '/org/ok/resolve/main/config.json', method: 'GET' }]) {
       const res = await handler(value, hostileValue);
       statuses.push(res.status);
     }
     const ok = await handler(new Request('http://app.local/org/ok/resolve/main/config.json'), 'not a context');
     await new Promise((r) => setTimeout(r, 100));
     console.log(JSON.stringify({ statuses, ok: ok.status, text: await ok.text(), uncaught }));`,
    { env: { HF_TOKEN: TOKENS.accepted } },
  );
  const r = JSON.parse(run.stdout.trim().split('\n').pop());
  assert.deepEqual(r.statuses, Array(8).fill(400), run.stderr);
  assert.equal(r.uncaught, 0);
  assert.deepEqual([r.ok, r.text], [200, NORMAL.text]);
});

test('a Hub redirect is checked against the allow list at every hop', async () => {
  hostile.log.length = 0;
  const renamed = await fetch(`${odd.url}/org/ok/resolve/main/renamed.json`);
  assert.equal(renamed.status, 403);
  assert.equal(renamed.headers.get('x-error-code'), 'ProxyRefused');
  assert.ok(!(await renamed.text()).includes('SECRET'));
  assert.ok(!hostile.log.some((l) => l.path.startsWith('/org/secret/')), 'the refused hop was never requested');
  // The Hub's own cache route for the same file, at a commit, is followed (with the token).
  const cached = await fetch(`${odd.url}/org/ok/resolve/main/cached.json`);
  assert.equal(cached.status, 200);
  assert.deepEqual(await cached.json(), { cached: true });
  const hop = hostile.log.find((l) => l.path.startsWith('/api/resolve-cache/'));
  assert.equal(hop.authorization, `Bearer ${TOKENS.accepted}`);
  await stillServes();
});

test('headers passed through are scrubbed of tokens, as error messages are', async () => {
  const res = await fetch(`${odd.url}/org/echo/resolve/main/config.json`);
  assert.equal(res.status, 200);
  const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
  assert.ok(!headers.includes(TOKENS.accepted), headers);
  assert.ok(!/hf_\w{10,}/.test(headers), headers);
  assert.equal(res.headers.get('etag'), '"<redacted token>"');
  assert.match(res.headers.get('content-range'), /<redacted token>/);
  await res.arrayBuffer();
  await stillServes();
});

test('files a browser would render come as sandboxed downloads; every answer is nosniff', async () => {
  for (const file of ['page.html', 'image.svg', 'data.xml', 'untyped']) {
    const res = await fetch(`${odd.url}/org/html/resolve/main/${file}`);
    assert.equal(res.status, 200, file);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', file);
    assert.equal(res.headers.get('content-security-policy'), 'sandbox', file);
    assert.equal(res.headers.get('content-disposition'), 'attachment', file);
    await res.arrayBuffer();
  }
  const json = await fetch(`${odd.url}/${NORMAL.repo}/resolve/main/${NORMAL.file}`);
  assert.equal(json.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(json.headers.get('content-security-policy'), 'sandbox');
  assert.equal(json.headers.get('content-disposition'), null);
  await json.arrayBuffer();
  await stillServes();
});

test('refs/pr/N revisions go through the proxy when the allow list permits them', async () => {
  for (const rev of ['refs%2Fpr%2F1', 'refs/pr/1']) {
    const res = await fetch(`${proxy.url}/${PUBLIC}/resolve/${rev}/README.md`);
    assert.equal(res.status, 200, rev);
    assert.ok((await res.text()).length > 0);
  }
  const main = await fetch(`${proxy.url}/${PUBLIC}/resolve/main/README.md`);
  assert.equal(main.status, 404, 'README.md exists only on the PR');
  await main.arrayBuffer();
  const pinned = await startProxy(['--allow', GATED], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
  try {
    const run = await runScript(
      `import { createHubProxy } from 'hubguard';
       const handler = createHubProxy({ allow: [{ repo: ${JSON.stringify(PUBLIC)}, revisions: ['main'] }], endpoint: ${JSON.stringify(local.hub.url)} });
       const res = await handler(new Request('http://app.local/${PUBLIC}/resolve/refs%2Fpr%2F1/README.md'));
       console.log(res.status);`,
    );
    assert.equal(run.stdout.trim().split('\n').pop(), '403');
  } finally {
    await pinned.stop();
  }
  await stillServesTokenizer();
});

test('one client cannot take every slot: another client is still served', async () => {
  const p = await startProxy(['--allow', BIG.id, '--max-concurrent', '16', '--max-per-client', '4', '--write-timeout', '2'], {
    HF_TOKEN: TOKENS.accepted,
    HF_ENDPOINT: local.hub.url,
  });
  const target = `/${BIG.id}/resolve/main/model.bin`;
  try {
    // 16 downloads from one address that never read past the first bytes.
    const hogs = await Promise.all(Array.from({ length: 16 }, () => partialGet(p.url, target, { stall: true, after: 1 })));
    const statuses = hogs.map((h) => h.status).sort();
    assert.deepEqual(statuses, [...Array(4).fill(200), ...Array(12).fill(429)]);
    // Another address gets in at once.
    const other = await partialGet(p.url, target, { from: '127.0.0.2', after: 1 << 20 });
    assert.equal(other.status, 200);
    // The stalled ones lose their slots: the proxy cuts them after the write timeout.
    await timeoutsLogged(p, 4);
    const again = await fetch(`${p.url}${target}`, { headers: { Range: 'bytes=0-9' } });
    assert.equal(again.status, 206);
    await again.arrayBuffer();
    assert.ok(p.alive);
    for (const h of hogs) h.socket.destroy();
  } finally {
    await p.stop();
  }
  await stillServesTokenizer();
});

test('a client that stops reading loses its slot after the write timeout', async () => {
  const p = await startProxy(['--allow', BIG.id, '--max-per-client', '1', '--write-timeout', '1'], {
    HF_TOKEN: TOKENS.accepted,
    HF_ENDPOINT: local.hub.url,
  });
  const target = `/${BIG.id}/resolve/main/model.bin`;
  try {
    const stalled = await partialGet(p.url, target, { stall: true, after: 1 });
    assert.equal(stalled.status, 200);
    const meanwhile = await fetch(`${p.url}${target}`);
    assert.equal(meanwhile.status, 429, 'its one slot is taken');
    await meanwhile.arrayBuffer();
    await timeoutsLogged(p, 1);
    const res = await fetch(`${p.url}${target}`, { headers: { Range: 'bytes=0-9' } });
    assert.equal(res.status, 206, 'the slot came back');
    await res.arrayBuffer();
    stalled.socket.destroy();
  } finally {
    await p.stop();
  }
});
