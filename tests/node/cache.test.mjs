// The huggingface_hub cache, shared with Python in both directions, and the
// offline, revalidation and integrity rules, through the packed package.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load, runScript } from './support/consumer.mjs';
import { closedOrigin, python } from './support/processes.mjs';
import { useHub, TOKENS, GATED, PUBLIC, LLAMA_HELLO } from './support/hub.mjs';
import { defaultFixtureDir } from '../fixtures/llama2.mjs';

const local = useHub();
const newHome = () => mkdtempSync(path.join(tmpdir(), 'hubguard-hfhome-'));
const repoDir = (home, repo) => path.join(home, 'hub', `models--${repo.replace('/', '--')}`);

test('Python downloads, hubguard loads offline and with the Hub unreachable', async () => {
  const home = newHome();
  await python(
    `from huggingface_hub import hf_hub_download
for f in ["tokenizer.json", "tokenizer_config.json"]:
    hf_hub_download("${GATED}", f)`,
    { HF_HOME: home, HF_ENDPOINT: local.hub.url, HF_TOKEN: TOKENS.accepted },
  );
  const down = await closedOrigin();
  local.hub.hubLog.length = 0;
  const offline = await load(GATED, { env: { HF_HOME: home, HF_HUB_OFFLINE: '1', HF_ENDPOINT: down } });
  assert.deepEqual(offline.ids, LLAMA_HELLO, offline.message);
  const unreachable = await load(GATED, { env: { HF_HOME: home, HF_ENDPOINT: down } });
  assert.deepEqual(unreachable.ids, LLAMA_HELLO, unreachable.message);
  assert.equal(local.hub.hubLog.length, 0);
});

test('hubguard downloads, Python loads it offline', async () => {
  const home = newHome();
  const r = await load(GATED, { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url, HF_TOKEN: TOKENS.accepted } });
  assert.deepEqual(r.ids, LLAMA_HELLO);
  const found = await python(
    `from huggingface_hub import hf_hub_download
print(hf_hub_download("${GATED}", "tokenizer.json"))`,
    { HF_HOME: home, HF_HUB_OFFLINE: '1' },
  );
  assert.deepEqual(readFileSync(found), readFileSync(path.join(defaultFixtureDir, 'tokenizer.json')));
  assert.ok(lstatSync(found).isSymbolicLink());
  assert.match(readlinkSync(found), /^\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/);
  const refs = readFileSync(path.join(repoDir(home, GATED), 'refs/main'), 'utf8');
  assert.equal(refs, local.hub.commitOf(GATED));
});

test('a cached branch revalidates with HEADs only; a new commit fetches only what changed', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
  await load(PUBLIC, { env });
  local.hub.hubLog.length = 0;
  local.hub.cdnLog.length = 0;
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO);
  assert.deepEqual([...new Set(local.hub.hubLog.map((l) => l.method))], ['HEAD']);
  assert.equal(local.hub.cdnLog.length, 0);

  const config = JSON.parse(local.hub.readFile(PUBLIC, 'tokenizer_config.json'));
  local.hub.commit(PUBLIC, { 'tokenizer_config.json': JSON.stringify({ ...config, model_max_length: 2048 }) });
  local.hub.hubLog.length = 0;
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO);
  const gets = local.hub.hubLog.filter((l) => l.method === 'GET').map((l) => path.basename(l.path));
  assert.deepEqual(gets, ['tokenizer_config.json']);
  assert.equal(local.hub.cdnLog.length, 0, 'tokenizer.json (same blob) was not downloaded again');
  const commit = local.hub.commitOf(PUBLIC);
  assert.equal(readFileSync(path.join(repoDir(home, PUBLIC), 'refs/main'), 'utf8'), commit);
  assert.ok(existsSync(path.join(repoDir(home, PUBLIC), 'snapshots', commit, 'tokenizer.json')));
});

test('a cached commit-hash revision makes no request', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
  const sha = local.hub.commitOf(PUBLIC);
  await load(PUBLIC, { env, options: { revision: sha } });
  local.hub.hubLog.length = 0;
  assert.deepEqual((await load(PUBLIC, { env, options: { revision: sha } })).ids, LLAMA_HELLO);
  assert.equal(local.hub.hubLog.length, 0);
});

test('offline with nothing cached: NOT_CACHED names the repo, file and revision', async () => {
  for (const env of [{ HF_HUB_OFFLINE: '1' }, {}]) {
    const options = env.HF_HUB_OFFLINE ? {} : { local_files_only: true };
    local.hub.hubLog.length = 0;
    const r = await load(PUBLIC, { env: { HF_HOME: newHome(), HF_ENDPOINT: local.hub.url, ...env }, options: { ...options, revision: 'v1.0' } });
    assert.equal(r.code, 'NOT_CACHED');
    assert.ok(r.message.includes(PUBLIC) && r.message.includes('tokenizer.json') && r.message.includes('v1.0'), r.message);
    assert.equal(local.hub.hubLog.length, 0);
  }
});

test('a corrupted download is refused with INTEGRITY and leaves no blob', async () => {
  const home = newHome();
  local.hub.faults.corruptByte = true;
  try {
    const r = await load(PUBLIC, { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url } });
    assert.equal(r.code, 'INTEGRITY', r.message);
    const blobs = path.join(repoDir(home, PUBLIC), 'blobs');
    const names = existsSync(blobs) ? readdirSync(blobs) : [];
    assert.ok(names.every((n) => !/^[0-9a-f]{64}/.test(n)), names.join());
  } finally {
    local.hub.faults.corruptByte = false;
  }
});

test('a cache that cannot be written is a CACHE_IO error saying what to check', async () => {
  const blocker = path.join(newHome(), 'not-a-dir');
  writeFileSync(blocker, 'x');
  const r = await load(PUBLIC, { env: { HF_ENDPOINT: local.hub.url }, options: { cache_dir: blocker } });
  assert.equal(r.code, 'CACHE_IO', r.message);
  assert.match(r.message, /disk space and permissions/);
});

// A folder that exists but cannot hold children answers mkdir with ENOENT;
// Node's recursive mkdir retried that forever, so these loads never ended.
for (const [where, cacheDir] of [
  ['through a dangling symlink', () => {
    const link = path.join(newHome(), 'unmounted');
    symlinkSync(path.join(newHome(), 'gone', 'disk'), link);
    return path.join(link, 'cache');
  }],
  ['under /proc', () => '/proc/hubguard-no-such-dir/cache'],
]) {
  test(`a cache_dir ${where} is a CACHE_IO error, not a hang`, { skip: where === 'under /proc' && process.platform !== 'linux', timeout: 60_000 }, async () => {
    const r = await load(PUBLIC, { env: { HF_ENDPOINT: local.hub.url }, options: { cache_dir: cacheDir() } });
    assert.equal(r.code, 'CACHE_IO', r.message);
    assert.match(r.message, /ENOENT/);
  });
}

test('where symlinks are not allowed, snapshot files are copies that Python still reads', async () => {
  const home = newHome();
  // As on Windows without developer mode: symlink() fails with EPERM.
  const run = await runScript(
    `import fsp from 'node:fs/promises';
     fsp.symlink = async () => { throw Object.assign(new Error('EPERM: operation not permitted'), { code: 'EPERM' }); };
     const { AutoTokenizer } = await import('hubguard');
     const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
     console.log(JSON.stringify(t.encode('Hello world!')));`,
    { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url } },
  );
  assert.deepEqual(JSON.parse(run.stdout), LLAMA_HELLO, run.stderr);
  const commit = local.hub.commitOf(PUBLIC);
  const snapshot = path.join(repoDir(home, PUBLIC), 'snapshots', commit, 'tokenizer.json');
  assert.ok(!lstatSync(snapshot).isSymbolicLink());
  assert.deepEqual(readFileSync(snapshot), readFileSync(path.join(defaultFixtureDir, 'tokenizer.json')));
  const found = await python(
    `from huggingface_hub import hf_hub_download
print(hf_hub_download("${PUBLIC}", "tokenizer.json"))`,
    { HF_HOME: home, HF_HUB_OFFLINE: '1' },
  );
  assert.equal(found, snapshot);
});

// chat_template.jinja is the third file of a load: one more HEAD on a
// first load, none for a cached commit, and its absence is remembered where
// huggingface_hub remembers absences, so it is not asked again.
const CHAT_JINJA = 'hubguard-test/chat-jinja';
const templateOf = (repo) => `
  import { AutoTokenizer } from 'hubguard';
  const t = await AutoTokenizer.from_pretrained(${JSON.stringify(repo)});
  console.log(JSON.stringify({ template: t.chat_template, ids: t.encode('Hello world!') }));`;

test('a repo without chat_template.jinja: .no_exist remembers it; a cached branch revalidates with one HEAD', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
  await load(PUBLIC, { env });
  const commit = local.hub.commitOf(PUBLIC);
  assert.ok(existsSync(path.join(repoDir(home, PUBLIC), '.no_exist', commit, 'chat_template.jinja')));
  local.hub.hubLog.length = 0;
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO);
  const asked = local.hub.hubLog.map((l) => `${l.method} ${path.basename(l.path)}`).sort();
  // The commit is what changes; the cache knows every file of a commit.
  assert.deepEqual(asked, ['HEAD tokenizer.json']);
  local.hub.hubLog.length = 0;
  assert.deepEqual((await load(PUBLIC, { env, options: { revision: commit } })).ids, LLAMA_HELLO);
  assert.deepEqual((await load(PUBLIC, { env, options: { local_files_only: true } })).ids, LLAMA_HELLO);
  assert.equal(local.hub.hubLog.length, 0, 'a known absence is not asked again');
  // Python reads the same marker as "known missing".
  const seen = await python(
    `from huggingface_hub import try_to_load_from_cache, _CACHED_NO_EXIST
print(try_to_load_from_cache("${PUBLIC}", "chat_template.jinja", revision="${commit}") is _CACHED_NO_EXIST)`,
    { HF_HOME: home },
  );
  assert.equal(seen, 'True');
});

test('chat_template.jinja is cached like the other files, and used offline', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
  const online = await runScript(templateOf(CHAT_JINJA), { env });
  const first = JSON.parse(online.stdout);
  assert.match(first.template, /<\|user\|>/, online.stderr);
  const commit = local.hub.commitOf(CHAT_JINJA);
  assert.ok(existsSync(path.join(repoDir(home, CHAT_JINJA), 'snapshots', commit, 'chat_template.jinja')));
  local.hub.hubLog.length = 0;
  const offline = await runScript(templateOf(CHAT_JINJA), { env: { ...env, HF_HUB_OFFLINE: '1' } });
  assert.deepEqual(JSON.parse(offline.stdout), first, offline.stderr);
  assert.equal(local.hub.hubLog.length, 0);
});

test('a pre-parsed tokenizer is kept beside the snapshot, used by later loads, and remade when damaged; Python ignores it', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
  const sha = local.hub.commitOf(PUBLIC);
  const options = { revision: sha };
  assert.deepEqual((await load(PUBLIC, { env, options })).ids, LLAMA_HELLO);
  const kept = path.join(repoDir(home, PUBLIC), '.hubguard', sha, 'tokenizer.json.pre-parsed');
  assert.ok(existsSync(kept), 'kept after the first load');

  // The blob turned to junk of the same size: only the kept form can give
  // the right ids now, so a right answer shows it was used.
  const snapshot = path.join(repoDir(home, PUBLIC), 'snapshots', sha, 'tokenizer.json');
  const blob = path.resolve(path.dirname(snapshot), readlinkSync(snapshot));
  const original = readFileSync(blob);
  writeFileSync(blob, Buffer.alloc(original.length, 'x'));
  assert.deepEqual((await load(PUBLIC, { env, options })).ids, LLAMA_HELLO);
  writeFileSync(blob, original);

  // A damaged form is not trusted: the file is read and the form remade.
  // (Without the image the loads above kept, which would be used instead.)
  rmSync(path.join(path.dirname(kept), 'tokenizer.json.image'));
  const damaged = readFileSync(kept);
  damaged[damaged.length >> 1] ^= 0xff;
  writeFileSync(kept, damaged);
  assert.deepEqual((await load(PUBLIC, { env, options })).ids, LLAMA_HELLO);
  assert.notDeepEqual(readFileSync(kept), damaged);
  assert.equal(readFileSync(kept).length, damaged.length);

  const scan = await python(
    `from huggingface_hub import scan_cache_dir
info = scan_cache_dir()
print(len(info.warnings), sorted(r.repo_id for r in info.repos))`,
    { HF_HOME: home },
  );
  assert.equal(scan.trim(), `0 ['${PUBLIC}']`);
});

test('HF_HUB_ETAG_TIMEOUT bounds the metadata HEADs; a Hub too slow for it counts as unreachable', async () => {
  const home = newHome();
  const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
  assert.deepEqual((await load(PUBLIC, { env })).ids, LLAMA_HELLO);
  local.hub.faults = { delayHeadMs: 4000 };
  try {
    // Cached: the slow HEAD is given up after 1 s and the snapshot is used.
    let start = Date.now();
    const cached = await load(PUBLIC, { env: { ...env, HF_HUB_ETAG_TIMEOUT: '1' } });
    assert.deepEqual(cached.ids, LLAMA_HELLO, cached.message);
    assert.ok(Date.now() - start < 3500, `${Date.now() - start} ms`);
    // Nothing cached: NETWORK, naming the setting. HF_HUB_DOWNLOAD_TIMEOUT does not bound a HEAD.
    start = Date.now();
    const fresh = await load(PUBLIC, { env: { HF_HOME: newHome(), HF_ENDPOINT: local.hub.url, HF_HUB_ETAG_TIMEOUT: '1', HF_HUB_DOWNLOAD_TIMEOUT: '60' } });
    assert.equal(fresh.code, 'NETWORK');
    assert.match(fresh.message, /HF_HUB_ETAG_TIMEOUT/);
    assert.ok(Date.now() - start < 3500, `${Date.now() - start} ms`);
  } finally {
    local.hub.faults = {};
  }
});
