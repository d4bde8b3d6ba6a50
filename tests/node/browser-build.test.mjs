// The browser build, as shipped in the package: it holds no token code, it
// refuses tokens, and it routes gated repos through the app's proxy. These
// run the real browser entry under Node (same wasm, same fetch-based I/O);
// the Chromium end-to-end run is separate.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { consumerDir, importBrowserBuild, runScript } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, PUBLIC, PRIVATE, LLAMA_HELLO } from './support/hub.mjs';
import { startProxy } from './support/proxy.mjs';

const local = useHub();
const pkgDir = path.join(consumerDir, 'node_modules/hubguard');
let proxy;

before(async () => {
  await local.ready;
  proxy = await startProxy(['--allow', GATED, '--allow', PUBLIC], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
});
after(() => proxy?.stop());

test('the browser files contain no environment reading and no Authorization header', () => {
  const files = ['browser', 'shared'].flatMap((dir) => readdirSync(path.join(pkgDir, dir)).map((f) => path.join(pkgDir, dir, f)));
  assert.ok(files.some((f) => f.endsWith('.wasm')) && files.some((f) => f.endsWith('index.js')));
  for (const file of files) {
    const text = readFileSync(file).toString('latin1');
    const forbiddenHere = file.endsWith('.cjs') ? [] : [/require\(/];
    for (const forbidden of [/authorization/i, /HF_TOKEN/, /process\.env/, /readFileSync/, /homedir/, ...forbiddenHere]) {
      assert.ok(!forbidden.test(text), `${path.relative(pkgDir, file)} contains ${forbidden}`);
    }
  }
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  assert.equal(pkg.exports['.'].browser.default, './browser/index.js');
});

/** Runs `body` with the browser entry loaded as `hubguard` would be in a page. */
function inBrowserBuild(body, env = {}) {
  const source = `
    ${importBrowserBuild('{ AutoTokenizer, HubError, env }')}
    const attempt = async (f) => {
      try { return { ok: true, value: await f() }; }
      catch (e) { return { ok: false, isHubError: e instanceof HubError, code: e.code, status: e.status, message: e.message }; }
    };
    const results = {};
    ${body}
    console.log(JSON.stringify(results));`;
  return runScript(source, { env }).then((run) => ({ ...JSON.parse(run.stdout.trim().split('\n').pop()), stderr: run.stderr }));
}

test('a token option or env.token throws TOKEN_REFUSED, explaining the proxy', async () => {
  const r = await inBrowserBuild(`
    env.endpoint = ${JSON.stringify(local.hub.url)};
    results.option = await attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, { token: 'hf_abc' }));
    env.token = 'hf_abc';
    results.env = await attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}));`);
  for (const result of [r.option, r.env]) {
    assert.equal(result.code, 'TOKEN_REFUSED');
    assert.equal(result.isHubError, true);
    assert.match(result.message, /proxy/);
  }
});

test('a token in the page environment is not used, and one warning says so', async () => {
  local.hub.hubLog.length = 0;
  const r = await inBrowserBuild(
    `env.endpoint = ${JSON.stringify(local.hub.url)};
     results.gated = await attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(GATED)}));
     results.again = await attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(GATED)}));`,
    { HF_TOKEN: TOKENS.accepted },
  );
  assert.equal(r.gated.code, 'GATED_REPO');
  assert.match(r.gated.message, /configure the hubguard proxy/);
  assert.equal(r.stderr.match(/hubguard: a Hugging Face token is sitting/g)?.length, 1, r.stderr);
  assert.ok(local.hub.hubLog.every((l) => l.authorization === 'none'));
});

// The engine's token shape (core/redact.rs: hf_ and 10+ word characters), not
// the old page-side regex that wanted 20+ and let this one through silently.
test('a short token-shaped value in the page environment warns too', async () => {
  const r = await inBrowserBuild(
    `env.endpoint = ${JSON.stringify(local.hub.url)};
     results.public = await attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}));`,
    { SOME_TOKEN: 'hf_0123456789ab' },
  );
  assert.equal(r.public.ok, true, JSON.stringify(r.public));
  assert.equal(r.stderr.match(/hubguard: a Hugging Face token is sitting/g)?.length, 1, r.stderr);
  assert.ok(!r.stderr.includes('0123456789ab'), r.stderr);
});

test('page environment values that are not a whole token give no warning', async () => {
  const r = await inBrowserBuild(
    `env.endpoint = ${JSON.stringify(local.hub.url)};
     results.public = await attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}));`,
    { HF_HOME: '/srv/hf_cache_directory', SHORT: 'hf_abcdefghi', QUOTED: `"${TOKENS.accepted}"` },
  );
  assert.equal(r.public.ok, true, JSON.stringify(r.public));
  assert.doesNotMatch(r.stderr, /a Hugging Face token is sitting/);
});

test('public repos load straight from the Hub; gated ones through the proxy, then always', async () => {
  local.hub.hubLog.length = 0;
  const r = await inBrowserBuild(`
    env.endpoint = ${JSON.stringify(local.hub.url)};
    env.proxy = ${JSON.stringify(proxy.url)};
    const pub = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    results.publicIds = pub.encode('Hello world!');
    results.afterPublic = 0;
    const gated = await AutoTokenizer.from_pretrained(${JSON.stringify(GATED)});
    results.gatedIds = gated.encode('Hello world!');
    await AutoTokenizer.from_pretrained(${JSON.stringify(GATED)});
    results.notListed = await attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(PRIVATE)}));`);
  assert.deepEqual(r.publicIds, LLAMA_HELLO);
  assert.deepEqual(r.gatedIds, LLAMA_HELLO);
  const gatedHits = local.hub.hubLog.filter((l) => l.path.startsWith(`/${GATED}/`)).map((l) => l.authorization);
  // First load: three anonymous refusals (tokenizer.json, tokenizer_config.json,
  // chat_template.jinja, asked at once), then the proxy's three with its token.
  // Second load: straight to the proxy.
  assert.deepEqual(gatedHits, [...Array(3).fill('none'), ...Array(6).fill('accepted')]);
  const publicHits = local.hub.hubLog.filter((l) => l.path.startsWith(`/${PUBLIC}/`)).map((l) => l.authorization);
  assert.deepEqual(publicHits, ['none', 'none', 'none']);
  assert.equal(r.notListed.code, 'PROXY_REFUSED');
  assert.match(r.notListed.message, /allow list/);
  assert.equal(local.hub.cdnLog.filter((l) => l.hadAuthorization).length, 0);
});

test('proxyAll sends public repos through the proxy too', async () => {
  local.hub.hubLog.length = 0;
  const r = await inBrowserBuild(`
    env.endpoint = ${JSON.stringify(local.hub.url)};
    env.proxy = ${JSON.stringify(proxy.url)};
    env.proxyAll = true;
    results.ids = (await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)})).encode('Hello world!');`);
  assert.deepEqual(r.ids, LLAMA_HELLO);
  assert.deepEqual(local.hub.hubLog.map((l) => l.authorization), ['accepted', 'accepted', 'accepted']);
});

test('a proxy that pins only tokenizer.json and tokenizer_config.json still serves the tokenizer', async () => {
  // Such an allow list predates chat_template.jinja: its PROXY_REFUSED for
  // that optional file must not fail the load.
  local.hub.hubLog.length = 0;
  const r = await inBrowserBuild(`
    const http = await import('node:http');
    const { createHubProxy, toNodeHandler } = await import('hubguard');
    const handler = createHubProxy({
      allow: [{ repo: ${JSON.stringify(GATED)}, files: ['tokenizer.json', 'tokenizer_config.json'] }],
      endpoint: ${JSON.stringify(local.hub.url)},
    });
    const server = http.createServer(toNodeHandler(handler));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    env.endpoint = ${JSON.stringify(local.hub.url)};
    env.proxy = 'http://127.0.0.1:' + server.address().port;
    env.proxyAll = true;
    results.load = await attempt(async () => {
      const t = await AutoTokenizer.from_pretrained(${JSON.stringify(GATED)});
      return { ids: t.encode('Hello world!'), template: t.chat_template };
    });
    server.close();`, { HF_TOKEN: TOKENS.accepted });
  assert.ok(r.load.ok, JSON.stringify(r.load));
  assert.deepEqual(r.load.value, { ids: LLAMA_HELLO, template: null });
  const asked = local.hub.hubLog.map((l) => l.path.split('/').pop());
  assert.ok(asked.includes('tokenizer.json') && !asked.includes('chat_template.jinja'), 'the proxy refused it itself');
});
