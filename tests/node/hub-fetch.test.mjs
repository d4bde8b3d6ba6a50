// hubFetch called directly (Node build): what it answers for Hub file URLs,
// what it leaves to the platform's fetch, and its options.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, PUBLIC } from './support/hub.mjs';
import { scratch } from './support/transformers.mjs';

const local = useHub();
const DATASET = 'hubguard-test/public-data';

/** Runs `body` in a child with `hubFetch` and friends imported; → the `results` object it fills. */
async function inChild(body, env = {}) {
  const source = `
    import { hubFetch, createHubFetch, HubError } from 'hubguard';
    const hub = process.env.HF_ENDPOINT;
    const attempt = async (f) => {
      try { return { ok: true, value: await f() }; }
      catch (e) { return { ok: false, isHubError: e instanceof HubError, code: e.code, message: e.message }; }
    };
    const summary = async (r) => ({ status: r.status, headers: Object.fromEntries(r.headers), text: await r.text(), isResponse: r instanceof Response });
    const results = {};
    ${body}
    console.log(JSON.stringify(results));`;
  const run = await runScript(source, { env: { HF_ENDPOINT: local.hub.url, HF_HOME: scratch('home'), ...env } });
  try {
    return JSON.parse(run.stdout.trim().split('\n').pop());
  } catch {
    throw new Error(`no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

test('a Hub file is a real Response with the whole body and its length; a missing file is a 404', async () => {
  const r = await inChild(`
    results.file = await summary(await hubFetch(\`\${hub}/${PUBLIC}/resolve/main/config.json\`));
    results.missing = await summary(await hubFetch(\`\${hub}/${PUBLIC}/resolve/main/no-such-file.json\`));`);
  const config = local.hub.readFile(PUBLIC, 'config.json');
  assert.equal(r.file.isResponse, true);
  assert.equal(r.file.status, 200);
  assert.equal(r.file.text, config.toString());
  assert.equal(r.file.headers['content-length'], String(config.length));
  assert.equal(r.missing.status, 404);
  assert.match(r.missing.text, /no-such-file\.json/);
});

test('a Range: bytes=0-0 probe is 206 with Content-Range, from the cache once the file is there', async () => {
  const url = `${local.hub.url}/${PUBLIC}/resolve/main/tokenizer.json`;
  const start = local.hub.cdnLog.length;
  const r = await inChild(`
    const probe = () => hubFetch(${JSON.stringify(url)}, { headers: { Range: 'bytes=0-0' } }).then(summary);
    results.before = await probe();
    await (await hubFetch(${JSON.stringify(url)})).arrayBuffer();
    results.cdnAfterDownload = await fetch(hub + '/__emulator/cdn-log').then((r) => r.json()).then((l) => l.length);
    results.after = await probe();
    results.cdnAfterProbe = await fetch(hub + '/__emulator/cdn-log').then((r) => r.json()).then((l) => l.length);`);
  const size = local.hub.readFile(PUBLIC, 'tokenizer.json').length;
  for (const probe of [r.before, r.after]) {
    assert.equal(probe.status, 206);
    assert.equal(probe.headers['content-range'], `bytes 0-0/${size}`);
    assert.equal(probe.text.length, 1);
  }
  const cdn = local.hub.cdnLog.slice(start).map((l) => l.headers.range ?? 'whole');
  assert.deepEqual(cdn, ['bytes=0-0', 'whole'], 'the first probe asked for one byte, not the file; the second asked nothing');
  assert.equal(r.cdnAfterProbe, r.cdnAfterDownload);
});

test("the caller's Authorization header is dropped: hubguard's token rule decides", async () => {
  const start = local.hub.hubLog.length;
  const r = await inChild(
    `results.gated = await summary(await hubFetch(\`\${hub}/${GATED}/resolve/main/config.json\`, { headers: { Authorization: 'Bearer hf_not_a_real_token_at_all' } }));`,
    { HF_TOKEN: TOKENS.accepted },
  );
  assert.equal(r.gated.status, 200);
  const seen = local.hub.hubLog.slice(start).map((l) => l.authorization);
  assert.ok(seen.length > 0 && seen.every((a) => a === 'accepted'), seen.join());
});

test('datasets/ files and an encoded pull-request revision are Hub files too', async () => {
  const r = await inChild(`
    results.data = await summary(await hubFetch(\`\${hub}/datasets/${DATASET}/resolve/main/data/train.csv\`));
    results.pr = await summary(await hubFetch(\`\${hub}/${PUBLIC}/resolve/refs%2Fpr%2F1/README.md\`));`);
  assert.equal(r.data.status, 200);
  assert.equal(r.data.text, local.hub.readFile(DATASET, 'data/train.csv', 'main', 'dataset').toString());
  assert.equal(r.pr.status, 200);
  assert.match(r.pr.text, /A pull request/);
});

test('other URLs go to the platform fetch unchanged, with no token added', async () => {
  const start = local.hub.hubLog.length;
  const r = await inChild(
    `
    const http = await import('node:http');
    const seen = [];
    const server = http.createServer((req, res) => { seen.push(req.headers); res.end('ok ' + req.method); });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const other = 'http://127.0.0.1:' + server.address().port + '/ort-wasm-simd-threaded.wasm';
    results.other = await summary(await hubFetch(other, { headers: { 'x-app': 'kept' } }));
    results.post = await summary(await hubFetch(other, { method: 'POST', body: 'data' }));
    results.seen = seen;
    server.close();
    results.api = (await hubFetch(\`\${hub}/api/whoami-v2\`)).status;`,
    { HF_TOKEN: TOKENS.accepted },
  );
  assert.equal(r.other.text, 'ok GET');
  assert.equal(r.post.text, 'ok POST');
  assert.equal(r.seen[0]['x-app'], 'kept');
  assert.ok(r.seen.every((h) => h.authorization === undefined), JSON.stringify(r.seen));
  // Not a file route: passed through, so the Hub sees no token.
  assert.equal(r.api, 401);
  assert.deepEqual(local.hub.hubLog.slice(start).map((l) => l.authorization), ['none']);
});

test('createHubFetch refuses an unknown option by name, and takes a token', async () => {
  const r = await inChild(`
    results.unknown = await attempt(() => createHubFetch({ cacheDirectory: '/tmp/x' }));
    results.badToken = await attempt(() => createHubFetch({ token: true }));
    const withToken = createHubFetch({ token: ${JSON.stringify(TOKENS.accepted)}, cache_dir: ${JSON.stringify(scratch('cache'))} });
    results.gated = (await withToken(\`\${hub}/${GATED}/resolve/main/config.json\`)).status;
    results.anonymous = await attempt(() => hubFetch(\`\${hub}/${GATED}/resolve/main/config.json\`));`);
  assert.equal(r.unknown.code, 'INVALID_OPTION');
  assert.match(r.unknown.message, /cacheDirectory/);
  assert.equal(r.badToken.code, 'INVALID_OPTION');
  assert.equal(r.gated, 200);
  assert.equal(r.anonymous.isHubError, true);
  assert.equal(r.anonymous.code, 'GATED_REPO');
});
