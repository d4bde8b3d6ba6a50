// Conformance: hubguard (the packed npm package, loading through the local
// Hub) against Python `tokenizers` and `transformers` on every tokenizer of
// the matrix (tests/fixtures/conformance.mjs). The expected values are
// computed by tests/python/tokenizer_reference.py during the test.

import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runScript } from './support/consumer.mjs';
import { useHub } from './support/hub.mjs';
import { CALL_CASES, CLASS_VARIANTS, TYPE_ID_CALLS, chatCases, matrix, texts } from '../fixtures/conformance.mjs';
import { CHAT_TEMPLATE_REPOS, chatTemplateRepoFiles } from '../fixtures/chat-template-files.mjs';
import { loadFixture } from '../hub/seed.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const REFERENCE = path.resolve(here, '../python/tokenizer_reference.py');
const PYTHON = process.env.PYTHON ?? 'python3';
const local = useHub();

function python(job) {
  const run = spawnSync(PYTHON, [REFERENCE], { input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 1 << 30 });
  if (run.status !== 0) throw new Error(`tokenizer_reference.py failed:\n${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The special-token strings a tokenizer's config names, to write them out as text. */
function specialTokens(dir) {
  const file = path.join(dir, 'tokenizer_config.json');
  if (!existsSync(file)) return [];
  const config = JSON.parse(readFileSync(file, 'utf8'));
  return ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token']
    .map((k) => (typeof config[k] === 'string' ? config[k] : config[k]?.content))
    .filter(Boolean);
}

// What the child process computes with hubguard, per tokenizer.
const HUBGUARD_SIDE = `
import { AutoTokenizer, PreTrainedTokenizer } from 'hubguard';
import { readFileSync, writeFileSync } from 'node:fs';
const jobs = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const attempt = (fn) => { try { return { ok: fn() }; } catch (e) { return { error: e.message, code: e.code }; } };
const out = {};
for (const job of jobs) {
  const t = await AutoTokenizer.from_pretrained(job.repo);
  const encode = job.texts.map((x) => t.encode(x));
  const special = {};
  for (const n of ['bos', 'eos', 'unk', 'pad', 'sep', 'cls', 'mask']) {
    special[n + '_token'] = t[n + '_token'];
    special[n + '_token_id'] = t[n + '_token_id'];
  }
  out[job.name] = {
    chat_template: t.chat_template,
    callable: typeof t === 'function' && t instanceof PreTrainedTokenizer,
    encode,
    batch_encode: t.batch_encode(job.texts),
    batch_call: t(job.texts).input_ids,
    encode_plain: job.texts.map((x) => t.encode(x, { add_special_tokens: false })),
    decode: encode.map((ids) => t.decode(ids)),
    decode_skip: encode.map((ids) => t.decode(ids, { skip_special_tokens: true })),
    batch_decode_clean: t.batch_decode(encode.slice(0, 30), { skip_special_tokens: true, clean_up_tokenization_spaces: true }),
    tokens: job.texts.slice(0, 25).map((x) => t.tokenize(x)),
    special,
    padding_side: t.padding_side,
    model_max_length: t.model_max_length,
    vocab_size: t.get_vocab().size,
    calls: job.calls.map((c) => attempt(() => t(c.text, c.options))),
    chats: job.chats.map((c) => ({
      text: attempt(() => t.apply_chat_template(c.messages, { ...c.options, tokenize: false })),
      ids: attempt(() => t.apply_chat_template(c.messages, { ...c.options, return_dict: false })),
      masks: c.masks
        ? attempt(() => t.apply_chat_template(c.messages, { ...c.options, return_assistant_tokens_mask: true, ...(c.masks === true ? {} : c.masks) }))
        : undefined,
    })),
  };
}
writeFileSync(process.argv[3], JSON.stringify(out));
`;

let tokenizers;
let reference;
let ours;

before(async () => {
  await local.ready;
  tokenizers = await matrix();
  const unigram = tokenizers.find((t) => t.name === 'unigram');
  if (!existsSync(path.join(unigram.dir, 'tokenizer.json'))) {
    python({ train_unigram: unigram.dir, texts: texts([]) });
  }
  const jobs = tokenizers.map((t) => {
    const config = path.join(t.dir, 'tokenizer_config.json');
    const hasTemplate = existsSync(config) && JSON.parse(readFileSync(config, 'utf8')).chat_template != null;
    return {
      name: t.name,
      dir: t.dir,
      repo: `matrix/${t.name}`,
      texts: texts(specialTokens(t.dir)),
      calls: CALL_CASES,
      chats: chatCases(t.name, hasTemplate),
    };
  });
  jobs.push(...classVariantJobs(tokenizers.find((t) => t.name === 'minilm')));
  const templateJobs = await chatTemplateJobs();
  reference = python({ tokenizers: [...jobs, ...templateJobs] });
  for (const job of jobs) {
    const files = { 'tokenizer.json': readFileSync(path.join(job.dir, 'tokenizer.json')) };
    const config = path.join(job.dir, 'tokenizer_config.json');
    if (existsSync(config)) files['tokenizer_config.json'] = readFileSync(config);
    local.hub.addRepo({ id: job.repo, files });
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'hubguard-conformance-'));
  // The chat-template repos are seeded in the emulator already.
  writeFileSync(path.join(dir, 'jobs.json'), JSON.stringify([...jobs, ...templateJobs]));
  const script = HUBGUARD_SIDE.replace('process.argv[2]', JSON.stringify(path.join(dir, 'jobs.json'))).replace(
    'process.argv[3]',
    JSON.stringify(path.join(dir, 'out.json')),
  );
  const run = await runScript(script, { env: local.env() });
  if (run.code !== 0) throw new Error(`hubguard side failed (exit ${run.code}):\n${run.stderr}`);
  ours = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8'));
  ours.jobs = [...jobs, ...templateJobs];
});

/** MiniLM's tokenizer.json with its config naming another class (CLASS_VARIANTS), in folders for both sides. */
function classVariantJobs(minilm) {
  const config = JSON.parse(readFileSync(path.join(minilm.dir, 'tokenizer_config.json'), 'utf8'));
  return Object.entries(CLASS_VARIANTS).map(([name, tokenizerClass]) => {
    const dir = mkdtempSync(path.join(tmpdir(), `hubguard-minilm-as-${name}-`));
    copyFileSync(path.join(minilm.dir, 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ ...config, tokenizer_class: tokenizerClass }));
    return { name: `minilm-as-${name}`, dir, repo: `matrix/minilm-as-${name}`, texts: texts([]).slice(0, 20), calls: TYPE_ID_CALLS, chats: [] };
  });
}

/**
 * The repos whose template is in chat_template.jinja, written to folders for
 * Python (transformers reads chat_template.jinja from a folder as from the
 * Hub). Only their chats are compared: their tokenizer is the Llama-2 one.
 */
async function chatTemplateJobs() {
  const repos = chatTemplateRepoFiles(await loadFixture());
  return Object.entries(CHAT_TEMPLATE_REPOS).map(([name, repo]) => {
    const dir = mkdtempSync(path.join(tmpdir(), `hubguard-${name}-`));
    for (const [file, content] of Object.entries(repos[repo])) writeFileSync(path.join(dir, file), content);
    // llama31 (in chat-both's file) writes today's date unless it is given one.
    const chats = chatCases(name, true).map((c) => ({ ...c, options: { ...c.options, date_string: '26 Jul 2024' } }));
    // The reference picks its tokenizer class on the first 20 texts, as for llama2.
    return { name, dir, repo, texts: texts(specialTokens(dir)).slice(0, 20), calls: [], chats };
  });
}

/** The first index where two lists differ, with both values, for a readable failure. */
function sameList(actual, expected, what, inputs) {
  assert.equal(actual.length, expected.length, `${what}: count`);
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual(actual[i], expected[i], `${what} #${i} differs for input ${JSON.stringify(inputs?.[i])?.slice(0, 200)}`);
  }
}

const NAMES = ['llama2', 'llama3', 'qwen3', 'gemma3', 'minilm', 'unigram'];

/** Each chat case renders the same text and ids on both sides. */
function sameChats(name) {
  const job = ours.jobs.find((j) => j.name === name);
  const [mine, ref] = [ours[name], reference[name]];
  assert.ok(job.chats.length >= 3, 'has chat cases');
  for (let i = 0; i < job.chats.length; i++) {
    for (const kind of ['text', 'ids']) {
      assert.deepEqual(mine.chats[i][kind], ref.chats[i][kind], `${name} chat #${i} ${kind}`);
    }
  }
}

test('a template only in chat_template.jinja (CRLF line ends) renders as transformers renders it', () => {
  sameChats('jinjaOnly');
  assert.equal(typeof ours.jinjaOnly.chat_template, 'string');
  assert.ok(!ours.jinjaOnly.chat_template.includes('\r'), 'read with universal newlines, as Python reads it');
  assert.equal(ours.jinjaOnly.chat_template, reference.jinjaOnly.chat_template);
  assert.match(ours.jinjaOnly.chats[0].text.ok, /^<\|system\|>/);
});

test('with both sources, chat_template.jinja wins over tokenizer_config.json, as in transformers', () => {
  sameChats('both');
  assert.equal(ours.both.chat_template, reference.both.chat_template);
  // The file holds the Llama-3.1-style template, the config Phi-3's.
  assert.match(ours.both.chats[0].text.ok, /<\|start_header_id\|>/);
  assert.doesNotMatch(ours.both.chats[0].text.ok, /<\|user\|>/);
});

test('token_type_ids are returned by default for the classes transformers returns them for', () => {
  for (const name of Object.keys(CLASS_VARIANTS)) {
    const [mine, ref] = [ours[`minilm-as-${name}`], reference[`minilm-as-${name}`]];
    assert.deepEqual(mine.calls, ref.calls, `${name} (transformers class: ${ref.class})`);
  }
  // Not vacuous: the classes differ, and each call succeeded.
  const keys = (name) => ours[`minilm-as-${name}`].calls.map((c) => Object.keys(c.ok));
  assert.ok(keys('electra').every((k) => k.includes('token_type_ids')));
  assert.ok(keys('mobilebert').every((k) => k.includes('token_type_ids')));
  assert.ok(keys('distilbert').every((k) => !k.includes('token_type_ids')));
});

for (const name of NAMES) {
  test(`${name}: ids equal Python tokenizers' on the multilingual corpus, with and without special tokens`, () => {
    const job = ours.jobs.find((j) => j.name === name);
    const [mine, ref] = [ours[name], reference[name]];
    assert.ok(job.texts.length > 50);
    sameList(mine.encode, ref.encode, 'encode', job.texts);
    sameList(mine.encode_plain, ref.encode_plain, 'encode (add_special_tokens: false)', job.texts);
    // One crossing for the batch gives the same ids as one per text.
    sameList(mine.batch_encode, ref.encode, 'batch_encode', job.texts);
    sameList(mine.batch_call, ref.encode, 'tokenizer(texts).input_ids', job.texts);
    sameList(mine.tokens, ref.tokens, 'tokenize', job.texts);
    assert.equal(mine.vocab_size, ref.vocab_size, 'get_vocab size');
    assert.equal(mine.callable, true, 'the tokenizer is a callable PreTrainedTokenizer');
  });

  test(`${name}: decoding equals Python's and round-trips where Python's does`, () => {
    const job = ours.jobs.find((j) => j.name === name);
    const [mine, ref] = [ours[name], reference[name]];
    sameList(mine.decode, ref.decode, 'decode', job.texts);
    sameList(mine.decode_skip, ref.decode_skip, 'decode (skip_special_tokens)', job.texts);
    sameList(mine.batch_decode_clean, ref.batch_decode_clean, 'batch_decode (clean_up_tokenization_spaces)', job.texts);
    const roundTrips = ref.decode_skip.filter((text, i) => text === job.texts[i]).length;
    // The reference round-trips most of the corpus for lossless tokenizers; hubguard does on the same lines.
    assert.ok(name === 'minilm' || roundTrips > job.texts.length / 2, `${name} round-trips ${roundTrips} texts`);
  });

  test(`${name}: the call API (padding, truncation, pairs, token_type_ids) and special tokens equal transformers'`, () => {
    const [mine, ref] = [ours[name], reference[name]];
    const job = ours.jobs.find((j) => j.name === name);
    // Only what tokenizer_config.json sets: transformers classes add their own
    // defaults (GemmaTokenizer's `<mask>`), which hubguard does not know.
    const configFile = path.join(job.dir, 'tokenizer_config.json');
    const config = existsSync(configFile) ? JSON.parse(readFileSync(configFile, 'utf8')) : {};
    const set = (key) => config[key.replace(/_id$/, '')] != null || key.startsWith('pad_token');
    const pick = (special) => Object.fromEntries(Object.entries(special).filter(([k]) => set(k)));
    assert.ok(Object.keys(pick(ref.special)).length >= 2, 'the config names special tokens');
    assert.deepEqual(pick(mine.special), pick(ref.special), `special tokens (transformers class: ${ref.class})`);
    assert.equal(mine.padding_side, ref.padding_side);
    assert.equal(mine.model_max_length, ref.model_max_length);
    for (let i = 0; i < CALL_CASES.length; i++) {
      const what = `call #${i} ${JSON.stringify(CALL_CASES[i]).slice(0, 160)}`;
      if (ref.calls[i].error) {
        assert.ok(mine.calls[i].error, `${what}: Python failed (${ref.calls[i].error}); hubguard must too`);
      } else {
        assert.deepEqual(mine.calls[i], ref.calls[i], what);
      }
    }
  });

  test(`${name}: apply_chat_template renders the text and ids transformers does`, () => {
    const job = ours.jobs.find((j) => j.name === name);
    const [mine, ref] = [ours[name], reference[name]];
    if (['llama3', 'qwen3', 'gemma3', 'llama2'].includes(name)) assert.ok(job.chats.length >= 3, 'has chat cases');
    for (let i = 0; i < job.chats.length; i++) {
      const what = `chat #${i} (${job.chats[i].template ?? 'own template'})`;
      for (const kind of ['text', 'ids']) {
        if (job.chats[i].expectError) {
          assert.ok(ref.chats[i][kind].error, `${what}: the reference was expected to refuse`);
          assert.equal(mine.chats[i][kind].code, 'CHAT_TEMPLATE', `${what}: ${JSON.stringify(mine.chats[i][kind])}`);
          // The template's own raise_exception message reaches the caller.
          const message = ref.chats[i][kind].error.replace(/^\w+: /, '');
          assert.ok(mine.chats[i][kind].error.includes(message), `${what}: ${mine.chats[i][kind].error} vs ${message}`);
        } else {
          assert.deepEqual(mine.chats[i][kind], ref.chats[i][kind], `${what} ${kind}`);
        }
      }
      if (job.chats[i].masks) {
        const [m, r] = [mine.chats[i].masks, ref.chats[i].masks];
        if (r.error) {
          assert.equal(m.code, 'INVALID_OPTION', `${what} masks: the reference refused (${r.error}); ours gave ${JSON.stringify(m)}`);
        } else {
          assert.deepEqual(m, r, `${what} masks`);
        }
      }
    }
  });

  if (['llama2', 'llama3', 'qwen3'].includes(name)) {
    test(`${name}: return_assistant_tokens_mask marks the {% generation %} tokens as transformers does`, () => {
      const job = ours.jobs.find((j) => j.name === name);
      const masked = job.chats.map((c, i) => [c, ours[name].chats[i].masks]).filter(([c]) => c.masks === true);
      assert.ok(masked.length >= 9, 'has mask cases');
      // Not vacuous: the generation templates mark some tokens and leave others.
      const rows = masked
        .filter(([c]) => c.template !== 'phi3')
        .flatMap(([, m]) => (Array.isArray(m.ok.assistant_masks[0]) ? m.ok.assistant_masks : [m.ok.assistant_masks]));
      assert.ok(rows.every((row) => row.includes(1) || row.length <= 40), 'each untruncated row marks tokens');
      assert.ok(rows.every((row) => row.includes(0)), 'and leaves the others');
      const phi3 = masked.find(([c]) => c.template === 'phi3')[1].ok;
      assert.ok(phi3.assistant_masks.length > 0 && phi3.assistant_masks.every((v) => v === 0));
    });
  }
}
