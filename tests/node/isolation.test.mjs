// Fault isolation: every tokenizer has a wasm instance of its own, so a
// trap (a panic, running out of memory, a stack overflow) ends only that
// tokenizer, never another one, a later load, or the process.
//
// Most tests inject the trap: the child script assembles the packed
// package's own runtime and API the way its Node entry does, with a spy on
// the glue factory, and makes one instance read far outside its memory
// (what a bad pointer or a Rust stack overflow does). The traps then travel
// the real paths: the guarded exports, the runtime, the wasm-bindgen glue.
// One test uses a real tokenizer.json whose normalizer makes the
// `tokenizers` crate outgrow wasm memory. Each child records any uncaught exception or unhandled rejection:
// none may escape.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from './support/consumer.mjs';
import { harness } from './support/harness.mjs';
import { useHub, PUBLIC, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();

async function run(body, env = {}) {
  const source = `${harness()}\n${body}\nawait new Promise((r) => setTimeout(r, 50));\nresults.escaped = escaped;\nconsole.log(JSON.stringify(results));`;
  const child = await runScript(source, { env: local.env(env) });
  assert.equal(child.code, 0, child.stderr);
  const results = JSON.parse(child.stdout.trim().split('\n').pop());
  assert.deepEqual(results.escaped, [], 'nothing escaped as an uncaught exception or unhandled rejection');
  return results;
}

function assertCrashed(result, repo) {
  assert.equal(result.ok, false, JSON.stringify(result));
  assert.equal(result.isHubError, true);
  assert.equal(result.code, 'TOKENIZER_CRASHED', result.message);
  assert.equal(result.repoId, repo);
  assert.match(result.message, /cannot be used any more; other tokenizers are not affected/);
}

test('a trap in one tokenizer leaves another tokenizer, and a later load, working', async () => {
  const r = await run(`
    const first = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const second = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, { revision: 'v1.0' });
    trap(glues[glues.length - 1]);
    results.second = await attempt(() => second.encode('Hello world!'));
    results.first = await attempt(() => first.encode('Hello world!'));
    const third = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    results.third = await attempt(() => third.encode('Hello world!'));`);
  assertCrashed(r.second, PUBLIC);
  assert.deepEqual(r.first.value, LLAMA_HELLO);
  assert.deepEqual(r.third.value, LLAMA_HELLO);
});

test('every method and setting of a crashed tokenizer throws TOKENIZER_CRASHED', async () => {
  const r = await run(`
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    trap(glues[glues.length - 1]);
    const calls = {
      call: () => t('Hello'), encode: () => t.encode('Hello'), batch_encode: () => t.batch_encode(['a']),
      decode: () => t.decode([1, 2]), batch_decode: () => t.batch_decode([[1]]), tokenize: () => t.tokenize('a'),
      convert_tokens_to_ids: () => t.convert_tokens_to_ids('a'), get_vocab: () => t.get_vocab(),
      apply_chat_template: () => t.apply_chat_template([{ role: 'user', content: 'hi' }], { chat_template: '{{ 1 }}' }),
      config: () => t.config, set_padding_side: () => { t.padding_side = 'left'; }, set_pad_token: () => { t.pad_token = '</s>'; },
    };
    for (const [name, call] of Object.entries(calls)) results[name] = await attempt(call);`);
  for (const name of Object.keys(r).filter((k) => k !== 'escaped')) assertCrashed(r[name], PUBLIC);
});

test('a trap while a tokenizer loads rejects that load, and only that load', async () => {
  local.hub.faults = { slowMs: 40 };
  try {
    const r = await run(`
      const other = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, { revision: 'v1.0' });
      const loading = attempt(() => AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)}, { cache_dir: 'fresh-cache' }));
      await new Promise((r) => setTimeout(r, 100)); // the download is under way
      trap(glues[glues.length - 1]);
      results.loading = await loading;
      await clearFaults();
      results.other = await attempt(() => other.encode('Hello world!'));`);
    assertCrashed(r.loading, PUBLIC);
    assert.deepEqual(r.other.value, LLAMA_HELLO);
  } finally {
    local.hub.faults = {};
  }
  const again = await run(`
    const t = await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    results.ids = await attempt(() => t.encode('Hello world!'));`);
  assert.deepEqual(again.ids.value, LLAMA_HELLO, 'loading it again works');
});

test('a trap in the shared instance fails the Hub calls under way with ENGINE_CRASHED, and the next call works', async () => {
  local.hub.faults = { slowMs: 40 };
  let r;
  try {
    r = await run(`
      const options = { repo: ${JSON.stringify(PUBLIC)}, path: 'tokenizer.json', cacheDir: 'cache' };
      const downloading = attempt(() => hubApi.downloadFile(options));
      await new Promise((r) => setTimeout(r, 100));
      trap(runtime.shared().glue);
      results.downloading = await downloading;
      await clearFaults();
      // Another file: the crashed download's blob lock goes stale only after 15 s, as a crashed process's does.
      results.next = await attempt(() => hubApi.downloadFile({ ...options, path: 'tokenizer_config.json' }));
      results.tokenizer = await attempt(async () => (await AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)})).encode('Hello world!'));`);
  } finally {
    local.hub.faults = {};
  }
  assert.equal(r.downloading.code, 'ENGINE_CRASHED', r.downloading.message);
  assert.match(r.downloading.message, /next call starts a new engine/);
  assert.equal(r.next.ok, true, r.next.message);
  assert.match(r.next.value, /tokenizer_config\.json$/);
  assert.deepEqual(r.tokenizer.value, LLAMA_HELLO);
});

test('a tokenizer.json whose normalizer blows the text up past wasm memory crashes only its own tokenizer', async () => {
  // The crate's panics on files are refused at load (validate/, found by
  // the fuzz test); what remains is size: a normalizer that replaces every
  // "a" with 1 MiB of text makes 1000 "a"s need more than a wasm instance
  // can hold, and the crate's buffer passes 2 GiB (wasm32's largest
  // allocation: a `capacity overflow` panic) or the heap cannot grow.
  const evil = 'hubguard-test/evil-replace';
  const tokenizer = {
    version: '1.0', truncation: null, padding: null, pre_tokenizer: { type: 'Whitespace' }, post_processor: null, decoder: null,
    added_tokens: [{ id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: { type: 'Replace', pattern: { String: 'a' }, content: 'x'.repeat(1 << 20) },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: { '[UNK]': 0, hello: 1 } },
  };
  local.hub.addRepo({ id: evil, files: { 'tokenizer.json': JSON.stringify(tokenizer), 'tokenizer_config.json': '{}' } });
  const r = await run(`
    const hubguard = await import('hubguard'); // the package as users import it
    const llama = await hubguard.AutoTokenizer.from_pretrained(${JSON.stringify(PUBLIC)});
    const bad = await hubguard.AutoTokenizer.from_pretrained(${JSON.stringify(evil)});
    results.bad = await attempt(() => bad.encode('a'.repeat(1000)));
    results.llama = await attempt(() => llama.encode('Hello world!'));
    results.reloaded = await attempt(async () => { await hubguard.AutoTokenizer.from_pretrained(${JSON.stringify(evil)}); return 'loaded'; });`);
  assertCrashed(r.bad, evil);
  assert.match(r.bad.message, /the tokenizers library panicked: capacity overflow|it ran out of memory/);
  assert.deepEqual(r.llama.value, LLAMA_HELLO);
  assert.equal(r.reloaded.value, 'loaded');
});
