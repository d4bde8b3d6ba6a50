// `largeFiles: 'redirect'` (issue 17): after the checks, a file the Hub
// keeps on its CDN is answered with a 302 to the signed URL, so its bytes
// skip the proxy; small files and the Hub's own answers still stream.
// Clients that follow: Node's fetch, hubguard's browser build and
// Transformers.js through env.remoteHost. The CDN answers them with the
// CORS headers the real one sends.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { importBrowserBuild, runScript } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, LLAMA_HELLO } from './support/hub.mjs';
import { startProxy, startProxyScript } from './support/proxy.mjs';
import { defaultFixtureDir } from '../fixtures/llama2.mjs';

const local = useHub();
const PAGE = 'http://localhost:5173';
const BIG = { id: 'hubguard-test/redirect-200mb', visibility: 'gated', files: { 'model.bin': { size: 200 << 20, generated: true } } };
let proxy;

before(async () => {
  await local.ready;
  local.hub.addRepo(BIG);
  proxy = await startProxy(['--allow', GATED, '--allow', BIG.id, '--large-files', 'redirect', '--cors-origin', PAGE], {
    HF_TOKEN: TOKENS.accepted,
    HF_ENDPOINT: local.hub.url,
  });
});
after(() => proxy?.stop());

test('a CDN file is answered with a 302 to its signed URL; small files still stream', async () => {
  local.hub.hubLog.length = 0;
  local.hub.cdnLog.length = 0;
  const res = await fetch(`${proxy.url}/${GATED}/resolve/main/tokenizer.json`, { redirect: 'manual', headers: { Origin: PAGE } });
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get('location'));
  assert.equal(location.origin, local.hub.cdnUrl);
  assert.ok(location.searchParams.get('X-Amz-Signature'));
  assert.ok(!res.headers.get('location').includes(TOKENS.accepted));
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('access-control-allow-origin'), PAGE);
  assert.ok(Number(res.headers.get('x-linked-size')) > 0);
  assert.deepEqual(local.hub.cdnLog, [], 'the proxy did not fetch the bytes');
  // Following it gets the file, straight from the CDN, without the token.
  const followed = await fetch(`${proxy.url}/${GATED}/resolve/main/tokenizer.json`);
  assert.equal(followed.status, 200);
  assert.deepEqual(Buffer.from(await followed.arrayBuffer()), readFileSync(`${defaultFixtureDir}/tokenizer.json`));
  assert.equal(local.hub.cdnLog.length, 1);
  assert.equal(local.hub.cdnLog[0].hadAuthorization, false);
  assert.ok(local.hub.hubLog.every((l) => l.authorization === 'accepted'), 'only the proxy asked the Hub');
  // A regular file is the Hub's own answer: streamed as before.
  const small = await fetch(`${proxy.url}/${GATED}/resolve/main/tokenizer_config.json`, { redirect: 'manual' });
  assert.equal(small.status, 200);
  assert.equal((await small.json()).model_max_length !== undefined, true);
});

test('the redirect comes only after authorization and the allow list', async () => {
  const p = await startProxyScript(
    `{ allow: [${JSON.stringify(GATED)}], endpoint: ${JSON.stringify(local.hub.url)}, largeFiles: 'redirect',
       authorize: (request) => request.headers.get('x-user') === 'ok' }`,
    { HF_TOKEN: TOKENS.accepted },
  );
  try {
    local.hub.hubLog.length = 0;
    const denied = await fetch(`${p.url}/${GATED}/resolve/main/tokenizer.json`, { redirect: 'manual' });
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get('location'), null);
    const other = await fetch(`${p.url}/${BIG.id}/resolve/main/model.bin`, { redirect: 'manual', headers: { 'x-user': 'ok' } });
    assert.equal(other.status, 403, 'not on the allow list');
    assert.deepEqual(local.hub.hubLog, [], 'neither reached the Hub');
    const ok = await fetch(`${p.url}/${GATED}/resolve/main/tokenizer.json`, { redirect: 'manual', headers: { 'x-user': 'ok' } });
    assert.equal(ok.status, 302);
    await ok.arrayBuffer();
  } finally {
    await p.stop();
  }
});

/** Bytes a process moved through read/write system calls (sockets included), from /proc. */
function ioBytes(pid) {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)[1]);
  return field('rchar') + field('wchar');
}

test('in redirect mode a 200 MB file moves less than 1% of its bytes through the proxy process', async (t) => {
  const size = 200 << 20;
  const before = ioBytes(proxy.pid);
  const res = await fetch(`${proxy.url}/${BIG.id}/resolve/main/model.bin`);
  assert.equal(res.status, 200);
  let received = 0;
  for await (const chunk of res.body) received += chunk.length;
  const moved = ioBytes(proxy.pid) - before;
  assert.equal(received, size);
  assert.ok(moved < size / 100, `the proxy moved ${moved} bytes for a ${size}-byte file`);
  t.diagnostic(`the proxy process read and wrote ${moved} bytes (${((100 * moved) / size).toFixed(4)}% of the file)`);
  const streamed = await startProxy(['--allow', BIG.id], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
  try {
    // The same measure, streaming: the file passes through twice (in and out).
    const start = ioBytes(streamed.pid);
    const again = await fetch(`${streamed.url}/${BIG.id}/resolve/main/model.bin`, { headers: { Range: `bytes=0-${(20 << 20) - 1}` } });
    await again.arrayBuffer();
    assert.ok(ioBytes(streamed.pid) - start > 2 * (20 << 20), 'the measure sees streamed bytes');
  } finally {
    await streamed.stop();
  }
});

test('the CDN answers with the CORS headers the real one sends', async () => {
  const res = await fetch(`${proxy.url}/${GATED}/resolve/main/tokenizer.json`, { headers: { Origin: PAGE, Range: 'bytes=0-9' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  const exposed = res.headers.get('access-control-expose-headers').split(',').map((h) => h.trim());
  for (const h of ['Accept-Ranges', 'Content-Range', 'Content-Type', 'Content-Disposition', 'ETag']) assert.ok(exposed.includes(h), h);
  await res.arrayBuffer();
});

test('hubguard\'s browser build follows the redirect through the proxy', async () => {
  local.hub.cdnLog.length = 0;
  const run = await runScript(`
    ${importBrowserBuild('{ AutoTokenizer, env }')}
    env.endpoint = ${JSON.stringify(local.hub.url)};
    env.proxy = ${JSON.stringify(proxy.url)};
    env.proxyAll = true;
    env.useBrowserCache = false;
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(GATED)});
    console.log(JSON.stringify(t.encode('Hello world!')));`);
  assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').pop()), LLAMA_HELLO, run.stderr);
  assert.ok(local.hub.cdnLog.some((l) => l.path.startsWith('/repos/') && !l.hadAuthorization), 'tokenizer.json came from the CDN');
});

test('Transformers.js follows the redirect through env.remoteHost', async () => {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  env.remoteHost = `${proxy.url}/`;
  env.allowLocalModels = false;
  env.useFSCache = false;
  env.useBrowserCache = false;
  local.hub.cdnLog.length = 0;
  const tokenizer = await AutoTokenizer.from_pretrained(GATED);
  assert.deepEqual(tokenizer.encode('Hello world!'), LLAMA_HELLO);
  assert.ok(local.hub.cdnLog.some((l) => !l.hadAuthorization), 'tokenizer.json came from the CDN');
});
