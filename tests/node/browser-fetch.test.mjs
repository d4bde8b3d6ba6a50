// hubFetch of the browser build, run under Node as in browser-build.test.mjs:
// public repos straight from the Hub, gated ones through env.proxy, by the
// same rule and the same sticky set as tokenizer loads; never a token.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { importBrowserBuild, runScript } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, PUBLIC } from './support/hub.mjs';
import { startProxy } from './support/proxy.mjs';

const local = useHub();
let proxy;

before(async () => {
  await local.ready;
  proxy = await startProxy(['--allow', GATED], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
});
after(() => proxy?.stop());

/** Runs `body` with the browser entry; → the `results` it fills. */
async function inBrowserBuild(body, env = {}) {
  const source = `
    ${importBrowserBuild('{ AutoTokenizer, hubFetch, createHubFetch, configureTransformers, HubError, env }')}
    const hub = ${JSON.stringify(local.hub.url)};
    const attempt = async (f) => {
      try { return { ok: true, value: await f() }; }
      catch (e) { return { ok: false, isHubError: e instanceof HubError, code: e.code, message: e.message }; }
    };
    const results = {};
    ${body}
    console.log(JSON.stringify(results));`;
  const run = await runScript(source, { env });
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

const logFor = (repo, start) =>
  local.hub.hubLog.slice(start).filter((l) => l.path.startsWith(`/${repo}/`)).map((l) => `${l.method} ${l.path.split('/').pop()} ${l.authorization}`);

test('public files come straight from the Hub; a gated one through the proxy, then straight there', async () => {
  const start = local.hub.hubLog.length;
  const r = await inBrowserBuild(`
    env.endpoint = hub;
    env.proxy = ${JSON.stringify(proxy.url)};
    const pub = await hubFetch(hub + '/${PUBLIC}/resolve/main/config.json');
    results.public = [pub.status, (await pub.text()).length];
    const first = await hubFetch(hub + '/${GATED}/resolve/main/config.json');
    results.gated = [first.status, await first.text()];
    results.again = (await hubFetch(hub + '/${GATED}/resolve/main/tokenizer_config.json')).status;
    results.missing = (await hubFetch(hub + '/${GATED}/resolve/main/nothing.json')).status;`);
  assert.deepEqual(r.public, [200, local.hub.readFile(PUBLIC, 'config.json').length]);
  assert.deepEqual(r.gated, [200, local.hub.readFile(GATED, 'config.json').toString()]);
  assert.equal(r.again, 200);
  assert.equal(r.missing, 404);
  assert.deepEqual(logFor(PUBLIC, start), ['GET config.json none']);
  assert.deepEqual(logFor(GATED, start), [
    'GET config.json none',
    'GET config.json accepted',
    'GET tokenizer_config.json accepted',
    'GET nothing.json accepted',
  ]);
});

test('a repo a tokenizer load found gated goes straight to the proxy for hubFetch too (one sticky set)', async () => {
  const start = local.hub.hubLog.length;
  const r = await inBrowserBuild(`
    env.endpoint = hub;
    env.proxy = ${JSON.stringify(proxy.url)};
    await AutoTokenizer.from_pretrained('${GATED}');
    results.status = (await hubFetch(hub + '/${GATED}/resolve/main/config.json')).status;`);
  assert.equal(r.status, 200);
  assert.ok(logFor(GATED, start).includes('GET config.json accepted'));
  assert.ok(!logFor(GATED, start).includes('GET config.json none'), logFor(GATED, start).join('\n'));
});

test('no proxy: a gated repo throws GATED_REPO saying to configure one; a token option is refused', async () => {
  const start = local.hub.hubLog.length;
  const r = await inBrowserBuild(
    `
    env.endpoint = hub;
    results.gated = await attempt(() => hubFetch(hub + '/${GATED}/resolve/main/config.json'));
    results.token = await attempt(() => createHubFetch({ token: 'hf_would_leak' })(hub + '/${PUBLIC}/resolve/main/config.json'));
    const tjs = {};
    configureTransformers(tjs);
    results.tjs = { remoteHost: tjs.remoteHost, fetch: tjs.fetch === hubFetch, customCache: tjs.customCache ?? null };`,
    { HF_TOKEN: TOKENS.accepted },
  );
  assert.equal(r.gated.code, 'GATED_REPO');
  assert.match(r.gated.message, /configure the hubguard proxy/);
  assert.equal(r.token.code, 'TOKEN_REFUSED');
  assert.deepEqual(r.tjs, { remoteHost: `${local.hub.url}/`, fetch: true, customCache: null });
  // HF_TOKEN is set in the environment: the browser build never reads it.
  assert.deepEqual(local.hub.hubLog.slice(start).map((l) => l.authorization), ['none']);
});
