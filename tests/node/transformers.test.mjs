// Transformers.js 4 (the real package) loads a gated ONNX model through
// hubguard in Node: `env.fetch = hubFetch`, and `configureTransformers(env)`
// with its custom cache over the huggingface_hub cache. The models are tiny
// BERT-shaped ones made at test time; the expected embeddings come from the
// same pipeline run on the local files.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync, lstatSync, existsSync } from 'node:fs';
import path from 'node:path';
import { useHub, TOKENS } from './support/hub.mjs';
import { python } from './support/processes.mjs';
import { runScript } from './support/consumer.mjs';
import { localReference, makeTinyBert, repoFiles, runPipeline, scratch } from './support/transformers.mjs';

const GATED_BERT = 'hubguard-test/gated-bert';
const GATED_BERT_EXT = 'hubguard-test/gated-bert-ext';
const CONFIGURE = 'hubguard.configureTransformers(env);';
const local = useHub();
const fixtures = scratch('tiny-bert');
const expected = {};

before(async () => {
  await local.ready;
  // 8000 embedding rows: a 512 KB model file, so a fault can cut it after
  // several blocks have arrived.
  await makeTinyBert(path.join(fixtures, 'plain'), ['--rows', '8000']);
  await makeTinyBert(path.join(fixtures, 'ext'), ['--external', '--seed', '11']);
  local.hub.addRepo({ id: GATED_BERT, visibility: 'gated', files: repoFiles(path.join(fixtures, 'plain')) });
  local.hub.addRepo({ id: GATED_BERT_EXT, visibility: 'gated', files: repoFiles(path.join(fixtures, 'ext')) });
  expected.plain = await localReference(fixtures, 'plain');
  expected.ext = await localReference(fixtures, 'ext');
});

/** A child's environment: this Hub, a fresh HF_HOME, and `extra`. */
function childEnv(extra = {}) {
  return { HF_ENDPOINT: local.hub.url, HF_HOME: scratch('home'), ...extra };
}

/** Log entries made while `body` runs. */
async function logged(body) {
  const hubStart = local.hub.hubLog.length;
  const cdnStart = local.hub.cdnLog.length;
  const result = await body();
  return { result, hub: local.hub.hubLog.slice(hubStart), cdn: local.hub.cdnLog.slice(cdnStart) };
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('env.fetch = hubFetch alone: a gated model gives the embeddings of its local files', async () => {
  const env = childEnv({ HF_TOKEN: TOKENS.accepted });
  const r = await runPipeline(
    { repo: GATED_BERT, setup: 'env.fetch = hubguard.hubFetch; env.remoteHost = `${process.env.HF_ENDPOINT}/`;' },
    env,
  );
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.deepEqual(r.embedding, expected.plain);
  // Alone, Transformers.js still keeps its own copy; hubguard's is in the HF cache.
  assert.ok(r.tjsCache.some((f) => f.endsWith('model.onnx')), JSON.stringify(r.tjsCache));
  assert.ok(existsSync(path.join(env.HF_HOME, 'hub', `models--${GATED_BERT.replace('/', '--')}`, 'refs', 'main')));
});

test("configureTransformers with HF_TOKEN: the same embeddings, and Transformers.js' own cache stays empty", async () => {
  const r = await runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, childEnv({ HF_TOKEN: TOKENS.accepted }));
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.deepEqual(r.embedding, expected.plain);
  assert.deepEqual(r.tjsCache, []);
});

test('configureTransformers: the model and its external data reach ONNX Runtime as snapshot paths, each file stored once', async () => {
  const env = childEnv({ HF_TOKEN: TOKENS.accepted });
  const r = await runPipeline(
    {
      repo: GATED_BERT_EXT,
      setup: `${CONFIGURE}
        const match = env.customCache.match;
        globalThis.matched = [];
        env.customCache.match = async (key) => {
          const hit = await match(key);
          if (key.includes('/resolve/')) matched.push({ file: key.split('/resolve/main/')[1], hit: typeof hit === 'string' ? hit : hit?.constructor.name });
          return hit;
        };`,
      after: 'result.matched = globalThis.matched;',
    },
    env,
  );
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.deepEqual(r.embedding, expected.ext);
  const snapshots = path.join(env.HF_HOME, 'hub', `models--${GATED_BERT_EXT.replace('/', '--')}`, 'snapshots');
  for (const file of ['onnx/model.onnx', 'onnx/model.onnx_data']) {
    const last = r.matched.filter((m) => m.file === file).pop();
    assert.ok(last?.hit.startsWith(snapshots) && last.hit.endsWith(file), JSON.stringify(r.matched));
    assert.ok(lstatSync(last.hit).isSymbolicLink(), 'the snapshot link, next to its data file, as ONNX Runtime wants');
  }
  assert.equal(r.matched.find((m) => m.file === 'config.json' && m.hit !== undefined)?.hit, 'Response');
  const blobs = readdirSync(path.join(snapshots, '..', 'blobs'));
  assert.equal(blobs.length, Object.keys(repoFiles(path.join(fixtures, 'ext'))).length, blobs.join());
  assert.deepEqual(r.tjsCache, []);
});

test('configureTransformers with only the token file', async () => {
  const env = childEnv();
  writeFileSync(path.join(env.HF_HOME, 'token'), `${TOKENS.accepted}\n`);
  const { result: r, hub } = await logged(() => runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, env));
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.deepEqual(r.embedding, expected.plain);
  assert.ok(hub.length > 0 && hub.every((l) => l.authorization === 'accepted'), JSON.stringify(hub));
});

test('configureTransformers with no token: the GATED_REPO message reaches the user', async () => {
  const r = await runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, childEnv());
  assert.equal(r.ok, false);
  assert.equal(r.error.isHubError, true, JSON.stringify(r.error));
  assert.equal(r.error.code, 'GATED_REPO');
  assert.match(r.error.message, new RegExp(`^${GATED_BERT} is a gated repo: .*HF_TOKEN`));
  assert.doesNotMatch(r.error.message, /Unauthorized access/);
});

test('after configureTransformers, Python hf_hub_download(local_files_only=True) finds every file', async () => {
  const env = childEnv({ HF_TOKEN: TOKENS.accepted });
  const r = await runPipeline({ repo: GATED_BERT_EXT, setup: CONFIGURE }, env);
  assert.ok(r.ok, JSON.stringify(r.error));
  const files = repoFiles(path.join(fixtures, 'ext'));
  const found = JSON.parse(
    await python(
      `import hashlib, json
from huggingface_hub import hf_hub_download
out = {}
for f in ${JSON.stringify(Object.keys(files))}:
    with open(hf_hub_download(${JSON.stringify(GATED_BERT_EXT)}, f, local_files_only=True), 'rb') as h:
        out[f] = hashlib.sha256(h.read()).hexdigest()
print(json.dumps(out))`,
      { HF_HOME: env.HF_HOME },
    ),
  );
  assert.deepEqual(found, Object.fromEntries(Object.entries(files).map(([f, { content }]) => [f, sha256(content)])));
});

test('a second run with HF_HUB_OFFLINE=1 makes no request', async () => {
  const env = childEnv({ HF_TOKEN: TOKENS.accepted });
  const first = await runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, env);
  assert.ok(first.ok, JSON.stringify(first.error));
  const { result: r, hub, cdn } = await logged(() =>
    runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, { ...env, HF_HUB_OFFLINE: '1' }),
  );
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.deepEqual(r.embedding, expected.plain);
  assert.deepEqual([hub, cdn], [[], []]);
});

test('a warm run revalidates each file with one HEAD and downloads nothing', async () => {
  const env = childEnv({ HF_TOKEN: TOKENS.accepted });
  await runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, env);
  const { result: r, hub, cdn } = await logged(() => runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, env));
  assert.deepEqual(r.embedding, expected.plain);
  const asked = hub.map((l) => `${l.method} ${l.path.split('/resolve/main/')[1]}`).sort();
  assert.deepEqual(asked, ['HEAD config.json', 'HEAD onnx/model.onnx', 'HEAD tokenizer.json', 'HEAD tokenizer_config.json']);
  assert.deepEqual(cdn, []);
});

test('the CDN never sees Authorization; the token goes to the Hub only', async () => {
  const { result: r, hub, cdn } = await logged(() =>
    runPipeline({ repo: GATED_BERT_EXT, setup: CONFIGURE }, childEnv({ HF_TOKEN: TOKENS.accepted })),
  );
  assert.ok(r.ok, JSON.stringify(r.error));
  assert.ok(cdn.filter((l) => l.method === 'GET').length >= 2, 'both ONNX files came from the CDN');
  assert.ok(cdn.every((l) => !l.hadAuthorization), JSON.stringify(cdn));
  assert.ok(hub.every((l) => l.authorization === 'accepted'), JSON.stringify(hub));
});

test('a connection dropped in the middle of the model file resumes', async () => {
  local.hub.faults = { dropAfterBytes: 300_000, dropOnce: true };
  try {
    const { result: r, cdn } = await logged(() =>
      runPipeline({ repo: GATED_BERT, setup: CONFIGURE }, childEnv({ HF_TOKEN: TOKENS.accepted })),
    );
    assert.ok(r.ok, JSON.stringify(r.error));
    assert.deepEqual(r.embedding, expected.plain);
    const gets = cdn.filter((l) => l.method === 'GET');
    assert.equal(gets.length, 2, JSON.stringify(cdn));
    assert.equal(gets[0].headers.range, undefined);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].headers.range)?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 300_000, JSON.stringify(cdn));
  } finally {
    local.hub.faults = {};
  }
});
