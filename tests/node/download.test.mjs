// Large-file behaviour of the cache downloads, against the emulator's fault
// switches: a dropped connection resumes with Range, retries are bounded and
// leave a partial that a later run resumes, two processes share one
// download, an AbortSignal cancels, and progress events are Transformers.js'.
// A large file checks that memory stays bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load, runScript } from './support/consumer.mjs';
import { useHub, PUBLIC, LLAMA_HELLO } from './support/hub.mjs';

const BIG = 'hubguard-test/big-weights';
const BIG_MB = 200;
const local = useHub({
  extraRepos: [{ id: BIG, files: { 'model.safetensors': { size: BIG_MB << 20, generated: true, seed: 7 } } }],
});
const newHome = () => mkdtempSync(path.join(tmpdir(), 'hubguard-dl-'));
const blobsOf = (home) => path.join(home, 'hub', `models--${PUBLIC.replace('/', '--')}`, 'blobs');
/** The CDN GETs (tokenizer.json is the only LFS file) with their Range. */
const cdnGets = () => local.hub.cdnLog.filter((l) => l.method === 'GET');

function withFaults(faults, body) {
  return async () => {
    local.hub.cdnLog.length = 0;
    local.hub.faults = faults;
    try {
      await body();
    } finally {
      local.hub.faults = {};
    }
  };
}

test(
  'a connection dropped mid-body is resumed with Range',
  withFaults({ dropAfterBytes: 500_000, dropOnce: true }, async () => {
    const home = newHome();
    const r = await load(PUBLIC, { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url } });
    assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
    const gets = cdnGets();
    assert.equal(gets.length, 2, JSON.stringify(gets));
    assert.equal(gets[0].headers.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].headers.range)?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 500_000, gets[1].headers.range);
    assert.deepEqual(readdirSync(blobsOf(home)).filter((n) => n.includes('.incomplete')), []);
  }),
);

test(
  'retries are bounded; the partial file is resumed by the next run',
  withFaults({ dropAfterBytes: 300_000 }, async () => {
    const home = newHome();
    const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
    const failed = await load(PUBLIC, { env });
    assert.equal(failed.code, 'NETWORK', failed.message);
    assert.equal(cdnGets().length, 5, 'five attempts, then the error');
    const partials = readdirSync(blobsOf(home)).filter((n) => n.endsWith('.incomplete'));
    assert.equal(partials.length, 1);
    const kept = statSync(path.join(blobsOf(home), partials[0])).size;
    assert.ok(kept > 0);

    local.hub.faults = {};
    local.hub.cdnLog.length = 0;
    const r = await load(PUBLIC, { env });
    assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
    assert.deepEqual(cdnGets().map((g) => g.headers.range), [`bytes=${kept}-`]);
  }),
);

test(
  'a server that goes silent mid-body is given up after HF_HUB_DOWNLOAD_TIMEOUT and resumed',
  // The CDN waits 1.5 s between 64 KiB blocks: longer than the 0.5 s
  // limit, so every attempt ends after one block.
  withFaults({ slowMs: 1500 }, async () => {
    const home = newHome();
    const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url, HF_HUB_DOWNLOAD_TIMEOUT: '0.5' };
    const started = Date.now();
    const failed = await load(PUBLIC, { env });
    assert.equal(failed.code, 'NETWORK', failed.message);
    assert.ok(Date.now() - started < 15_000, 'each attempt gave up after the limit, not the server');
    const ranges = cdnGets().map((g) => g.headers.range);
    assert.equal(ranges.length, 5, JSON.stringify(ranges));
    // Each attempt resumed where the last stopped.
    const offsets = ranges.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r)?.[1]));
    assert.ok(offsets.every((o, i) => o > (i === 0 ? 0 : offsets[i - 1])), JSON.stringify(ranges));

    local.hub.faults = {};
    const r = await load(PUBLIC, { env });
    assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
  }),
);

test(
  'two processes loading at once both succeed with one download',
  withFaults({ slowMs: 60 }, async () => {
    const home = newHome();
    const env = { HF_HOME: home, HF_ENDPOINT: local.hub.url };
    const [a, b] = await Promise.all([load(PUBLIC, { env }), load(PUBLIC, { env })]);
    assert.deepEqual(a.ids, LLAMA_HELLO, a.message);
    assert.deepEqual(b.ids, LLAMA_HELLO, b.message);
    assert.equal(cdnGets().length, 1, 'the second process waited for the first');
    const locks = path.join(home, 'hub', '.locks', `models--${PUBLIC.replace('/', '--')}`);
    assert.deepEqual(existsSync(locks) ? readdirSync(locks) : [], []);
  }),
);

const progressScript = (abortAfterBytes) => `
  import { AutoTokenizer } from 'hubguard';
  const controller = new AbortController();
  const events = [];
  try {
    await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, {
      signal: controller.signal,
      progress_callback: (e) => {
        events.push(e);
        if (${abortAfterBytes} && e.file === 'tokenizer.json' && e.loaded > ${abortAfterBytes}) controller.abort();
      },
    });
    console.log(JSON.stringify({ ok: true, events }));
  } catch (e) {
    console.log(JSON.stringify({ ok: false, code: e.code, message: e.message, events }));
  }`;

test('progress events follow Transformers.js: initiate, download, progress, done', async () => {
  const run = await runScript(progressScript(0), { env: { HF_HOME: newHome(), HF_ENDPOINT: local.hub.url } });
  const { ok, events } = JSON.parse(run.stdout);
  assert.ok(ok, run.stdout + run.stderr);
  const big = events.filter((e) => e.file === 'tokenizer.json');
  assert.deepEqual(
    [...new Set(big.map((e) => e.status))],
    ['initiate', 'download', 'progress', 'done'],
  );
  const last = big.filter((e) => e.status === 'progress').at(-1);
  assert.equal(last.loaded, last.total);
  assert.equal(last.progress, 100);
  assert.ok(big.every((e) => e.name === PUBLIC));
});

test(
  'an AbortSignal cancels a download with ABORTED',
  withFaults({ slowMs: 30 }, async () => {
    const home = newHome();
    const run = await runScript(progressScript(200_000), { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url } });
    const result = JSON.parse(run.stdout);
    assert.equal(result.ok, false);
    assert.equal(result.code, 'ABORTED', result.message);
    assert.ok(cdnGets().length === 1, 'not retried');
    assert.deepEqual(readdirSync(blobsOf(home)).filter((n) => /^[0-9a-f]{64}$/.test(n)), []);
  }),
);

/** sha256 of the file at `file`, read here. */
async function sha256Of(file) {
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(file)) sha.update(chunk);
  return sha.digest('hex');
}

/** The sha256 the Hub announces for the large file. */
async function bigSha256() {
  const info = await (await fetch(`${local.hub.url}/api/models/${BIG}?blobs=true`)).json();
  return info.siblings.find((s) => s.rfilename === 'model.safetensors').lfs.sha256;
}

/** The large file downloaded by a fresh process into `home`: its path, or the error's code. */
async function downloadBig(home) {
  const run = await runScript(
    `import { downloadFile } from 'hubguard';
     try {
       console.log(JSON.stringify({ path: await downloadFile({ repo: ${JSON.stringify(BIG)}, path: 'model.safetensors' }) }));
     } catch (e) {
       console.log(JSON.stringify({ code: e.code, message: e.message }));
     }`,
    { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url } },
  );
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout);
}

const bigBlobs = (home) => path.join(home, 'hub', `models--${BIG.replace('/', '--')}`, 'blobs');

test(`a ${BIG_MB} MB download peaks at 100 MB of memory or less, with no collector exposed to reach it`, async (t) => {
  const home = newHome();
  const run = await runScript(
    `import { downloadFile } from 'hubguard';
     import vm from 'node:vm';
     const path = await downloadFile({ repo: ${JSON.stringify(BIG)}, path: 'model.safetensors' });
     console.log(JSON.stringify({
       path,
       peakMb: process.resourceUsage().maxRSS / 1024,
       globalGc: typeof globalThis.gc,
       contextGc: vm.runInNewContext('typeof gc'),
     }));`,
    { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url } },
  );
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  t.diagnostic(`peak RSS ${out.peakMb.toFixed(0)} MB`);
  // node:http leaves a 64 KiB buffer per socket read that V8 would only
  // collect after ~64 MB piled up; hubguard frees each once read, with no
  // --expose-gc: neither the app nor a later context gets a gc.
  assert.ok(out.peakMb <= 100, `peak RSS ${out.peakMb.toFixed(0)} MB`);
  assert.equal(out.globalGc, 'undefined');
  assert.equal(out.contextGc, 'undefined', 'later contexts get no gc either');
  assert.equal(await sha256Of(out.path), await bigSha256());
});

test(
  `a ${BIG_MB} MB download dropped mid-body is resumed, and its sha256 covers the bytes from before the drop`,
  withFaults({ dropAfterBytes: 40 << 20, dropOnce: true }, async () => {
    const home = newHome();
    const out = await downloadBig(home);
    assert.ok(out.path, out.message);
    const gets = cdnGets();
    assert.equal(gets.length, 2, JSON.stringify(gets));
    assert.equal(gets[0].headers.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].headers.range)?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 40 << 20, gets[1].headers.range);
    assert.equal(await sha256Of(out.path), await bigSha256());
  }),
);

test(
  `a corrupted ${BIG_MB} MB download is refused with INTEGRITY and leaves no blob`,
  withFaults({ corruptByte: true }, async () => {
    const home = newHome();
    const out = await downloadBig(home);
    assert.equal(out.code, 'INTEGRITY', out.message);
    const names = existsSync(bigBlobs(home)) ? readdirSync(bigBlobs(home)) : [];
    assert.deepEqual(names.filter((n) => /^[0-9a-f]{64}$/.test(n)), []);
  }),
);
