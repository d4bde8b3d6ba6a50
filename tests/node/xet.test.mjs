// Xet-backed files (the Hub's storage for most large files): /resolve/
// answers 302 to a bridge host that sends no ETag, so the Hub's
// X-Linked-Etag (the sha256) is what a download is checked against.
// hubguard loads, downloads, resumes, verifies and caches them, shares them
// with Python's cache, and its proxy serves them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { load, runScript } from './support/consumer.mjs';
import { python } from './support/processes.mjs';
import { useHub, TOKENS, XET, LLAMA_HELLO } from './support/hub.mjs';
import { startProxy } from './support/proxy.mjs';

const local = useHub();
const MODEL = 'model.safetensors';
const newHome = () => mkdtempSync(path.join(tmpdir(), 'hubguard-xet-'));
const blobsOf = (home) => path.join(home, 'hub', `models--${XET.replace('/', '--')}`, 'blobs');
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const bridgeGets = () => local.hub.xetLog.filter((l) => l.method === 'GET');

/** The file's sha256 as the Hub announces it on the redirect. */
async function announced(file) {
  const res = await fetch(`${local.hub.url}/${XET}/resolve/main/${file}`, {
    method: 'HEAD',
    redirect: 'manual',
    headers: { authorization: `Bearer ${TOKENS.accepted}` },
  });
  return res.headers.get('x-linked-etag').replaceAll('"', '');
}

/** downloadFile in a child → { path } or { code, message }. */
async function download(home, file) {
  const run = await runScript(
    `import { downloadFile } from 'hubguard';
    try { console.log(JSON.stringify({ path: await downloadFile({ repo: ${JSON.stringify(XET)}, path: ${JSON.stringify(file)} }) })); }
    catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url, HF_TOKEN: TOKENS.accepted } },
  );
  return JSON.parse(run.stdout.trim().split('\n').pop());
}

function withFaults(faults, body) {
  return async () => {
    local.hub.xetLog.length = 0;
    local.hub.faults = faults;
    try {
      await body();
    } finally {
      local.hub.faults = {};
    }
  };
}

test('a Xet-backed tokenizer loads through the bridge, and the token never leaves the Hub', async () => {
  const home = newHome();
  local.hub.xetLog.length = 0;
  const r = await load(XET, { env: { HF_HOME: home, HF_ENDPOINT: local.hub.url, HF_TOKEN: TOKENS.accepted } });
  assert.deepEqual(r.ids, LLAMA_HELLO, r.message);
  assert.deepEqual(bridgeGets().map((l) => [l.hadAuthorization, l.state]), [[false, 'completed']]);
  // Cached under its sha256, as huggingface_hub names it.
  const tokenizer = local.hub.readFile(XET, 'tokenizer.json');
  assert.ok(readdirSync(blobsOf(home)).includes(sha256(tokenizer)));
});

test(
  'a Xet download cut mid-file resumes with Range to a correct blob',
  withFaults({ dropAfterBytes: 1_000_000, dropOnce: true }, async () => {
    const home = newHome();
    const got = await download(home, MODEL);
    assert.ok(got.path, got.message);
    assert.equal(sha256(readFileSync(got.path)), await announced(MODEL));
    const gets = bridgeGets();
    assert.equal(gets.length, 2, JSON.stringify(gets));
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].headers.range)?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 1_000_000, gets[1].headers.range);
    assert.ok(gets.every((g) => !g.hadAuthorization));
    assert.deepEqual(readdirSync(blobsOf(home)).filter((n) => n.includes('.incomplete')), []);
  }),
);

test(
  'a corrupted Xet download is refused by its sha256 and nothing corrupt is cached',
  withFaults({ corruptByte: true }, async () => {
    const home = newHome();
    const got = await download(home, MODEL);
    assert.equal(got.code, 'INTEGRITY', got.message);
    const blobs = existsSync(blobsOf(home)) ? readdirSync(blobsOf(home)) : [];
    assert.deepEqual(blobs, []);
  }),
);

test('a Xet file Python downloaded without Xet is used offline, and the other way round', async () => {
  const home = newHome();
  await python(
    `from huggingface_hub import hf_hub_download
for f in ["tokenizer.json", "tokenizer_config.json"]:
    hf_hub_download("${XET}", f)`,
    { HF_HOME: home, HF_ENDPOINT: local.hub.url, HF_TOKEN: TOKENS.accepted, HF_HUB_DISABLE_XET: '1' },
  );
  const offline = await load(XET, { env: { HF_HOME: home, HF_HUB_OFFLINE: '1' } });
  assert.deepEqual(offline.ids, LLAMA_HELLO, offline.message);

  const other = newHome();
  assert.ok((await download(other, MODEL)).path);
  const found = await python(
    `from huggingface_hub import hf_hub_download
print(hf_hub_download("${XET}", "${MODEL}"))`,
    { HF_HOME: other, HF_HUB_OFFLINE: '1' },
  );
  assert.equal(sha256(readFileSync(found)), await announced(MODEL));
});

test('the hubguard proxy serves a Xet-backed file, with Range', async () => {
  const proxy = await startProxy(['--allow', XET], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: local.hub.url });
  try {
    local.hub.xetLog.length = 0;
    const whole = await fetch(`${proxy.url}/${XET}/resolve/main/${MODEL}`);
    assert.equal(whole.status, 200);
    assert.equal(sha256(Buffer.from(await whole.arrayBuffer())), await announced(MODEL));
    const part = await fetch(`${proxy.url}/${XET}/resolve/main/tokenizer.json`, { headers: { Range: 'bytes=0-9' } });
    assert.equal(part.status, 206);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), local.hub.readFile(XET, 'tokenizer.json').subarray(0, 10));
    assert.ok(bridgeGets().length >= 2 && bridgeGets().every((g) => !g.hadAuthorization));
  } finally {
    await proxy.stop();
  }
});
