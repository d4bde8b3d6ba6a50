// Named tokens shared with the real `hf` CLI (huggingface_hub, pinned in
// tests/python/requirements.txt) against the local Hub: what one tool logs
// in, switches to or logs out of, the other sees.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consumerDir, load } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();
const BIN = path.join(consumerDir, 'node_modules/hubguard/bin/hubguard.cjs');
const HF = 'import sys; from huggingface_hub.cli.hf import main; sys.argv[0] = "hf"; main()';

/** A fresh HF_HOME (and HOME) shared by both tools. */
function newHome() {
  const home = mkdtempSync(path.join(tmpdir(), 'hubguard-hf-auth-'));
  return { home, hfHome: path.join(home, 'hf') };
}

/** Async on purpose: the Hub runs in this process. */
function run(command, args, { home, hfHome }, extra = {}) {
  const env = {
    PATH: process.env.PATH, HOME: home, HF_HOME: hfHome, HF_ENDPOINT: local.hub.url,
    HF_HUB_DISABLE_TELEMETRY: '1', HF_HUB_DISABLE_UPDATE_CHECK: '1', NO_COLOR: '1', ...extra,
  };
  const child = spawn(command, args, { env, cwd: consumerDir });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      for (const token of Object.values(TOKENS)) assert.ok(!`${stdout}${stderr}`.includes(token), `${args.join(' ')} printed a token`);
      resolve({ code, stdout, stderr, output: stdout + stderr });
    });
  });
}
const hf = (args, where, extra) => run(process.env.PYTHON ?? 'python3', ['-c', HF, ...args], where, extra);
const hubguard = (args, where, extra) => run(process.execPath, [BIN, ...args], where, extra);

test('a token `hf auth login` stored is the one hubguard loads with and lists as active', async () => {
  const where = newHome();
  const login = await hf(['auth', 'login', '--token', TOKENS.accepted], where);
  assert.equal(login.code, 0, login.output);
  const r = await load(GATED, { env: { HF_HOME: where.hfHome, HF_ENDPOINT: local.hub.url } });
  assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
  const list = await hubguard(['auth', 'list'], where);
  assert.equal(list.code, 0, list.output);
  assert.match(list.stdout, /^\* alice-read hf_\*\*\*\*cdef$/m);
});

test('a token `hubguard login` stored is seen by `hf auth whoami` and `hf auth list`, in the same file format', async () => {
  const where = newHome();
  for (const token of [TOKENS.noaccess, TOKENS.accepted]) {
    const login = await hubguard(['login', '--token', token], where);
    assert.equal(login.code, 0, login.output);
  }
  const whoami = await hf(['auth', 'whoami'], where);
  assert.equal(whoami.code, 0, whoami.output);
  assert.match(whoami.output, /alice/);
  const list = await hf(['auth', 'list'], where);
  assert.match(list.stdout, /^\* alice-read +hf_\*\*\*\*cdef$/m);
  assert.match(list.stdout, /^ +bob-read +hf_\*\*\*\*cdef$/m);
  const stored = path.join(where.hfHome, 'stored_tokens');
  assert.equal(readFileSync(stored, 'utf8'), `[alice-read]\nhf_token = ${TOKENS.accepted}\n\n[bob-read]\nhf_token = ${TOKENS.noaccess}\n\n`);
  assert.equal(statSync(stored).mode & 0o777, 0o600);
  assert.equal(statSync(where.hfHome).mode & 0o777, 0o700);
});

test('switching in either tool is seen by the other', async () => {
  const where = newHome();
  assert.equal((await hf(['auth', 'login', '--token', TOKENS.noaccess], where)).code, 0);
  assert.equal((await hubguard(['login', '--token', TOKENS.accepted], where)).code, 0);

  const hfSwitch = await hf(['auth', 'switch', '--token-name', 'bob-read'], where);
  assert.equal(hfSwitch.code, 0, hfSwitch.output);
  assert.equal((await hubguard(['whoami'], where)).stdout, 'bob\n');

  const ours = await hubguard(['auth', 'switch', 'alice-read'], where);
  assert.equal(ours.code, 0, ours.output);
  assert.match((await hf(['auth', 'whoami'], where)).output, /alice/);
  const r = await load(GATED, { env: { HF_HOME: where.hfHome, HF_ENDPOINT: local.hub.url } });
  assert.deepEqual(r.ids, LLAMA_HELLO, r.message);

  const unknown = await hubguard(['auth', 'switch', 'nobody'], where);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /no stored token named "nobody".*alice-read, bob-read/);
});

test('logout of one name or of all is what `hf auth logout` does, and hf sees it', async () => {
  const where = newHome();
  for (const token of [TOKENS.noaccess, TOKENS.accepted]) await hubguard(['login', '--token', token], where);
  const one = await hubguard(['logout', '--token-name', 'bob-read'], where);
  assert.equal(one.code, 0, one.output);
  const hfList = await hf(['auth', 'list'], where);
  assert.doesNotMatch(hfList.stdout, /bob-read/);
  assert.match(hfList.stdout, /^\* alice-read/m);

  const active = await hubguard(['auth', 'logout', '--token-name', 'alice-read'], where);
  assert.match(active.stdout, /it was the active token/);
  assert.ok(!existsSync(path.join(where.hfHome, 'token')));
  assert.equal((await hf(['auth', 'whoami'], where)).code, 1);

  await hf(['auth', 'login', '--token', TOKENS.accepted], where);
  const all = await hubguard(['logout'], where);
  assert.equal(all.code, 0, all.output);
  assert.ok(!existsSync(path.join(where.hfHome, 'token')) && !existsSync(path.join(where.hfHome, 'stored_tokens')));
  assert.match((await hubguard(['logout'], where)).stdout, /^Not logged in/);

  // As hf: with a token still in the environment, logging out is not done.
  await hubguard(['login', '--token', TOKENS.accepted], where);
  const envStill = await hubguard(['logout'], where, { HF_TOKEN: TOKENS.noaccess });
  assert.equal(envStill.code, 1);
  assert.match(envStill.stderr, /HF_TOKEN is still set/);
});

test('a stored_tokens file hf cannot parse is overwritten by the next login, as hf does', async () => {
  const where = newHome();
  await hubguard(['login', '--token', TOKENS.noaccess], where);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(path.join(where.hfHome, 'stored_tokens'), '[dup]\nhf_token = a\n[dup]\nhf_token = b\n');
  assert.match((await hubguard(['auth', 'list'], where)).stdout, /^No stored tokens/);
  await hubguard(['login', '--token', TOKENS.accepted], where);
  assert.match((await hf(['auth', 'list'], where)).stdout, /^\* alice-read/m);
});
