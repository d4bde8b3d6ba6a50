// Forward proxies from the environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY),
// with a real one (tinyproxy) on loopback and the Hub emulator over TLS:
// https goes through CONNECT tunnels, so the proxy's log holds only
// `CONNECT host:port`; the token, paths and files stay inside TLS.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import { load, runScript } from './support/consumer.mjs';
import { startForwardProxy } from './support/forward-proxy.mjs';
import { useHub, TOKENS, GATED, PUBLIC, XET, LLAMA_HELLO } from './support/hub.mjs';
import { closedOrigin } from './support/processes.mjs';
import { startProxy } from './support/proxy.mjs';
import { startHub } from '../hub/server.mjs';

const local = useHub({ tls: true });
let forward;
before(async () => {
  forward = await startForwardProxy();
});
after(async () => {
  await forward?.stop();
});

const portOf = (url) => Number(new URL(url).port);
/** The ports the proxy was asked to CONNECT to since `from`; fails on any other kind of request. */
function tunnelled(from) {
  const lines = forward.requests().slice(from);
  for (const line of lines) assert.match(line, /^CONNECT 127\.0\.0\.1:\d+ HTTP\/1\.1$/);
  return new Set(lines.map((line) => Number(/:(\d+) /.exec(line)[1])));
}

/** The file's sha256 as the Hub announces it (X-Linked-Etag). */
function announcedSha256(repo, file) {
  return new Promise((resolve, reject) => {
    const req = https.request(`${local.hub.url}/${repo}/resolve/main/${file}`, {
      method: 'HEAD',
      ca: readFileSync(local.hub.certFile),
      headers: { authorization: `Bearer ${TOKENS.accepted}` },
    });
    req.on('response', (res) => resolve(res.headers['x-linked-etag'].replaceAll('"', '')));
    req.on('error', reject);
    req.end();
  });
}

test('a tokenizer load over https goes through CONNECT tunnels, and the proxy sees only host:port', async () => {
  const from = forward.requests().length;
  local.hub.hubLog.length = 0;
  const r = await load(GATED, { env: local.env({ HF_TOKEN: TOKENS.accepted, HTTPS_PROXY: forward.url }) });
  assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
  const ports = tunnelled(from);
  assert.ok(ports.has(portOf(local.hub.url)) && ports.has(portOf(local.hub.cdnUrl)), [...ports].join());
  // The token reached the Hub, inside the tunnel.
  assert.ok(local.hub.hubLog.length > 0 && local.hub.hubLog.every((l) => l.authorization === 'accepted'));
});

test('downloadFile fetches LFS and Xet-backed files through the forward proxy', async () => {
  const from = forward.requests().length;
  const script = `
    import { downloadFile } from 'hubguard';
    const paths = [];
    for (const [repo, path] of ${JSON.stringify([[XET, 'model.safetensors'], [PUBLIC, 'tokenizer.json']])}) {
      paths.push(await downloadFile({ repo, path }));
    }
    console.log(JSON.stringify(paths));`;
  const run = await runScript(script, { env: local.env({ HF_TOKEN: TOKENS.accepted, https_proxy: forward.url }) });
  assert.equal(run.code, 0, run.stderr);
  const [model, tokenizer] = JSON.parse(run.stdout.trim().split('\n').pop());
  assert.equal(createHash('sha256').update(readFileSync(model)).digest('hex'), await announcedSha256(XET, 'model.safetensors'));
  assert.deepEqual(readFileSync(tokenizer), local.hub.readFile(PUBLIC, 'tokenizer.json'));
  const ports = tunnelled(from);
  assert.ok(ports.has(portOf(local.hub.xetUrl)) && ports.has(portOf(local.hub.cdnUrl)), [...ports].join());
});

test("the hubguard proxy's upstream goes through the forward proxy", async () => {
  const from = forward.requests().length;
  const proxy = await startProxy(['--allow', XET], local.env({ HF_TOKEN: TOKENS.accepted, HTTPS_PROXY: forward.url }));
  try {
    const res = await fetch(`${proxy.url}/${XET}/resolve/main/tokenizer.json`);
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), local.hub.readFile(XET, 'tokenizer.json'));
  } finally {
    await proxy.stop();
  }
  const ports = tunnelled(from);
  assert.ok(ports.has(portOf(local.hub.url)) && ports.has(portOf(local.hub.xetUrl)), [...ports].join());
});

test('NO_PROXY sends matching hosts direct, past the forward proxy', async () => {
  const from = forward.requests().length;
  for (const noProxy of ['127.0.0.1', '127.0.0.0/8', `127.0.0.1:${portOf(local.hub.url)},127.0.0.1:${portOf(local.hub.cdnUrl)}`, '*']) {
    const r = await load(PUBLIC, { env: local.env({ HTTPS_PROXY: forward.url, NO_PROXY: noProxy }) });
    assert.deepEqual(r.ids, LLAMA_HELLO, `${noProxy}: ${r.message}`);
  }
  assert.equal(forward.requests().length, from);
  // A name is not an address: `localhost` does not cover 127.0.0.1.
  await load(PUBLIC, { env: local.env({ HTTPS_PROXY: forward.url, NO_PROXY: 'localhost' }) });
  assert.ok(forward.requests().length > from);
});

test('a forward proxy that is down gives NETWORK naming the proxy, without its password', async () => {
  const dead = new URL(await closedOrigin());
  const r = await load(PUBLIC, { env: local.env({ HTTPS_PROXY: `http://corp:s3cret-pass@${dead.host}` }) });
  assert.equal(r.code, 'NETWORK');
  assert.match(r.message, new RegExp(`^The forward proxy http://${dead.host} \\(from HTTPS_PROXY\\) could not be reached \\(ECONNREFUSED\\)`));
  assert.ok(!r.message.includes('s3cret') && !r.message.includes(local.hub.url) && !/the Hub/.test(r.message), r.message);
  assert.ok(!r.stack.includes('s3cret'));
});

test('Proxy-Authorization from the proxy URL goes to the forward proxy only', async () => {
  const guarded = await startForwardProxy({ auth: { user: 'corp', password: 'pr0xy-pass' } });
  try {
    const refused = await load(GATED, { env: local.env({ HF_TOKEN: TOKENS.accepted, HTTPS_PROXY: guarded.url }) });
    assert.equal(refused.code, 'NETWORK');
    assert.match(refused.message, /^The forward proxy http:\/\/127\.0\.0\.1:\d+ \(from HTTPS_PROXY\) refused the tunnel to 127\.0\.0\.1:\d+ \(HTTP 407/);

    local.hub.hubLog.length = 0;
    const withUser = `http://corp:pr0xy-pass@127.0.0.1:${guarded.port}`;
    const r = await load(GATED, { env: local.env({ HF_TOKEN: TOKENS.accepted, HTTPS_PROXY: withUser }) });
    assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
    assert.ok(local.hub.hubLog.length > 0 && local.hub.hubLog.every((l) => !l.hadProxyAuthorization));
    assert.ok(guarded.requests().every((line) => line.startsWith('CONNECT ')));
  } finally {
    await guarded.stop();
  }
});

test('plain http goes to the forward proxy as an absolute URL', async () => {
  const plain = await startHub();
  try {
    const from = forward.requests().length;
    const r = await load(PUBLIC, { env: { HF_ENDPOINT: plain.url, HTTP_PROXY: forward.url } });
    assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
    const lines = forward.requests().slice(from);
    assert.ok(lines.length > 0);
    for (const line of lines) assert.match(line, /^(HEAD|GET) http:\/\/127\.0\.0\.1:\d+\/\S+ HTTP\/1\.1$/);
    assert.ok(lines.some((l) => l.startsWith(`GET ${plain.cdnUrl}/`)), lines.join('\n'));
  } finally {
    await plain.close();
  }
});
