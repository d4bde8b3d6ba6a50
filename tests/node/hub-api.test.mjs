// The Node Hub API of the packed package (downloadFile, snapshotDownload,
// fileExists, modelInfo, whoami) against the local Hub emulator, and the
// cache it fills, read back by Python's huggingface_hub.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { consumerDir, runScript } from './support/consumer.mjs';
import { python } from './support/processes.mjs';
import { useHub, TOKENS, GATED, PRIVATE, PUBLIC } from './support/hub.mjs';

const MANY = 'hubguard-test/many-files';
const MANY_COUNT = 9;
const BIG = 'hubguard-test/big-file';
const local = useHub({
  extraRepos: [
    {
      id: MANY,
      files: Object.fromEntries(
        Array.from({ length: MANY_COUNT }, (_, i) => [`shard-${i}.bin`, { size: 1024 * 1024, generated: true, seed: i + 1 }]),
      ),
    },
    { id: BIG, files: { 'weights.bin': { size: 32 * 1024 * 1024, generated: true, seed: 99 } } },
  ],
});
const newHome = () => mkdtempSync(path.join(tmpdir(), 'hubguard-api-'));
const repoDir = (home, repo, type = 'models') => path.join(home, 'hub', `${type}--${repo.replace('/', '--')}`);
const SECRETS = Object.values(TOKENS);

/**
 * Calls `fn(options)` from the package in a child process; resolves to
 * { ok, value } or { ok: false, code, message, ... }, plus the progress
 * events seen. `options` is JSON; `extra` is JS source merged into it.
 */
async function call(fn, options, { env = {}, extra = '', before = '' } = {}) {
  const source = `
    import * as hubguard from 'hubguard';
    const events = [];
    ${before}
    // Only the downloads report progress; the other calls refuse the key.
    const progress = ${JSON.stringify(['downloadFile', 'snapshotDownload'].includes(fn))} ? { progress_callback: (e) => events.push(e) } : {};
    const options = { ...${JSON.stringify(options)}, ...progress, ${extra} };
    try {
      const value = await hubguard[${JSON.stringify(fn)}](options);
      console.log(JSON.stringify({ ok: true, value, events }));
    } catch (e) {
      console.log(JSON.stringify({ ok: false, isHubError: e instanceof hubguard.HubError, code: e.code, status: e.status,
        repoId: e.repoId, file: e.file, message: e.message, stack: String(e.stack), events }));
    }`;
  const run = await runScript(source, { env: { HF_ENDPOINT: local.hub.url, ...env } });
  for (const secret of SECRETS) {
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a token reached the output');
  }
  try {
    return JSON.parse(run.stdout.trim().split('\n').pop());
  } catch {
    throw new Error(`child produced no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/**
 * Child-side code that counts the downloads from the CDN in flight, from
 * the request until its body is read to the end, and records each count
 * as a `{ status: 'cdn-open', open }` event. (Counting on the server
 * would not do: the emulator may still be finishing an answer whose last
 * byte the client already has.)
 */
const countCdnDownloads = (cdnUrl) => `
  // Node's own HTTP client reports every request it starts on this channel,
  // whichever module made it.
  const { subscribe } = await import('node:diagnostics_channel');
  let open = 0;
  subscribe('http.client.request.start', ({ request }) => {
    if (request.getHeader('host') !== ${JSON.stringify(new URL(cdnUrl).host)}) return;
    events.push({ status: 'cdn-open', open: ++open });
    let counted = true;
    const done = () => { if (counted) { counted = false; open -= 1; } };
    request.on('error', done);
    request.on('response', (res) => { res.on('end', done); res.on('close', done); });
  });`;
const mostAtOnce = (events) => Math.max(0, ...events.filter((e) => e.status === 'cdn-open').map((e) => e.open));

test('downloadFile: a gated file needs a token; with one, the path holds the Hub file', async () => {
  const home = newHome();
  const args = { repo: GATED, path: 'tokenizer.json' };
  const anonymous = await call('downloadFile', args, { env: { HF_HOME: home } });
  assert.equal(anonymous.isHubError, true);
  assert.equal(anonymous.code, 'GATED_REPO', anonymous.message);

  const r = await call('downloadFile', args, { env: { HF_HOME: home, HF_TOKEN: TOKENS.accepted } });
  assert.ok(r.ok, r.message);
  const commit = local.hub.commitOf(GATED);
  assert.equal(r.value, path.join(repoDir(home, GATED), 'snapshots', commit, 'tokenizer.json'));
  assert.deepEqual(readFileSync(r.value), local.hub.readFile(GATED, 'tokenizer.json'));
  // Transformers.js events, named by repo and file.
  const statuses = r.events.map((e) => e.status);
  assert.equal(statuses[0], 'initiate');
  assert.equal(statuses.at(-1), 'done');
  assert.ok(r.events.every((e) => e.name === GATED && e.file === 'tokenizer.json'));

  const denied = await call('downloadFile', args, { env: { HF_HOME: newHome(), HF_TOKEN: TOKENS.noaccess } });
  assert.equal(denied.code, 'GATED_REPO');
});

test('downloadFile: cacheDir, repoType, revision, and local_files_only', async () => {
  const cacheDir = newHome();
  const data = await call('downloadFile', { repo: 'hubguard-test/public-data', repoType: 'dataset', path: 'data/train.csv', cacheDir });
  assert.ok(data.ok, data.message);
  assert.ok(data.value.startsWith(path.join(cacheDir, 'datasets--hubguard-test--public-data', 'snapshots')));
  assert.equal(readFileSync(data.value, 'utf8'), 'text,label\nhello,1\nworld,0\n');

  const old = await call('downloadFile', { repo: PUBLIC, path: 'tokenizer_config.json', revision: 'v1.0', cacheDir });
  assert.ok(old.ok, old.message);
  assert.equal(JSON.parse(readFileSync(old.value, 'utf8')).model_max_length, 4096);

  local.hub.hubLog.length = 0;
  const offline = await call('downloadFile', { repo: PUBLIC, path: 'tokenizer_config.json', revision: 'v1.0', cacheDir, local_files_only: true });
  assert.equal(offline.value, old.value);
  const missing = await call('downloadFile', { repo: PUBLIC, path: 'config.json', revision: 'v1.0', cacheDir, local_files_only: true });
  assert.equal(missing.code, 'NOT_CACHED');
  assert.equal(local.hub.hubLog.length, 0);

  const invalid = await call('downloadFile', { repo: PUBLIC, path: '../etc/passwd', cacheDir });
  assert.equal(invalid.code, 'INVALID_PATH');
  const noPath = await call('downloadFile', { repo: PUBLIC, cacheDir });
  assert.equal(noPath.code, 'INVALID_OPTION');
});

test('snapshotDownload fetches only the files the patterns select, and writes refs/{revision}', async () => {
  const home = newHome();
  local.hub.hubLog.length = 0;
  const r = await call('snapshotDownload', { repo: GATED, allowPatterns: ['*.json'], ignorePatterns: 'config.json' }, { env: { HF_HOME: home, HF_TOKEN: TOKENS.accepted } });
  assert.ok(r.ok, r.message);
  const commit = local.hub.commitOf(GATED);
  assert.equal(r.value, path.join(repoDir(home, GATED), 'snapshots', commit));
  assert.deepEqual(readdirSync(r.value).sort(), ['tokenizer.json', 'tokenizer_config.json']);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
    assert.deepEqual(readFileSync(path.join(r.value, f)), local.hub.readFile(GATED, f));
  }
  assert.equal(readFileSync(path.join(repoDir(home, GATED), 'refs', 'main'), 'utf8'), commit);
  const fetched = local.hub.hubLog.filter((l) => l.method === 'GET' && l.path.includes('/resolve/')).map((l) => path.basename(l.path));
  assert.ok(!fetched.includes('config.json'), fetched.join());
  assert.ok(local.hub.hubLog.some((l) => l.path === `/api/models/${GATED}/revision/main` && l.authorization === 'accepted'));

  // A folder pattern ("data/" = "data/*") on a dataset.
  const ds = await call('snapshotDownload', { repo: 'hubguard-test/public-data', repoType: 'dataset', allowPatterns: 'data/' }, { env: { HF_HOME: home } });
  assert.ok(ds.ok, ds.message);
  assert.deepEqual(readdirSync(ds.value), ['data']);

  const gated = await call('snapshotDownload', { repo: GATED }, { env: { HF_HOME: newHome() } });
  assert.equal(gated.code, 'GATED_REPO', gated.message);
});

test('snapshotDownload runs at most maxWorkers downloads at once', async () => {
  local.hub.faults = { slowMs: 15 };
  try {
    const before = countCdnDownloads(local.hub.cdnUrl);
    const three = await call('snapshotDownload', { repo: MANY, maxWorkers: 3 }, { env: { HF_HOME: newHome() }, before });
    assert.ok(three.ok, three.message);
    assert.equal(readdirSync(three.value).length, MANY_COUNT);
    assert.equal(three.events.filter((e) => e.status === 'cdn-open').length, MANY_COUNT);
    const max = mostAtOnce(three.events);
    assert.ok(max <= 3, `${max} downloads at once`);
    assert.ok(max >= 2, 'downloads ran in parallel');

    const eight = await call('snapshotDownload', { repo: MANY }, { env: { HF_HOME: newHome() }, before });
    assert.ok(eight.ok, eight.message);
    const all = mostAtOnce(eight.events);
    assert.ok(all <= 8 && all > 3, `default: ${all} at once`);
  } finally {
    local.hub.faults = {};
  }
});

test('snapshotDownload offline answers from refs/{revision}, else NOT_CACHED naming the repo', async () => {
  const home = newHome();
  const online = await call('snapshotDownload', { repo: PUBLIC, allowPatterns: '*.json' }, { env: { HF_HOME: home } });
  assert.ok(online.ok, online.message);
  local.hub.hubLog.length = 0;
  const offline = await call('snapshotDownload', { repo: PUBLIC }, { env: { HF_HOME: home, HF_HUB_OFFLINE: '1' } });
  assert.equal(offline.value, online.value);
  const byCommit = await call('snapshotDownload', { repo: PUBLIC, revision: local.hub.commitOf(PUBLIC), local_files_only: true }, { env: { HF_HOME: home } });
  assert.equal(byCommit.value, online.value);
  const miss = await call('snapshotDownload', { repo: PUBLIC, revision: 'v1.0' }, { env: { HF_HOME: home, HF_HUB_OFFLINE: '1' } });
  assert.equal(miss.code, 'NOT_CACHED');
  assert.ok(miss.message.includes(PUBLIC) && miss.message.includes('v1.0'), miss.message);
  assert.equal(local.hub.hubLog.length, 0);
});

test('Python huggingface_hub finds offline what snapshotDownload fetched', async () => {
  const home = newHome();
  const r = await call('snapshotDownload', { repo: PRIVATE, ignorePatterns: ['config.json'] }, { env: { HF_HOME: home, HF_TOKEN: TOKENS.accepted } });
  assert.ok(r.ok, r.message);
  const found = await python(
    `from huggingface_hub import snapshot_download
import os
p = snapshot_download("${PRIVATE}", local_files_only=True)
print(p)
print(",".join(sorted(os.listdir(p))))`,
    { HF_HOME: home, HF_HUB_OFFLINE: '1' },
  );
  const [folder, files] = found.split('\n');
  assert.equal(folder, r.value);
  assert.equal(files, 'tokenizer.json,tokenizer_config.json');
});

test('fileExists: one HEAD; false for a missing file, typed errors for refusals', async () => {
  const env = { HF_HOME: newHome() };
  local.hub.hubLog.length = 0;
  local.hub.cdnLog.length = 0;
  assert.equal((await call('fileExists', { repo: PUBLIC, path: 'tokenizer.json' }, { env })).value, true);
  assert.equal((await call('fileExists', { repo: PUBLIC, path: 'nope.json' }, { env })).value, false);
  assert.equal((await call('fileExists', { repo: PUBLIC, path: 'README.md', revision: 'refs/pr/1' }, { env })).value, true);
  assert.equal((await call('fileExists', { repo: PUBLIC, path: 'README.md' }, { env })).value, false);
  assert.deepEqual([...new Set(local.hub.hubLog.map((l) => l.method))], ['HEAD']);
  assert.equal(local.hub.cdnLog.length, 0, 'the LFS redirect is not followed');

  const gated = await call('fileExists', { repo: GATED, path: 'tokenizer.json' }, { env });
  assert.equal(gated.code, 'GATED_REPO');
  assert.equal((await call('fileExists', { repo: GATED, path: 'tokenizer.json', token: TOKENS.accepted }, { env })).value, true);
  assert.equal((await call('fileExists', { repo: PUBLIC, path: 'x', revision: 'no-such-branch' }, { env })).code, 'REVISION_NOT_FOUND');
  assert.equal((await call('fileExists', { repo: 'nobody/nothing', path: 'x' }, { env })).code, 'REPO_NOT_FOUND');
});

test('modelInfo: the Hub JSON at a revision; private repos need a token', async () => {
  const info = await call('modelInfo', { repo: GATED });
  assert.ok(info.ok, info.message);
  assert.equal(info.value.id, GATED);
  assert.equal(info.value.sha, local.hub.commitOf(GATED));
  assert.equal(info.value.gated, 'manual');
  const old = await call('modelInfo', { repo: PUBLIC, revision: 'v1.0' });
  assert.equal(old.value.sha, local.hub.commitOf(PUBLIC, 'v1.0'));
  const pr = await call('modelInfo', { repo: PUBLIC, revision: 'refs/pr/1' });
  assert.ok(pr.value.siblings.some((s) => s.rfilename === 'README.md'));

  const anonymous = await call('modelInfo', { repo: PRIVATE });
  assert.equal(anonymous.code, 'REPO_NOT_FOUND');
  const member = await call('modelInfo', { repo: PRIVATE }, { env: { HF_TOKEN: TOKENS.accepted } });
  assert.equal(member.value.private, true);
  const badRevision = await call('modelInfo', { repo: PUBLIC, revision: 'nope' });
  assert.equal(badRevision.code, 'REVISION_NOT_FOUND');
});

test('whoami: the account of a valid token; INVALID_TOKEN otherwise, never quoting it', async () => {
  const alice = await call('whoami', { token: TOKENS.accepted });
  assert.equal(alice.value.name, 'alice');
  assert.deepEqual(alice.value.orgs.map((o) => o.name), ['hubguard-test']);
  const fromEnv = await call('whoami', {}, { env: { HF_TOKEN: TOKENS.noaccess } });
  assert.equal(fromEnv.value.name, 'bob');

  const fake = 'hf_thisisnotavalidtoken000000';
  const invalid = await call('whoami', { token: fake });
  assert.equal(invalid.code, 'INVALID_TOKEN');
  assert.equal(invalid.status, 401);
  assert.ok(!invalid.message.includes(fake) && !invalid.stack.includes(fake), invalid.message);
  const none = await call('whoami', {});
  assert.equal(none.code, 'INVALID_TOKEN');
  assert.match(none.message, /Not logged in/);
  const offline = await call('whoami', { token: TOKENS.accepted }, { env: { HF_HUB_OFFLINE: '1' } });
  assert.equal(offline.code, 'NETWORK');
});

test('an AbortController cancels a download with ABORTED', async () => {
  local.hub.faults = { slowMs: 5 };
  local.hub.cdnLog.length = 0;
  try {
    const home = newHome();
    const r = await call(
      'downloadFile',
      { repo: BIG, path: 'weights.bin' },
      {
        env: { HF_HOME: home },
        before: 'const controller = new AbortController();',
        extra: `signal: controller.signal, progress_callback: (e) => { events.push(e); if (e.status === 'progress') controller.abort(); }`,
      },
    );
    assert.equal(r.isHubError, true);
    assert.equal(r.code, 'ABORTED', r.message);
    assert.ok(r.events.some((e) => e.status === 'progress'));
    const snapshots = path.join(repoDir(home, BIG), 'snapshots');
    assert.ok(!existsSync(snapshots) || readdirSync(snapshots).every((c) => readdirSync(path.join(snapshots, c)).length === 0));
    const already = await call('snapshotDownload', { repo: BIG }, { env: { HF_HOME: home }, before: 'const c = new AbortController(); c.abort();', extra: 'signal: c.signal' });
    assert.equal(already.code, 'ABORTED');
  } finally {
    local.hub.faults = {};
  }
});

test('the browser build has none of these calls', () => {
  const browserJs = readFileSync(path.join(consumerDir, 'node_modules/hubguard/browser/index.js'), 'utf8');
  const glue = readFileSync(path.join(consumerDir, 'node_modules/hubguard/browser/hubguard_wasm.js'), 'utf8');
  for (const name of ['downloadFile', 'snapshotDownload', 'fileExists', 'modelInfo', 'whoami', 'tokenFilePath']) {
    assert.ok(!browserJs.includes(name) && !glue.includes(name), name);
  }
});
