// The tokenizer API's edges, through the packed package in both builds:
// callable instances, typed errors for bad input (after which the wasm
// instance still works), unsupported and template-less tokenizers.
// Values are checked against Python in conformance.test.mjs.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { importBrowserBuild, runScript } from './support/consumer.mjs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { useHub, PUBLIC, LLAMA_HELLO } from './support/hub.mjs';

const local = useHub();
// Transformers.js, for its Tensor: a model's output ids go straight to decode.
const transformersUrl = pathToFileURL(createRequire(import.meta.url).resolve('@huggingface/transformers')).href;

const TEMPLATE = "{% for m in messages %}<{{ m.role }}>{{ m.content | trim }}{{ eos_token }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";

before(async () => {
  await local.ready;
  const tokenizerJson = local.hub.readFile(PUBLIC, 'tokenizer.json');
  const config = JSON.parse(local.hub.readFile(PUBLIC, 'tokenizer_config.json'));
  local.hub.addRepo({
    id: 'api-test/chat-llama',
    files: {
      'tokenizer.json': tokenizerJson,
      'tokenizer_config.json': JSON.stringify({ ...config, chat_template: [{ name: 'default', template: TEMPLATE }, { name: 'tool_use', template: 'TOOLS {{ tools | tojson }}' }], padding_side: 'left' }),
    },
  });
  const unsupported = JSON.parse(tokenizerJson.toString());
  unsupported.model.type = 'Tiktoken';
  local.hub.addRepo({ id: 'api-test/unsupported', files: { 'tokenizer.json': JSON.stringify(unsupported), 'tokenizer_config.json': '{}' } });
  const badPre = JSON.parse(tokenizerJson.toString());
  badPre.pre_tokenizer = { type: 'SomethingNew' };
  local.hub.addRepo({ id: 'api-test/unsupported-pre', files: { 'tokenizer.json': JSON.stringify(badPre) } });
});

// The same checks, run by the Node entry and by the browser entry.
const BODY = `
  const t = await AutoTokenizer.from_pretrained('api-test/chat-llama');
  const errs = [];
  const expectError = (what, fn) => {
    try { fn(); errs.push({ what, threw: false }); }
    catch (e) { errs.push({ what, threw: true, isHubError: e instanceof HubError, code: e.code, message: e.message }); }
  };
  expectError('number text', () => t(42));
  expectError('empty batch', () => t([]));
  expectError('pair shape', () => t('a', { text_pair: ['b'] }));
  expectError('pair count', () => t(['a', 'b'], { text_pair: ['c'] }));
  expectError('bad padding', () => t('a', { padding: 'sideways' }));
  expectError('negative max_length', () => t('a', { max_length: -1 }));
  expectError('fraction max_length', () => t('a', { max_length: 2.5 }));
  expectError('tensors', () => t('a', { return_tensor: true }));
  expectError('max_length under special tokens', () => t('a b c', { text_pair: 'd e', max_length: 1, add_special_tokens: true }));
  expectError('decode floats', () => t.decode([1.5]));
  expectError('decode strings', () => t.decode('abc'));
  expectError('batch_decode rows', () => t.batch_decode([1, 2]));
  expectError('encode object', () => t.encode({}));
  expectError('chat not a list', () => t.apply_chat_template('hi'));
  expectError('chat empty', () => t.apply_chat_template([]));
  expectError('chat bad message', () => t.apply_chat_template([1]));
  expectError('chat cyclic', () => { const m = { role: 'user' }; m.content = m; t.apply_chat_template([m]); });
  expectError('chat template error', () => t.apply_chat_template([{ role: 'user', content: 'x' }], { chat_template: '{{ raise_exception("nope: " + messages[0].content) }}' }));
  expectError('chat template quoting a token', () => t.apply_chat_template([{ role: 'user', content: 'hf_' + 'Leak'.repeat(8) }], { chat_template: '{{ raise_exception("bad: " + messages[0].content) }}' }));
  expectError('chat template syntax', () => t.apply_chat_template([{ role: 'user', content: 'x' }], { chat_template: '{% for %}' }));
  expectError('a text past the size limit', () => t.encode('a'.repeat(17 << 20)));
  expectError('a batch past the size limit', () => t.batch_encode(['a'.repeat(9 << 20), 'b'.repeat(9 << 20)]));
  expectError('a batch padded past the limit', () => t(Array(24).fill('a'), { padding: 'max_length', max_length: 1 << 20 }));
  expectError('bad padding_side', () => { t.padding_side = 'middle'; });
  expectError('bad call padding_side', () => t(['a', 'b c'], { padding: true, padding_side: 'up' }));
  expectError('pad_token_id without a token', () => { t.pad_token_id = 1e9; });
  expectError('decode a tensor of two rows', () => t.decode(new Tensor('int64', new BigInt64Array(4), [2, 2])));
  expectError('batch_decode a 1-D tensor', () => t.batch_decode(new Tensor('int64', new BigInt64Array(2), [2])));

  // Settings a caller changes after loading (on a second instance, so the
  // checks below see the config's): sides and the pad token.
  const s = await AutoTokenizer.from_pretrained('api-test/chat-llama');
  const settings = {};
  s.padding_side = 'right';
  settings.right = s(['Hello world!', 'Hi'], { padding: true }).input_ids;
  settings.callLeft = s(['Hello world!', 'Hi'], { padding: true, padding_side: 'left' }).input_ids;
  s.pad_token = '<unk>';
  settings.unk = [s.pad_token, s.pad_token_id, s(['Hello world!', 'Hi'], { padding: true }).input_ids[1]];
  s.pad_token_id = 1;
  settings.byId = [s.pad_token, s.pad_token_id];
  s.pad_token = 'not-a-token';
  settings.outside = [s.pad_token, s.pad_token_id];
  try { s(['a', 'b c'], { padding: true }); } catch (e) { settings.outsideError = [e.code, e.message]; }
  s.pad_token = null;
  settings.unset = [s.pad_token, s.pad_token_id];
  s.truncation_side = 'left';
  settings.truncLeft = s('Hello world!', { truncation: true, max_length: 3 }).input_ids;
  settings.sides = [s.padding_side, s.truncation_side, t.padding_side, t.truncation_side, t.pad_token];

  const messages = [{ role: 'user', content: ' Hello world! ' }];
  results.value = {
    callable: typeof t === 'function' && t instanceof PreTrainedTokenizer,
    errs,
    // Still alive after every error above.
    single: t('Hello world!'),
    batch: t(['Hello world!', 'Hi'], { padding: true }),
    encode: t.encode('Hello world!'),
    batchEncode: t.batch_encode(['Hello world!', '', 'Hello world!']),
    pair: t('Hello', { text_pair: 'world', return_token_type_ids: true }),
    decode: t.batch_decode([[1, 15043, 3186, 29991], new Uint32Array([15043])], { skip_special_tokens: true }),
    ids: t.convert_tokens_to_ids(['▁Hello', 'no-such-token']),
    one: t.convert_tokens_to_ids('</s>'),
    vocab: (() => {
      const v = t.get_vocab();
      const size = v.size;
      v.set('not a token: set by the caller', 1);
      return [v instanceof Map, size, v.get('▁Hello'), t.get_vocab().has('not a token: set by the caller')];
    })(),
    chatTemplate: t.chat_template,
    emptyPair: [t('Hello', { text_pair: '' }), t('Hello'), t.encode('Hello', { text_pair: '' }), t(['Hello'], { text_pair: [''] }).input_ids[0]],
    tensorDecode: [
      t.decode(new Tensor('int64', BigInt64Array.from([1n, 15043n, 3186n, 29991n]), [1, 4]), { skip_special_tokens: true }),
      t.decode(new Tensor('int64', BigInt64Array.from([15043n]), [1])),
      t.batch_decode(new Tensor('int64', BigInt64Array.from([1n, 15043n, 15043n, 3186n]), [2, 2]), { skip_special_tokens: true }),
    ],
    settings,
    special: [t.bos_token, t.bos_token_id, t.eos_token, t.eos_token_id, t.pad_token, t.pad_token_id, t.mask_token, t.mask_token_id],
    allSpecial: [t.all_special_ids, t.all_special_tokens],
    limits: [t.model_max_length, t.padding_side],
    text: t.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }),
    dict: t.apply_chat_template(messages),
    chatIds: t.apply_chat_template(messages, { return_dict: false }),
    batched: t.apply_chat_template([messages, messages], { tokenize: false }),
    tools: t.apply_chat_template(messages, { tokenize: false, tools: [{ name: 'f', a: '<é>' }] }),
    named: t.get_chat_template({ chat_template: 'tool_use' }),
    defaultTemplate: t.get_chat_template(null),
    // Without special tokens, max_length is all the text's.
    oneToken: t('a b c', { max_length: 1, add_special_tokens: false }).input_ids,
    surrogates: t.batch_encode(['a\\ud83d', '\\ude00b', '\\ud83d\\ude00']),
    lone: [t.encode('a\\ud83d'), t.encode('\\ude00b')],
  };
  for (const repo of ['api-test/unsupported', 'api-test/unsupported-pre', ${JSON.stringify(PUBLIC)}]) {
    results[repo] = await attempt(async () => {
      const other = await AutoTokenizer.from_pretrained(repo);
      return { chat: (() => { try { other.apply_chat_template([{ role: 'user', content: 'x' }]); return 'rendered'; } catch (e) { return e.code; } })() };
    });
  }
`;

function checkResults(r) {
  const v = r.value;
  assert.ok(v, JSON.stringify(r));
  assert.equal(v.callable, true);
  for (const e of v.errs) {
    assert.ok(e.threw && e.isHubError, `${e.what}: ${JSON.stringify(e)}`);
    const code = e.what.startsWith('chat template') ? 'CHAT_TEMPLATE' : 'INVALID_OPTION';
    assert.equal(e.code, code, `${e.what}: ${e.message}`);
  }
  assert.match(v.errs.find((e) => e.what === 'chat template error').message, /nope: x/);
  // What a template quotes is the caller's text, which may hold a token.
  assert.match(v.errs.find((e) => e.what === 'chat template quoting a token').message, /bad: <redacted token>/);
  assert.ok(!JSON.stringify(v.errs).includes('Leak'));
  assert.deepEqual(v.single, { input_ids: LLAMA_HELLO, attention_mask: [1, 1, 1, 1] });
  // padding_side 'left' from the config; eos pads (the config has no pad_token).
  assert.deepEqual(v.batch, { input_ids: [LLAMA_HELLO, [2, 2, 1, 6324]], attention_mask: [[1, 1, 1, 1], [0, 0, 1, 1]] });
  assert.deepEqual(v.encode, LLAMA_HELLO);
  assert.deepEqual(v.batchEncode, [LLAMA_HELLO, [1], LLAMA_HELLO]);
  assert.deepEqual(Object.keys(v.pair), ['input_ids', 'attention_mask', 'token_type_ids']);
  assert.equal(v.pair.input_ids.length, v.pair.token_type_ids.length);
  assert.deepEqual(v.decode, ['Hello world!', 'Hello']);
  assert.deepEqual(v.ids, [15043, null]);
  assert.equal(v.one, 2);
  // A Map, as Transformers.js returns, and a new one each call.
  assert.deepEqual(v.vocab, [true, 32000, 15043, false]);
  // Named templates by name, as transformers and Transformers.js give them.
  assert.deepEqual({ ...v.chatTemplate }, { default: TEMPLATE, tool_use: 'TOOLS {{ tools | tojson }}' });
  const [emptyPair, noPair, encodedEmptyPair, batchedEmptyPair] = v.emptyPair;
  assert.deepEqual(emptyPair, noPair);
  assert.deepEqual(encodedEmptyPair, noPair.input_ids);
  // In a batch the pair counts: Llama-2's pair template adds its own <s>.
  assert.deepEqual(batchedEmptyPair, [...noPair.input_ids, 1]);
  assert.deepEqual(v.tensorDecode, ['Hello world!', 'Hello', ['Hello', 'Hello world']]);
  const st = v.settings;
  assert.deepEqual(st.right, [LLAMA_HELLO, [1, 6324, 2, 2]]);
  assert.deepEqual(st.callLeft, [LLAMA_HELLO, [2, 2, 1, 6324]]);
  assert.deepEqual(st.unk, ['<unk>', 0, [1, 6324, 0, 0]]);
  assert.deepEqual(st.byId, ['<s>', 1]);
  assert.deepEqual(st.outside, ['not-a-token', null]);
  assert.equal(st.outsideError[0], 'INVALID_OPTION');
  assert.match(st.outsideError[1], /`pad_token` \("not-a-token"\) is not in its vocabulary.*tokenizer\.pad_token/);
  assert.deepEqual(st.unset, [null, null]);
  assert.deepEqual(st.truncLeft, [1, 3186, 29991]);
  // The first instance kept the config's settings.
  assert.deepEqual(st.sides, ['right', 'left', 'left', 'right', '</s>']);
  assert.deepEqual(v.special, ['<s>', 1, '</s>', 2, '</s>', 2, null, null]);
  assert.deepEqual(v.allSpecial, [[0, 1, 2], ['<unk>', '<s>', '</s>']]);
  assert.deepEqual(v.limits, [1e30, 'left']);
  assert.equal(v.text, '<user>Hello world!</s><assistant>');
  assert.deepEqual(Object.keys(v.dict), ['input_ids', 'attention_mask']);
  assert.deepEqual(v.dict.input_ids, v.chatIds);
  assert.ok(v.chatIds.length > 5 && v.chatIds[0] !== 1, 'rendered text is encoded without adding <s>');
  assert.deepEqual(v.batched, ['<user>Hello world!</s>', '<user>Hello world!</s>']);
  assert.equal(v.tools, 'TOOLS [{"name": "f", "a": "<é>"}]');
  assert.equal(v.named, 'TOOLS {{ tools | tojson }}');
  assert.equal(v.defaultTemplate, TEMPLATE);
  assert.equal(v.oneToken.length, 1);
  // Texts joined for one crossing keep their own lone surrogates (U+FFFD each).
  assert.deepEqual(v.surrogates.slice(0, 2), v.lone);
  assert.notDeepEqual(v.surrogates[2], v.surrogates[0]);
  assert.equal(r['api-test/unsupported'].code, 'UNSUPPORTED_TOKENIZER', r['api-test/unsupported'].message);
  assert.match(r['api-test/unsupported'].message, /Tiktoken/);
  assert.equal(r['api-test/unsupported-pre'].code, 'UNSUPPORTED_TOKENIZER', r['api-test/unsupported-pre'].message);
  assert.match(r['api-test/unsupported-pre'].message, /pre_tokenizer.*SomethingNew/);
  assert.deepEqual(r[PUBLIC].value, { chat: 'CHAT_TEMPLATE' });
}

test('Node build: callable tokenizer, chat templates, typed errors that leave the instance working', async () => {
  const source = `
    import { AutoTokenizer, PreTrainedTokenizer, HubError } from 'hubguard';
    const { Tensor } = await import(${JSON.stringify(transformersUrl)});
    const attempt = async (f) => {
      try { return { ok: true, value: await f() }; }
      catch (e) { return { ok: false, isHubError: e instanceof HubError, code: e.code, message: e.message }; }
    };
    const results = {};
    ${BODY}
    console.log(JSON.stringify(results));`;
  const run = await runScript(source, { env: local.env() });
  assert.equal(run.code, 0, run.stderr);
  checkResults(JSON.parse(run.stdout.trim().split('\n').pop()));
});

test('browser build: the same API and errors', async () => {
  const source = `
    ${importBrowserBuild('{ AutoTokenizer, PreTrainedTokenizer, HubError, env }')}
    const { Tensor } = await import(${JSON.stringify(transformersUrl)});
    env.endpoint = ${JSON.stringify(local.hub.url)};
    const attempt = async (f) => {
      try { return { ok: true, value: await f() }; }
      catch (e) { return { ok: false, isHubError: e instanceof HubError, code: e.code, message: e.message }; }
    };
    const results = {};
    ${BODY}
    console.log(JSON.stringify(results));`;
  const run = await runScript(source);
  assert.equal(run.code, 0, run.stderr);
  checkResults(JSON.parse(run.stdout.trim().split('\n').pop()));
});
