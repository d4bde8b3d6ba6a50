// HF_ENDPOINT / env.endpoint, revisions, and the tokenizer API shape.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load, runScript } from './support/consumer.mjs';
import { useHub, TOKENS, PUBLIC, GATED, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();

test('HF_ENDPOINT selects the Hub; the token goes only to that origin', async () => {
  const result = await load(GATED, { env: local.env({ HF_TOKEN: TOKENS.accepted }) });
  assert.deepEqual(result.ids, LLAMA_HELLO);
});

test('env.endpoint overrides HF_ENDPOINT', async () => {
  const result = await load(PUBLIC, {
    before: `(await import('hubguard')).env.endpoint = ${JSON.stringify(local.hub.url)};`,
    env: { HF_ENDPOINT: 'http://127.0.0.1:9' },
  });
  assert.deepEqual(result.ids, LLAMA_HELLO);
});

test('an invalid HF_ENDPOINT is a typed error', async () => {
  const result = await load(PUBLIC, { env: { HF_ENDPOINT: 'ftp://example.com' } });
  assert.equal(result.code, 'INVALID_ENDPOINT');
});

test('revision selects an older commit by tag and by hash', async () => {
  const source = `
    import { AutoTokenizer } from 'hubguard';
    const main = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const old = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, { revision: 'v1.0' });
    console.log(JSON.stringify({ main: main.config, old: old.config }));`;
  const run = await runScript(source, { env: local.env() });
  const { main, old } = JSON.parse(run.stdout);
  assert.notDeepEqual(main, old, 'v1.0 has a different tokenizer_config.json');
  const sha = local.hub.commitOf(PUBLIC, 'v1.0');
  const byHash = await runScript(source.replace("'v1.0'", JSON.stringify(sha)), { env: local.env() });
  assert.deepEqual(JSON.parse(byHash.stdout).old, old);
});

test('encode, decode, tokenize behave like Transformers.js', async () => {
  const source = `
    import { AutoTokenizer } from 'hubguard';
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const ids = t.encode('Hello world!');
    console.log(JSON.stringify({
      isArray: Array.isArray(ids),
      ids,
      noSpecial: t.encode('Hello world!', { add_special_tokens: false }),
      tokens: t.tokenize('Hello world!'),
      decoded: t.decode(ids),
      skipped: t.decode(ids, { skip_special_tokens: true }),
      fromTyped: t.decode(new Uint32Array(ids), { skip_special_tokens: true }),
      fromBigInt: t.decode(ids.map(BigInt), { skip_special_tokens: true }),
      unicode: t.decode(t.encode('日本語 🤗 Ünïcödé', { add_special_tokens: false })),
    }));`;
  const run = await runScript(source, { env: local.env() });
  const r = JSON.parse(run.stdout);
  assert.equal(r.isArray, true);
  assert.deepEqual(r.ids, LLAMA_HELLO);
  assert.deepEqual(r.noSpecial, LLAMA_HELLO.slice(1));
  assert.deepEqual(r.tokens, ['▁Hello', '▁world', '!']);
  assert.equal(r.decoded, '<s> Hello world!');
  assert.equal(r.skipped, 'Hello world!');
  assert.equal(r.fromTyped, 'Hello world!');
  assert.equal(r.fromBigInt, 'Hello world!');
  assert.equal(r.unicode, '日本語 🤗 Ünïcödé');
});

test('bad arguments to encode/decode throw typed errors, and the instance survives', async () => {
  const source = `
    import { AutoTokenizer, HubError } from 'hubguard';
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const codes = [];
    for (const f of [() => t.encode(5), () => t.encode('x', 'y'), () => t.decode([1, -1]), () => t.decode([1.5]),
                     () => t.decode('abc'), () => t.encode('x', { add_special_tokens: 'no' })]) {
      try { f(); codes.push('no error'); } catch (e) { codes.push(e instanceof HubError ? e.code : String(e)); }
    }
    console.log(JSON.stringify({ codes, after: t.encode('Hello world!') }));`;
  const run = await runScript(source, { env: local.env() });
  const r = JSON.parse(run.stdout);
  assert.deepEqual(r.codes, Array(6).fill('INVALID_OPTION'));
  assert.deepEqual(r.after, LLAMA_HELLO);
});

test('progress_callback gets Transformers.js-style events', async () => {
  const source = `
    import { AutoTokenizer } from 'hubguard';
    const events = [];
    await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, { progress_callback: (e) => events.push(e) });
    console.log(JSON.stringify(events));`;
  const run = await runScript(source, { env: local.env() });
  const events = JSON.parse(run.stdout).filter((e) => e.file === 'tokenizer.json');
  assert.deepEqual([...new Set(events.map((e) => e.status))], ['initiate', 'download', 'progress', 'done']);
  const last = events.filter((e) => e.status === 'progress').at(-1);
  assert.equal(last.loaded, last.total);
  assert.equal(last.progress, 100);
  assert.equal(events[0].name, PUBLIC);
});
