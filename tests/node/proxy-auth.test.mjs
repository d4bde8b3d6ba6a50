// The proxy's access control and access log (issue 17): `authorize` and
// what each of its results means, the CLI's --require-bearer-env, the
// warning a proxy without either gives, and `onRequest` / the CLI log line.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { useHub, TOKENS, GATED } from './support/hub.mjs';
import { startProxy, startProxyScript } from './support/proxy.mjs';

const local = useHub();
const FILE = `/${GATED}/resolve/main/tokenizer_config.json`;
const SESSION = 'app-session-7f3c9d2e1b';
let p;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  await local.ready;
  // `x-user` says what authorize returns; the target it was given comes back
  // as the identity for 'target'.
  p = await startProxyScript(
    `{
      allow: [${JSON.stringify(GATED)}],
      endpoint: ${JSON.stringify(local.hub.url)},
      rateLimit: { requests: 2, perSeconds: 600 },
      authorize(request, target) {
        const user = request.headers.get('x-user');
        switch (user) {
          case 'deny': return false;
          case 'respond': return new Response('log in first', { status: 401, headers: { 'x-app': 'mine' } });
          case 'yes': return true;
          case 'throw': throw new Error('bad session ' + request.headers.get('x-session'));
          case 'reject': return Promise.reject(new Error('db down for ' + request.headers.get('x-session')));
          case 'empty': return '';
          case 'nothing': return undefined;
          case 'target': return JSON.stringify(target);
          default: return Promise.resolve(user);
        }
      },
    }`,
    { HF_TOKEN: TOKENS.accepted },
  );
});
after(() => p?.stop());

async function ask(user, path = FILE, extra = {}) {
  const res = await fetch(p.url + path, { headers: { 'x-user': user, 'x-session': SESSION, ...extra } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** The access-log entry of the latest request (entries come when answers end). */
async function lastEntry(count) {
  const deadline = Date.now() + 5000;
  while (p.entries.length < count && Date.now() < deadline) await sleep(20);
  return p.entries[count - 1];
}

test('authorize decides before anything goes upstream: false 403, a Response as it is, a throw 500', async () => {
  local.hub.hubLog.length = 0;
  const before = p.entries.length;
  const denied = await ask('deny');
  assert.equal(denied.status, 403);
  const own = await ask('respond');
  assert.deepEqual([own.status, own.text, own.headers.get('x-app')], [401, 'log in first', 'mine']);
  for (const user of ['throw', 'reject', 'empty', 'nothing']) {
    const failed = await ask(user);
    assert.equal(failed.status, 500, user);
    assert.ok(!failed.text.includes(SESSION) && !failed.text.includes('db down'), failed.text);
  }
  assert.deepEqual(local.hub.hubLog, [], 'no refused request reached the Hub');
  const entries = p.entries.slice(before);
  assert.deepEqual(entries.map((e) => e.status), [403, 401, 500, 500, 500, 500]);
  assert.match(entries[2].error, /^authorize threw: bad session/);
  assert.match(entries[3].error, /db down/);
  for (const e of entries) assert.ok(!JSON.stringify(e).includes(SESSION), 'the log has no request header value');
});

test('a string is the identity: it keys the rate limit and appears in the log; true means the address', async () => {
  const n = p.entries.length;
  assert.equal((await ask('alice')).status, 200);
  assert.equal((await lastEntry(n + 1)).identity, 'alice');
  assert.equal((await ask('alice')).status, 200);
  assert.equal((await ask('alice')).status, 429, 'alice spent her two requests');
  assert.equal((await ask('bob')).status, 200, 'bob has his own bucket');
  assert.equal((await ask('yes')).status, 200);
  assert.equal((await lastEntry(n + 5)).identity, '127.0.0.1');
  const target = await ask('target', `/${GATED}/resolve/refs%2Fpr%2F1/tokenizer.json`);
  assert.equal(target.status, 404, 'the emulator has no such PR; authorize ran first');
  assert.deepEqual(JSON.parse((await lastEntry(n + 6)).identity), {
    repo: GATED,
    repoType: 'model',
    revision: 'refs/pr/1',
    file: 'tokenizer.json',
  });
});

test('each access-log entry names the file, status, bytes and time, and never a query or token', async () => {
  const n = p.entries.length;
  const ok = await ask('carol');
  const refused = await fetch(`${p.url}${FILE}?X-Amz-Signature=secret-sig&token=${TOKENS.accepted}`, { headers: { 'x-user': 'carol' } });
  await refused.arrayBuffer();
  const [served, queried] = [await lastEntry(n + 1), await lastEntry(n + 2)];
  assert.deepEqual(
    { ...served, ms: typeof served.ms },
    {
      identity: 'carol',
      method: 'GET',
      repo: GATED,
      repoType: 'model',
      revision: 'main',
      file: 'tokenizer_config.json',
      status: 200,
      bytes: Buffer.byteLength(ok.text),
      ms: 'number',
      outcome: 'complete',
    },
  );
  assert.equal(queried.status, 400);
  assert.equal(queried.repo, null);
  assert.ok(!JSON.stringify(queried).includes('secret-sig') && !JSON.stringify(queried).includes(TOKENS.accepted));
});

test('--require-bearer-env: only clients with the shared secret get files; it is never forwarded or printed', async () => {
  const secret = 'shared-secret-' + 'x'.repeat(24);
  const cli = await startProxy(['--allow', GATED, '--require-bearer-env', 'PROXY_SECRET'], {
    HF_TOKEN: TOKENS.accepted,
    HF_ENDPOINT: local.hub.url,
    PROXY_SECRET: secret,
  });
  try {
    local.hub.hubLog.length = 0;
    const statuses = [];
    for (const auth of [undefined, 'Bearer wrong', `Basic ${secret}`, `Bearer ${secret}x`, `Bearer ${secret}`]) {
      const res = await fetch(cli.url + FILE, { headers: auth ? { Authorization: auth } : {} });
      statuses.push(res.status);
      if (res.status === 401) assert.equal(res.headers.get('www-authenticate'), 'Bearer');
      await res.arrayBuffer();
    }
    assert.deepEqual(statuses, [401, 401, 401, 401, 200]);
    assert.deepEqual(local.hub.hubLog.map((l) => l.authorization), ['accepted'], 'the Hub saw the server token only');
    assert.ok(!cli.output.includes(secret));
    assert.ok(!cli.output.includes('no `authorize` option'), 'no warning with a check in place');
  } finally {
    await cli.stop();
  }
  await assert.rejects(
    startProxy(['--allow', GATED, '--require-bearer-env', 'UNSET_VAR'], { HF_TOKEN: TOKENS.accepted }),
    /UNSET_VAR is empty or not set/,
  );
});

test('without authorize the proxy says once, at start, that anyone who can reach it gets the files', async () => {
  const cli = await startProxy(['--allow', GATED], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
  try {
    for (let i = 0; i < 3; i++) await (await fetch(cli.url + FILE)).arrayBuffer();
    assert.equal(cli.stderr.match(/no `authorize` option/g)?.length, 1, cli.stderr);
    // And the CLI's log line per request (written when each answer has ended).
    const lines = () => cli.output.split('\n').filter((l) => l.includes(' GET '));
    for (let i = 0; i < 100 && lines().length < 3; i++) await sleep(20);
    assert.equal(lines().length, 3);
    assert.match(lines()[0], /^\S+Z 127\.0\.0\.1 GET meta-llama\/Llama-2-7b-hf@main tokenizer_config\.json 200 \d+B \d+ms$/);
  } finally {
    await cli.stop();
  }
  assert.ok(!p.stderr.includes('no `authorize` option'), 'a proxy with authorize does not warn');
});
