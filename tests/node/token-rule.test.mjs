// The token rule in the built package: where the token comes from, where it
// goes (the Hub origin, never the CDN), and that it never shows in output.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();

function tokenFile(relative, token) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hubguard-tokenfile-'));
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`);
  return { dir, file };
}

test('the token reaches the Hub and never the CDN', async () => {
  const hub = local.hub;
  hub.cdnLog.length = 0;
  hub.hubLog.length = 0;
  const result = await load(GATED, { env: local.env({ HF_TOKEN: TOKENS.accepted }) });
  assert.deepEqual(result.ids, LLAMA_HELLO);
  assert.ok(hub.cdnLog.length >= 1, 'tokenizer.json is an LFS file served by the CDN');
  assert.ok(hub.cdnLog.every((r) => !r.hadAuthorization), JSON.stringify(hub.cdnLog));
  const resolves = hub.hubLog.filter((r) => r.path.includes('/resolve/'));
  assert.ok(resolves.length >= 2);
  assert.ok(resolves.every((r) => r.authorization === 'accepted'), JSON.stringify(resolves));
});

test('the token option wins over HF_TOKEN', async () => {
  const result = await load(GATED, {
    options: { token: TOKENS.accepted },
    env: local.env({ HF_TOKEN: TOKENS.noaccess }),
  });
  assert.deepEqual(result.ids, LLAMA_HELLO);
});

test('token: false sends no token even when HF_TOKEN is set', async () => {
  const result = await load(GATED, { options: { token: false }, env: local.env({ HF_TOKEN: TOKENS.accepted }) });
  assert.equal(result.code, 'GATED_REPO');
  assert.equal(result.status, 401);
});

test('an empty HF_TOKEN means no token', async () => {
  const result = await load(GATED, { env: local.env({ HF_TOKEN: '' }) });
  assert.equal(result.code, 'GATED_REPO');
  assert.equal(result.status, 401);
});

test('the token file at $HF_TOKEN_PATH is used', async () => {
  const { file } = tokenFile('custom/token', TOKENS.accepted);
  const result = await load(GATED, { env: local.env({ HF_TOKEN_PATH: file }) });
  assert.deepEqual(result.ids, LLAMA_HELLO);
});

test('the token file at $HF_HOME/token is used', async () => {
  const { dir } = tokenFile('token', TOKENS.accepted);
  const result = await load(GATED, { env: local.env({ HF_HOME: dir }) });
  assert.deepEqual(result.ids, LLAMA_HELLO);
});

test('the token file at ~/.cache/huggingface/token is used', async () => {
  const { dir } = tokenFile('.cache/huggingface/token', TOKENS.accepted);
  const result = await load(GATED, { env: local.env({ HOME: dir }) });
  assert.deepEqual(result.ids, LLAMA_HELLO);
});

test('HF_TOKEN wins over the token file', async () => {
  const { dir } = tokenFile('token', TOKENS.accepted);
  const result = await load(GATED, { env: local.env({ HF_HOME: dir, HF_TOKEN: TOKENS.noaccess }) });
  assert.equal(result.code, 'GATED_REPO');
  assert.equal(result.status, 403);
});

test('an invalid token gives INVALID_TOKEN naming its source, never its value', async () => {
  const bad = 'hf_thisTokenIsNotValidAtAll0123456789';
  const fromEnv = await load(GATED, { env: local.env({ HF_TOKEN: bad }) });
  assert.equal(fromEnv.code, 'INVALID_TOKEN');
  assert.equal(fromEnv.status, 401);
  assert.match(fromEnv.message, /HF_TOKEN environment variable/);

  const { file } = tokenFile('t/token', bad);
  const fromFile = await load(GATED, { env: local.env({ HF_TOKEN_PATH: file }) });
  assert.equal(fromFile.code, 'INVALID_TOKEN');
  assert.ok(fromFile.message.includes(file), fromFile.message);

  const fromOption = await load(GATED, { options: { token: bad }, env: local.env() });
  assert.match(fromOption.message, /`token` option/);

  for (const r of [fromEnv, fromFile, fromOption]) {
    assert.ok(!r.raw.includes(bad) && !r.stderr.includes(bad), 'token leaked into output');
  }
});

test('a token with characters no header can carry is refused without quoting it', async () => {
  const result = await load(GATED, { options: { token: 'hf_has a space inside' }, env: local.env() });
  assert.equal(result.code, 'INVALID_TOKEN');
  assert.ok(!result.raw.includes('has a space'));
});

test('no error message or stack carries the accepted token', async () => {
  for (const repo of [GATED, 'hubguard-test/does-not-exist', 'bad//id']) {
    const result = await load(repo, { options: { revision: 'no-such-rev' }, env: local.env({ HF_TOKEN: TOKENS.noaccess }) });
    assert.equal(result.ok, false);
    assert.ok(!result.raw.includes(TOKENS.noaccess), result.raw);
  }
});

test('HUGGING_FACE_HUB_TOKEN is used after HF_TOKEN and before the token file', async () => {
  const alone = await load(GATED, { env: local.env({ HUGGING_FACE_HUB_TOKEN: TOKENS.accepted }) });
  assert.deepEqual(alone.ids, LLAMA_HELLO, alone.message);
  const { dir } = tokenFile('token', TOKENS.noaccess);
  const overFile = await load(GATED, { env: local.env({ HF_HOME: dir, HUGGING_FACE_HUB_TOKEN: TOKENS.accepted }) });
  assert.deepEqual(overFile.ids, LLAMA_HELLO, overFile.message);
  const under = await load(GATED, { env: local.env({ HF_TOKEN: TOKENS.noaccess, HUGGING_FACE_HUB_TOKEN: TOKENS.accepted }) });
  assert.equal(under.status, 403);
  const bad = await load(GATED, { env: local.env({ HUGGING_FACE_HUB_TOKEN: 'hf_thisTokenIsNotValidAtAll0123456789' }) });
  assert.match(bad.message, /HUGGING_FACE_HUB_TOKEN environment variable/);
});

test('HF_HUB_DISABLE_IMPLICIT_TOKEN=1 sends only a token passed explicitly', async () => {
  const { dir } = tokenFile('token', TOKENS.accepted);
  const env = local.env({ HF_HOME: dir, HF_TOKEN: TOKENS.accepted, HF_HUB_DISABLE_IMPLICIT_TOKEN: '1' });
  local.hub.hubLog.length = 0;
  const implicit = await load(GATED, { env });
  assert.equal(implicit.code, 'GATED_REPO');
  assert.equal(implicit.status, 401);
  assert.ok(local.hub.hubLog.every((r) => r.authorization === 'none'));
  const explicit = await load(GATED, { options: { token: TOKENS.accepted }, env });
  assert.deepEqual(explicit.ids, LLAMA_HELLO, explicit.message);
  // `token: true` looks the token up anyway, as huggingface_hub's token=True.
  const required = await load(GATED, { options: { token: true }, env });
  assert.deepEqual(required.ids, LLAMA_HELLO, required.message);
  // Only huggingface_hub's true values count.
  const notTrue = await load(GATED, { env: { ...env, HF_HUB_DISABLE_IMPLICIT_TOKEN: 'y' } });
  assert.deepEqual(notTrue.ids, LLAMA_HELLO, notTrue.message);
});

test('token: true with no token anywhere is INVALID_TOKEN, before any request', async () => {
  local.hub.hubLog.length = 0;
  const r = await load(GATED, { options: { token: true }, env: local.env() });
  assert.equal(r.code, 'INVALID_TOKEN');
  assert.match(r.message, /^Not logged in/);
  assert.equal(local.hub.hubLog.length, 0);
});
