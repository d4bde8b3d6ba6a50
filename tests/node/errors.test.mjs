// Every row of the error table, against the local Hub, through the package.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load } from './support/consumer.mjs';
import { closedOrigin } from './support/processes.mjs';
import { useHub, TOKENS, GATED, PRIVATE, PUBLIC, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();

async function expectError(repo, { token, options = {}, code, status, message }) {
  const env = local.env(token ? { HF_TOKEN: token } : {});
  const result = await load(repo, { options, env });
  assert.equal(result.ok, false, `expected ${code}, got ${JSON.stringify(result.ids)}`);
  assert.equal(result.isHubError, true);
  assert.equal(result.name, 'HubError');
  assert.equal(result.code, code, result.message);
  if (status !== undefined) assert.equal(result.status, status);
  if (message) assert.match(result.message, message);
  return result;
}

test('gated repo, no token: GATED_REPO says to set HF_TOKEN', async () => {
  const r = await expectError(GATED, { code: 'GATED_REPO', status: 401, message: /gated.*HF_TOKEN/s });
  assert.equal(r.repoId, GATED);
  assert.equal(r.file, 'tokenizer.json');
});

test('gated repo, token without access: GATED_REPO points to the repo page', async () => {
  await expectError(GATED, {
    token: TOKENS.noaccess,
    code: 'GATED_REPO',
    status: 403,
    message: /not been granted access.*https:\/\/huggingface\.co\/meta-llama\/Llama-2-7b-hf/s,
  });
});

test('private repo, no token: REPO_NOT_FOUND says it may be private', async () => {
  await expectError(PRIVATE, { code: 'REPO_NOT_FOUND', status: 401, message: /private.*HF_TOKEN/s });
});

test('private repo, token without access: REPO_NOT_FOUND says the token cannot see it', async () => {
  await expectError(PRIVATE, { token: TOKENS.noaccess, code: 'REPO_NOT_FOUND', status: 404, message: /this token cannot see it/ });
});

test('private repo, accepted token: loads', async () => {
  const result = await load(PRIVATE, { env: local.env({ HF_TOKEN: TOKENS.accepted }) });
  assert.deepEqual(result.ids, LLAMA_HELLO);
});

test('missing repo: REPO_NOT_FOUND', async () => {
  await expectError('hubguard-test/no-such-repo', { code: 'REPO_NOT_FOUND', status: 401 });
});

test('unknown revision: REVISION_NOT_FOUND names it', async () => {
  await expectError(PUBLIC, { options: { revision: 'no-such-branch' }, code: 'REVISION_NOT_FOUND', status: 404, message: /no-such-branch/ });
});

test('a repo without tokenizer.json: ENTRY_NOT_FOUND names the file', async () => {
  local.hub.addRepo({ id: 'hubguard-test/no-tokenizer', files: { 'config.json': '{}' } });
  const r = await expectError('hubguard-test/no-tokenizer', { code: 'ENTRY_NOT_FOUND', status: 404, message: /tokenizer\.json/ });
  assert.equal(r.file, 'tokenizer.json');
});

test('a malformed tokenizer.json: INVALID_TOKENIZER, no crash', async () => {
  local.hub.addRepo({
    id: 'hubguard-test/broken-tokenizer',
    files: { 'tokenizer.json': '{"model": {"type": "BPE", "vocab": [1,2', 'tokenizer_config.json': '{}' },
  });
  await expectError('hubguard-test/broken-tokenizer', { code: 'INVALID_TOKENIZER', message: /tokenizer\.json.*broken-tokenizer/s });
});

test('a malformed tokenizer_config.json: INVALID_TOKENIZER names that file', async () => {
  local.hub.addRepo({
    id: 'hubguard-test/broken-config',
    files: { 'tokenizer.json': local.hub.readFile(PUBLIC, 'tokenizer.json'), 'tokenizer_config.json': '{oops' },
  });
  const r = await expectError('hubguard-test/broken-config', { code: 'INVALID_TOKENIZER' });
  assert.equal(r.file, 'tokenizer_config.json');
});

test('429: RATE_LIMITED with the server delay', async () => {
  local.hub.faults.rateLimit = { retryAfter: 7 };
  try {
    const r = await expectError(PUBLIC, { code: 'RATE_LIMITED', status: 429, message: /7 seconds/ });
    assert.equal(r.retryAfter, 7);
  } finally {
    local.hub.faults.rateLimit = undefined;
  }
});

test('connection refused: NETWORK names the endpoint', async () => {
  const closed = await closedOrigin();
  const result = await load(PUBLIC, { env: { HF_ENDPOINT: closed } });
  assert.equal(result.code, 'NETWORK');
  assert.ok(result.message.includes(closed), result.message);
});

test('a connection dropped mid-body: NETWORK, not a bad tokenizer', async () => {
  local.hub.faults.dropAfterBytes = 1000;
  try {
    await expectError(PUBLIC, { code: 'NETWORK', message: /tokenizer\.json/ });
  } finally {
    local.hub.faults.dropAfterBytes = undefined;
  }
});

test('bad repo ids are rejected before any request', async () => {
  const before = local.hub.hubLog.length;
  for (const id of ['', 'a/b/c', '../etc/passwd', 'a--b/c', 'a/..', 'a b/c', 'org/na?me', 'x'.repeat(97), '/abs', 'org/-name']) {
    const r = await load(id, { env: local.env() });
    assert.equal(r.code, 'INVALID_REPO_ID', `${id}: ${r.message}`);
    assert.match(r.message, /namespace\/name/);
  }
  assert.equal(local.hub.hubLog.length, before, 'no request reached the Hub');
});

test('bad revisions and option types are typed errors', async () => {
  assert.equal((await load(PUBLIC, { options: { revision: '../main' }, env: local.env() })).code, 'INVALID_REVISION');
  assert.equal((await load(PUBLIC, { options: { revision: 5 }, env: local.env() })).code, 'INVALID_OPTION');
  assert.equal((await load(PUBLIC, { options: { token: 5 }, env: local.env() })).code, 'INVALID_OPTION');
  const r = await load(PUBLIC, { env: local.env(), before: 'AutoTokenizer.from_pretrained(42).catch((e) => console.log(JSON.stringify({ok:false, code: e.code})));' });
  assert.ok(r.raw.includes('"code":"INVALID_OPTION"'), r.raw);
});

test('a token put where a repo id, revision or endpoint goes never comes back in an error', async () => {
  const secret = 'hf_' + 'Leak'.repeat(8);
  const cases = [
    { repo: secret, code: 'REPO_NOT_FOUND' },
    { repo: `${secret}/x/y`, code: 'INVALID_REPO_ID' },
    { repo: PUBLIC, options: { revision: secret }, code: 'REVISION_NOT_FOUND' },
    { repo: PUBLIC, options: { revision: `../${secret}` }, code: 'INVALID_REVISION' },
    { repo: 'org/not-cached', options: { revision: secret, local_files_only: true }, code: 'NOT_CACHED' },
    { repo: PUBLIC, before: `(await import('hubguard')).env.endpoint = 'http://user:${secret}@127.0.0.1:1/';`, code: 'INVALID_ENDPOINT' },
    { repo: PUBLIC, before: `(await import('hubguard')).env.endpoint = 'http://127.0.0.1:1/?t=${secret}';`, code: 'INVALID_ENDPOINT' },
  ];
  for (const { repo, options = {}, before = '', code } of cases) {
    const r = await load(repo, { options, before, env: local.env() });
    assert.equal(r.code, code, `${repo} ${JSON.stringify(options)}: ${r.message}`);
    assert.ok(!r.raw.includes('Leak'), `the token is in ${r.raw}`);
  }
});
