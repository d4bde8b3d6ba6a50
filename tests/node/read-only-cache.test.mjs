// A cache that is complete but read-only (a shared, mounted or baked-in
// cache), filled by Python's snapshot_download (so it has trees/ too):
// hubguard loads and downloads from it online and offline, and changes
// nothing in it. The children run as `nobody` when the tests run as root,
// for whom permissions would not stop a write.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { consumerDir } from './support/consumer.mjs';
import { python } from './support/processes.mjs';
import { useHub, TOKENS, GATED, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();
const entry = pathToFileURL(path.join(consumerDir, 'node_modules/hubguard/node/index.mjs')).href;
const asRoot = process.getuid?.() === 0;

/** Every path under `dir` with what it is: a file's sha256, a link's target. */
function state(dir) {
  const out = {};
  const walk = (at) => {
    for (const name of readdirSync(at).sort()) {
      const full = path.join(at, name);
      const stat = lstatSync(full);
      const key = path.relative(dir, full);
      if (stat.isSymbolicLink()) out[key] = `-> ${readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[key] = 'dir';
        walk(full);
      } else out[key] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** chmod -R a-w, so the cache is read-only (for anyone but root). */
function makeReadOnly(dir) {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const stat = lstatSync(full);
    if (stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) makeReadOnly(full);
    else chmodSync(full, 0o444);
  }
  chmodSync(dir, 0o555);
}

/** Runs `source` (ESM; `hubguard` is the packed package) as nobody when we are root. */
function runReadOnly(source, env) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hubguard-ro-run-'));
  chmodSync(dir, 0o755);
  const file = path.join(dir, 'run.mjs');
  writeFileSync(file, `const hubguard = await import(${JSON.stringify(entry)});\n${source}`);
  chmodSync(file, 0o644);
  const child = spawn(process.execPath, [file], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, ...env },
    ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

test('a complete read-only cache loads online and offline, and nothing in it changes (trees/ included)', async () => {
  const home = mkdtempSync(path.join(tmpdir(), 'hubguard-ro-'));
  chmodSync(home, 0o755);
  const cache = path.join(home, 'hub');
  await python(
    `from huggingface_hub import snapshot_download
snapshot_download("${GATED}", cache_dir="${cache}")`,
    { HF_ENDPOINT: local.hub.url, HF_TOKEN: TOKENS.accepted, HF_HOME: home },
  );
  const repoDir = path.join(cache, `models--${GATED.replace('/', '--')}`);
  assert.ok(existsSync(path.join(repoDir, 'trees', `${local.hub.commitOf(GATED)}.json`)), 'Python keeps the tree listing');
  makeReadOnly(cache);
  const before = state(cache);

  const env = { HF_ENDPOINT: local.hub.url, HF_TOKEN: TOKENS.accepted, HF_HUB_CACHE: cache };
  // A write must fail here, or the test proves nothing.
  const probe = await runReadOnly(
    `import { writeFileSync } from 'node:fs';
    try { writeFileSync(${JSON.stringify(path.join(repoDir, 'probe'))}, 'x'); console.log('writable'); } catch (e) { console.log(e.code); }`,
    env,
  );
  assert.match(probe.stdout, /^(EACCES|EROFS|EPERM)/, probe.stdout + probe.stderr);

  const load = (extra = {}) =>
    runReadOnly(
      `const t = await hubguard.AutoTokenizer.from_pretrained(${JSON.stringify(GATED)});
      console.log(JSON.stringify(t.encode('Hello world!')));
      console.log(await hubguard.downloadFile({ repo: ${JSON.stringify(GATED)}, path: 'tokenizer.json' }));
      console.log(await hubguard.snapshotDownload({ repo: ${JSON.stringify(GATED)} }));`,
      { ...env, ...extra },
    );
  for (const extra of [{}, { HF_HUB_OFFLINE: '1' }]) {
    const run = await load(extra);
    assert.equal(run.code, 0, run.stderr);
    const [ids, file, folder] = run.stdout.trim().split('\n');
    assert.deepEqual(JSON.parse(ids), LLAMA_HELLO);
    assert.equal(file, path.join(repoDir, 'snapshots', local.hub.commitOf(GATED), 'tokenizer.json'));
    assert.equal(folder, path.dirname(file));
  }
  assert.deepEqual(state(cache), before);
});
