// Hostile repos and servers against the packed package (issue 16): each
// case is a typed HubError, with no trap, no process exit and nothing wrong
// cached, and a normal tokenizer still works after it in the same process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runScript } from './support/consumer.mjs';
import { wheelFixtures } from '../fixtures/conformance.mjs';
import { useHub, PUBLIC, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();

/**
 * Run `body` (an async function body that returns a JSON-able value) in a
 * child process, then load the public Llama-2 there and encode with it.
 */
async function hostile(body, env = {}) {
  const source = `
    import { AutoTokenizer, HubError, downloadFile } from 'hubguard';
    const caught = async (f) => {
      try { return { ok: true, value: await f() }; }
      catch (e) { return { ok: false, hubError: e instanceof HubError, code: e.code, message: e.message }; }
    };
    const result = await (async () => { ${body} })();
    const normal = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    console.log(JSON.stringify({ result, normal: normal.encode('Hello world!') }));`;
  const run = await runScript(source, { env: local.env(env) });
  assert.equal(run.code, 0, `the process exited with ${run.code}:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /RuntimeError|unreachable|recursive use/);
  const out = JSON.parse(run.stdout.trim().split('\n').pop());
  assert.deepEqual(out.normal, LLAMA_HELLO, 'a normal tokenizer still works afterwards');
  return out.result;
}

const llamaFiles = () => ({
  'tokenizer.json': { content: local.hub.readFile(PUBLIC, 'tokenizer.json'), lfs: true },
  'tokenizer_config.json': local.hub.readFile(PUBLIC, 'tokenizer_config.json'),
});

test('an 80 MB tokenizer_config.json is refused by its size, before it is parsed', async () => {
  const zeros = Buffer.alloc(80 << 20, '0,');
  zeros.write('{"x":[', 0);
  zeros.write('0]}', zeros.length - 3);
  await local.ready;
  local.hub.addRepo({ id: 'hostile/big-config', files: { ...llamaFiles(), 'tokenizer_config.json': zeros } });
  const r = await hostile(`return caught(() => AutoTokenizer.from_pretrained('hostile/big-config'));`);
  assert.equal(r.ok, false);
  assert.equal(r.code, 'INVALID_TOKENIZER', r.message);
  assert.match(r.message, /tokenizer_config\.json in hostile\/big-config is 80\.0 MiB.*at most 16\.0 MiB/);
});

test('a file read whole that the Hub announces over its cap is refused before its download: nothing reaches the cache', async () => {
  const big = Buffer.alloc(80 << 20, ' ');
  big.write('{}', 0);
  await local.ready;
  local.hub.addRepo({ id: 'hostile/big-config-cached', files: { ...llamaFiles(), 'tokenizer_config.json': big } });
  const cache = mkdtempSync(path.join(tmpdir(), 'hubguard-cap-'));
  const r = await hostile(
    `return caught(() => AutoTokenizer.from_pretrained('hostile/big-config-cached'));`,
    { HF_HUB_CACHE: cache },
  );
  assert.equal(r.code, 'INVALID_TOKENIZER', r.message);
  const kept = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) kept.push([full, statSync(full).size]);
    }
  };
  walk(cache);
  // Llama-2's tokenizer.json (1.8 MB) is cached twice (this repo's and the
  // normal load's); nothing near the config's 16 MiB cap may be.
  const large = kept.filter(([, size]) => size > (16 << 20));
  assert.deepEqual(large, [], 'no part of the 80 MB file was written to the cache');
});

test('a download that goes on past its announced size stops there, and nothing is kept', async () => {
  local.hub.addRepo({ id: 'hostile/big-body', files: { 'weights.bin': { size: 300_000_000, generated: true } } });
  const cacheDir = mkdtempSync(path.join(tmpdir(), 'hubguard-hostile-'));
  const logged = local.hub.cdnLog.length;
  const tokenizerBlob = createHash('sha256').update(local.hub.readFile(PUBLIC, 'tokenizer.json')).digest('hex');
  local.hub.faults = { linkedSize: { 'hostile/big-body/weights.bin': 19 } };
  try {
    const r = await hostile(`
      const { readdirSync, statSync } = await import('node:fs');
      const outcome = await caught(() => downloadFile({ repo: 'hostile/big-body', path: 'weights.bin', cacheDir: ${JSON.stringify(cacheDir)} }));
      const sizes = [];
      const walk = (dir) => readdirSync(dir, { withFileTypes: true }).forEach((e) => {
        const p = dir + '/' + e.name;
        if (e.isDirectory()) walk(p); else if (e.isFile()) sizes.push(statSync(p).size);
      });
      walk(${JSON.stringify(cacheDir)});
      return { ...outcome, largest: Math.max(0, ...sizes) };`);
    assert.equal(r.ok, false);
    assert.equal(r.code, 'INTEGRITY', r.message);
    assert.match(r.message, /more than the 19 bytes it announced/);
    assert.ok(r.largest <= 19, `a file of ${r.largest} bytes was left in the cache`);
    const body = local.hub.cdnLog.slice(logged).filter((e) => e.method === 'GET' && !e.path.endsWith(tokenizerBlob));
    assert.ok(body.length > 0 && body.every((e) => e.state !== 'completed'), 'the body was not sent to its end');
  } finally {
    local.hub.faults = {};
  }
});

test('a mirror serving other bytes under a regular file\'s ETag is refused, and the real file loads after', async () => {
  local.hub.addRepo({ id: 'hostile/mirrored', files: llamaFiles() });
  const cache = mkdtempSync(path.join(tmpdir(), 'hubguard-mirror-'));
  const config = JSON.parse(local.hub.readFile(PUBLIC, 'tokenizer_config.json'));
  local.hub.faults = { substitute: { 'hostile/mirrored/tokenizer_config.json': JSON.stringify({ ...config, chat_template: 'INJECTED' }) } };
  const loadTemplate = `return caught(async () => (await AutoTokenizer.from_pretrained('hostile/mirrored')).chat_template);`;
  try {
    const r = await hostile(loadTemplate, { HF_HUB_CACHE: cache });
    assert.equal(r.ok, false);
    assert.equal(r.code, 'INTEGRITY', r.message);
    assert.match(r.message, /git blob sha1/);
  } finally {
    local.hub.faults = {};
  }
  const r = await hostile(loadTemplate, { HF_HUB_CACHE: cache });
  assert.equal(r.ok, true, r.message);
  assert.notEqual(r.value, 'INJECTED');
});

test('decoding 5e7 ids is refused before they are copied, and the tokenizer goes on', async () => {
  const r = await hostile(`
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const big = await caught(() => t.decode(new Uint32Array(5e7).fill(15043)));
    const array = await caught(() => t.decode(new Array((4 << 20) + 1).fill(15043)));
    const rows = await caught(() => t.batch_decode([new Uint32Array(3 << 20).fill(15043), new Uint32Array(2 << 20).fill(15043)]));
    return { big, array, rows, after: t.decode([1, 15043, 3186], { skip_special_tokens: true }), encode: t.encode('Hello world!') };`);
  for (const refused of [r.big, r.array, r.rows]) {
    assert.equal(refused.ok, false);
    assert.equal(refused.code, 'INVALID_OPTION', refused.message);
    assert.match(refused.message, /at most 4194304/);
  }
  assert.equal(r.after, 'Hello world');
  assert.deepEqual(r.encode, LLAMA_HELLO);
});

test('chat templates that amplified are stopped quickly, and the tokenizer goes on', async () => {
  const r = await hostile(`
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const messages = [{ role: 'user', content: 'Hi' }];
    const render = (chat_template) => caught(() => {
      const start = performance.now();
      const text = t.apply_chat_template(messages, { chat_template, tokenize: false });
      return { text, ms: performance.now() - start };
    });
    const timed = async (chat_template) => {
      const start = performance.now();
      return { ...(await render(chat_template)), ms: Math.round(performance.now() - start) };
    };
    return {
      sum: await timed('{{ ([[1]*100]*4000) | sum(start=[]) | length }}'),
      repeat: await timed('{{ (["x"*60]*100000000) ~ "" }}'),
      inLoop: await timed('{% for i in range(100) %}{{ 5 in ([1]*1000000) }}{% endfor %}'),
      after: await render('{% for m in messages %}{{ m.role }}: {{ m.content }}{% endfor %}'),
    };`);
  console.log(`template times (ms, not asserted): sum ${r.sum.ms}, repeat ${r.repeat.ms}, in-loop ${r.inLoop.ms}`);
  assert.equal(r.sum.ok, true, r.sum.message);
  assert.equal(r.sum.value.text, '400000');
  assert.equal(r.repeat.code, 'CHAT_TEMPLATE');
  assert.match(r.repeat.message, /100000000 items/);
  assert.equal(r.inLoop.code, 'CHAT_TEMPLATE');
  assert.match(r.inLoop.message, /too much work/);
  assert.equal(r.after.value.text, 'user: Hi');
});

test('the issue\'s three normalizers are refused at load (INVALID_TOKENIZER), not a trap at encode', async () => {
  const minilm = JSON.parse(readFileSync(path.join(wheelFixtures, 'minilm', 'tokenizer.json'), 'utf8'));
  const bert = minilm.normalizer;
  const normalizers = {
    prepend: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '' }, { type: 'Lowercase' }] },
    empty: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: '' }, content: 'x' }, bert] },
    lookahead: { type: 'Sequence', normalizers: [{ type: 'Replace', pattern: { Regex: '(?=.)' }, content: 'x' }, bert] },
  };
  for (const [name, normalizer] of Object.entries(normalizers)) {
    local.hub.addRepo({ id: `hostile/normalizer-${name}`, files: { 'tokenizer.json': JSON.stringify({ ...minilm, normalizer }) } });
  }
  const r = await hostile(`
    const out = {};
    for (const name of ${JSON.stringify(Object.keys(normalizers))}) {
      out[name] = await caught(async () => (await AutoTokenizer.from_pretrained('hostile/normalizer-' + name)).encode('Hello'));
    }
    return out;`);
  for (const [name, outcome] of Object.entries(r)) {
    assert.equal(outcome.ok, false, name);
    assert.equal(outcome.code, 'INVALID_TOKENIZER', `${name}: ${outcome.message}`);
    assert.match(outcome.message, /Prepend|empty string/, name);
  }
});

test('a long pair truncated to a short max_length encodes without the crate\'s overflowing parts', async () => {
  const r = await hostile(`
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const options = (text) => ({ text_pair: text, truncation: true, max_length: 7 });
    const long = 'hello world '.repeat(10000);
    const short = 'hello world '.repeat(3);
    return { long: t(long, options(long)).input_ids, short: t(short, options(short)).input_ids };`);
  assert.equal(r.long.length, 7);
  assert.deepEqual(r.long, r.short, 'truncation keeps the same first tokens of any length of text');
});
