// The token proxy shipped in the package: `hubguard proxy` (CLI + Node
// adapter) and createHubProxy (Fetch-API handler), against the local Hub.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runScript } from './support/consumer.mjs';
import { useHub, TOKENS, GATED } from './support/hub.mjs';
import { startProxy, rawRequest } from './support/proxy.mjs';
import { defaultFixtureDir } from '../fixtures/llama2.mjs';

const local = useHub();
const PAGE = 'http://localhost:5173';
const FILE = `/hf/${GATED}/resolve/main/tokenizer.json`;
let proxy;

before(async () => {
  await local.ready;
  proxy = await startProxy(
    ['--allow', GATED, '--base-path', '/hf', '--cors-origin', PAGE, '--rate-limit', '1000/60'],
    { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url },
  );
});
after(() => proxy?.stop());

test('a gated file streams through with the server token; the CDN never sees it', async () => {
  local.hub.cdnLog.length = 0;
  local.hub.hubLog.length = 0;
  const res = await fetch(proxy.url + FILE, { headers: { Origin: PAGE } });
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  assert.deepEqual(body, readFileSync(`${defaultFixtureDir}/tokenizer.json`));
  assert.equal(res.headers.get('cache-control'), 'private, max-age=0, must-revalidate');
  assert.equal(res.headers.get('access-control-allow-origin'), PAGE);
  assert.equal(res.headers.get('vary'), 'Origin');
  assert.equal(res.headers.get('access-control-allow-credentials'), null);
  assert.equal(res.headers.get('set-cookie'), null);
  assert.deepEqual(local.hub.hubLog.map((r) => r.authorization), ['accepted']);
  assert.ok(local.hub.cdnLog.length === 1 && !local.hub.cdnLog[0].hadAuthorization);
});

test('a single Range passes through; browser credentials never go upstream', async () => {
  local.hub.hubLog.length = 0;
  const res = await fetch(`${proxy.url}/hf/${GATED}/resolve/main/tokenizer_config.json`, {
    headers: { Range: 'bytes=0-9', Authorization: `Bearer ${TOKENS.noaccess}`, Cookie: 'session=1', 'X-Forwarded-For': '6.6.6.6' },
  });
  assert.equal(res.status, 206);
  assert.equal((await res.text()).length, 10);
  assert.deepEqual(local.hub.hubLog.map((r) => r.authorization), ['accepted'], 'the page\'s Authorization was dropped');
});

test('CORS preflight is answered locally', async () => {
  local.hub.hubLog.length = 0;
  const res = await fetch(proxy.url + FILE, {
    method: 'OPTIONS',
    headers: { Origin: PAGE, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'range' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), PAGE);
  assert.match(res.headers.get('access-control-allow-methods'), /GET/);
  assert.equal(local.hub.hubLog.length, 0);
});

test('hostile requests get a 4xx and never reach the Hub', async () => {
  const ok = FILE;
  const cases = [
    `GET /hf/${GATED}/resolve/main/../../../etc/passwd HTTP/1.1`,
    `GET /hf/${GATED}/resolve/main/%2e%2e/%2e%2e/secret HTTP/1.1`,
    `GET /hf/${GATED}/resolve/main/%2E%2E%2Fsecret HTTP/1.1`,
    `GET /hf/${GATED}/resolve/main/%252e%252e/x HTTP/1.1`,
    `GET /hf/${GATED}/resolve/main/a%5c..%5cb HTTP/1.1`,
    `GET /hf/${GATED}/resolve/main/a\\..\\b HTTP/1.1`,
    `GET /hf/${GATED}/resolve/main//tokenizer.json HTTP/1.1`,
    `GET /hf/${GATED}/resolve/main/%00 HTTP/1.1`,
    `GET http://evil.example/hf/${GATED}/resolve/main/tokenizer.json HTTP/1.1`,
    `GET //evil.example${ok} HTTP/1.1`,
    `GET /hf/@evil.example/x/resolve/main/tokenizer.json HTTP/1.1`,
    `GET /hf/api/whoami-v2 HTTP/1.1`,
    `GET /hf/api/models/${GATED} HTTP/1.1`,
    `GET /hf/hubguard-test/private-llama/resolve/main/tokenizer.json HTTP/1.1`,
    `GET /hf/hubguard-test/public-llama/resolve/main/tokenizer.json HTTP/1.1`,
    `GET /hf/datasets/${GATED}/resolve/main/tokenizer.json HTTP/1.1`,
    `GET ${ok}?redirect=http://evil.example HTTP/1.1`,
    `GET /other${ok} HTTP/1.1`,
    `POST ${ok} HTTP/1.1\r\nContent-Length: 2`,
    `PUT ${ok} HTTP/1.1`,
    `DELETE ${ok} HTTP/1.1`,
    `GET ${ok} HTTP/1.1\r\nContent-Length: 5`,
    `GET ${ok} HTTP/1.1\r\nOrigin: http://evil.example`,
    `GET ${ok} HTTP/1.1\r\nOrigin: ${PAGE}.evil.example`,
    `GET ${ok} HTTP/1.1\r\nRange: bytes=0-1,5-6`,
    `GET ${ok} HTTP/1.1\r\nRange: items=0-1`,
    `GET /hf/${GATED}/resolve/main/${'a'.repeat(3000)} HTTP/1.1`,
    `OPTIONS ${ok} HTTP/1.1\r\nOrigin: ${PAGE}\r\nAccess-Control-Request-Method: POST`,
  ];
  assert.ok(cases.length >= 20);
  local.hub.hubLog.length = 0;
  for (const head of cases) {
    const body = head.includes('Content-Length: 2') ? 'hi' : head.includes('Content-Length: 5') ? 'hello' : '';
    const res = await rawRequest(proxy.url, head, body);
    assert.ok(res.status >= 400 && res.status < 500, `${head.split('\r\n')[0]} → ${res.status}`);
    // Refusals may be readable by the allowed page, by nobody else.
    assert.ok([undefined, PAGE].includes(res.headers['access-control-allow-origin']), head);
  }
  assert.deepEqual(local.hub.hubLog, [], 'no hostile request reached the Hub');
});

test('Hub errors pass through as codes, with no token in them', async () => {
  const res = await fetch(`${proxy.url}/hf/${GATED}/resolve/main/missing.json`);
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('x-error-code'), 'EntryNotFound');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.ok(!(await res.text()).includes(TOKENS.accepted));
});

test('an invalid server token becomes a generic 502', async () => {
  const bad = 'hf_invalidServerToken000000000000';
  const p = await startProxy(['--allow', GATED], { HF_TOKEN: bad, HF_ENDPOINT: local.hub.url });
  try {
    const res = await fetch(`${p.url}/${GATED}/resolve/main/config.json`);
    const text = await res.text();
    assert.equal(res.status, 502);
    assert.ok(!text.includes(bad) && !text.includes('Invalid credentials'), text);
    assert.ok(!p.output.includes(bad));
  } finally {
    await p.stop();
  }
});

test('each client is rate-limited', async () => {
  const p = await startProxy(['--allow', GATED, '--rate-limit', '2/60'], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
  try {
    const statuses = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${p.url}/${GATED}/resolve/main/config.json`);
      await res.arrayBuffer();
      statuses.push(res.status);
      if (res.status === 429) assert.ok(Number(res.headers.get('retry-after')) >= 1);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
  } finally {
    await p.stop();
  }
});

test('createHubProxy is a Fetch-API handler (Next.js route style)', async () => {
  const source = `
    import { createHubProxy } from 'hubguard';
    const handler = createHubProxy({ allow: [${JSON.stringify(GATED)}], endpoint: ${JSON.stringify(local.hub.url)}, basePath: '/api/hf' });
    const ok = await handler(new Request('http://app.local/api/hf/${GATED}/resolve/main/config.json'));
    const denied = await handler(new Request('http://app.local/api/hf/other/repo/resolve/main/config.json'));
    console.log(JSON.stringify({ ok: ok.status, config: await ok.json(), denied: denied.status }));`;
  const run = await runScript(source, { env: { HF_TOKEN: TOKENS.accepted } });
  const r = JSON.parse(run.stdout);
  assert.equal(r.ok, 200, run.stderr);
  assert.equal(r.config.model_type, 'llama');
  assert.equal(r.denied, 403);
});

test('a proxy with an empty allow list refuses to start', async () => {
  await assert.rejects(startProxy([], { HF_TOKEN: TOKENS.accepted }), /allow/);
});

test('a client that goes away aborts the upstream download; the cap frees its slot', async () => {
  const big = { id: 'hubguard-test/slow-big', files: { 'model.bin': { size: 64 << 20, generated: true } } };
  local.hub.addRepo(big);
  const p = await startProxy(['--allow', big.id, '--max-concurrent', '1'], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
  const url = `${p.url}/${big.id}/resolve/main/model.bin`;
  local.hub.faults.slowMs = 20;
  try {
    local.hub.cdnLog.length = 0;
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    await reader.read();
    // One download is in flight: the cap (1, so this client's share is 1 too) turns the next one away.
    const second = await fetch(url);
    assert.equal(second.status, 429);
    assert.ok(Number(second.headers.get('retry-after')) >= 1);
    controller.abort();
    const deadline = Date.now() + 5000;
    while (local.hub.cdnLog[0]?.state === 'open' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(local.hub.cdnLog[0].state, 'aborted', 'the proxy stopped reading from the CDN');
    local.hub.faults.slowMs = 0;
    // The slot came back: a new request is served.
    let status = 429;
    while (status === 429 && Date.now() < deadline) {
      const again = await fetch(`${p.url}/${big.id}/resolve/main/model.bin`, { headers: { Range: 'bytes=0-9' } });
      status = again.status;
      await again.arrayBuffer();
    }
    assert.equal(status, 206);
  } finally {
    local.hub.faults.slowMs = 0;
    await p.stop();
  }
});
