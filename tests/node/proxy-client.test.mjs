// The browser build sends the app's own credentials to the proxy (issue 17):
// `env.proxyHeaders` (an object, or a function returning one) and
// `env.proxyCredentials`, checked by the proxy's `authorize`. Never a
// Hugging Face token: a value shaped like one is TOKEN_REFUSED. Run on the
// real browser build under Node (same wasm, same fetch-based I/O).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importBrowserBuild, runScript } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, LLAMA_HELLO } from './support/hub.mjs';
import { startProxyScript } from './support/proxy.mjs';

const local = useHub();
let p;

before(async () => {
  await local.ready;
  p = await startProxyScript(
    `{ allow: [${JSON.stringify(GATED)}], endpoint: ${JSON.stringify(local.hub.url)},
       allowHeaders: ['authorization'],
       authorize: (request) => request.headers.get('authorization') === 'Bearer app-session-42' ? 'user-42' : false }`,
    { HF_TOKEN: TOKENS.accepted },
  );
});
after(() => p?.stop());

/** Runs `body` with the browser entry loaded; every fetch's credentials mode and headers are recorded. */
async function inBrowserBuild(body) {
  const run = await runScript(`
    ${importBrowserBuild('{ AutoTokenizer, env }')}
    const sent = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (request, init) => {
      if (request instanceof Request) {
        sent.push({ url: request.url, credentials: request.credentials, authorization: request.headers.get('authorization') });
      }
      return realFetch(request, init);
    };
    env.endpoint = ${JSON.stringify(local.hub.url)};
    env.proxy = ${JSON.stringify(p.url)};
    env.proxyAll = true;
    env.useBrowserCache = false;
    const attempt = async (f) => {
      try { return { ok: true, value: await f() }; }
      catch (e) { return { ok: false, code: e.code, message: e.message }; }
    };
    const results = { sent };
    ${body}
    console.log(JSON.stringify(results));`);
  const line = run.stdout.trim().split('\n').pop();
  assert.ok(line?.startsWith('{'), run.stderr);
  return JSON.parse(line);
}

const load = `(await AutoTokenizer.from_pretrained(${JSON.stringify(GATED)})).encode('Hello world!')`;

test('env.proxyHeaders and env.proxyCredentials go to the proxy, whose authorize checks them', async () => {
  const n = p.entries.length;
  const r = await inBrowserBuild(`
    results.without = await attempt(async () => ${load});
    env.proxyHeaders = { Authorization: 'Bearer app-session-42' };
    env.proxyCredentials = 'include';
    results.object = await attempt(async () => ${load});
    env.proxyHeaders = async () => ({ Authorization: 'Bearer app-session-42' });
    results.fn = await attempt(async () => ${load});`);
  assert.equal(r.without.ok, false);
  assert.equal(r.without.code, 'PROXY_REFUSED');
  assert.deepEqual(r.object.value, LLAMA_HELLO, JSON.stringify(r.object));
  assert.deepEqual(r.fn.value, LLAMA_HELLO, JSON.stringify(r.fn));
  const toProxy = r.sent.filter((s) => s.url.startsWith(p.url));
  assert.ok(toProxy.some((s) => s.credentials === 'include' && s.authorization === 'Bearer app-session-42'));
  assert.ok(r.sent.filter((s) => !s.url.startsWith(p.url)).every((s) => s.authorization === null), 'nothing else gets them');
  assert.ok(p.entries.slice(n).some((e) => e.identity === 'user-42' && e.status === 200));
  assert.deepEqual(local.hub.hubLog.filter((l) => l.authorization !== 'accepted'), [], 'the Hub saw only the server token');
});

test('a Hugging Face token in env.proxyHeaders is TOKEN_REFUSED, before any request', async () => {
  const token = TOKENS.accepted;
  const r = await inBrowserBuild(`
    env.proxyHeaders = { Authorization: 'Bearer ${token}' };
    results.object = await attempt(async () => ${load});
    env.proxyHeaders = () => ({ 'X-Anything': '${token}' });
    results.fn = await attempt(async () => ${load});
    env.proxyHeaders = { Authorization: 'Bearer app-session-42' };
    env.proxyCredentials = 'sometimes';
    results.mode = await attempt(async () => ${load});`);
  for (const result of [r.object, r.fn]) {
    assert.equal(result.code, 'TOKEN_REFUSED');
    assert.ok(!result.message.includes(token));
  }
  assert.equal(r.mode.code, 'INVALID_OPTION');
  assert.deepEqual(r.sent.filter((s) => s.url.startsWith(p.url)), [], 'nothing was sent to the proxy');
});
