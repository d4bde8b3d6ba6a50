// The tokenizer API's edges, through the packed package in both builds:
// callable instances, typed errors for bad input (after which the wasm
// instance still works), settings, unsupported and template-less tokenizers.
// Values are checked against Python in conformance.test.mjs.
//
// One child process per build runs every call once and reports what each
// returned or threw; each behaviour is then its own test over that report,
// so a failure names what broke and does not hide the others.

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

// Bad input: [behaviour, the code it must throw, the call]. Each runs on the
// same tokenizer `t`, which must keep working after all of them.
const ERROR_CASES = [
  ['a number as text', 'INVALID_OPTION', 't(42)'],
  ['an empty batch', 'INVALID_OPTION', 't([])'],
  ['a pair array for a single text', 'INVALID_OPTION', "t('a', { text_pair: ['b'] })"],
  ['fewer pairs than texts', 'INVALID_OPTION', "t(['a', 'b'], { text_pair: ['c'] })"],
  ['an unknown padding', 'INVALID_OPTION', "t('a', { padding: 'sideways' })"],
  ['a negative max_length', 'INVALID_OPTION', "t('a', { max_length: -1 })"],
  ['a fractional max_length', 'INVALID_OPTION', "t('a', { max_length: 2.5 })"],
  ['asking for tensors', 'INVALID_OPTION', "t('a', { return_tensor: true })"],
  ['a max_length under the special tokens', 'INVALID_OPTION', "t('a b c', { text_pair: 'd e', max_length: 1, add_special_tokens: true })"],
  ['decoding floats', 'INVALID_OPTION', 't.decode([1.5])'],
  ['decoding a string', 'INVALID_OPTION', "t.decode('abc')"],
  ['batch_decode of a flat list', 'INVALID_OPTION', 't.batch_decode([1, 2])'],
  ['encoding an object', 'INVALID_OPTION', 't.encode({})'],
  ['a chat that is not a list', 'INVALID_OPTION', "t.apply_chat_template('hi')"],
  ['an empty chat', 'INVALID_OPTION', 't.apply_chat_template([])'],
  ['a message that is not an object', 'INVALID_OPTION', 't.apply_chat_template([1])'],
  ['a message that contains itself', 'INVALID_OPTION', "(() => { const m = { role: 'user' }; m.content = m; return t.apply_chat_template([m]); })()"],
  ['a template that raises', 'CHAT_TEMPLATE', `t.apply_chat_template([{ role: 'user', content: 'x' }], { chat_template: '{{ raise_exception("nope: " + messages[0].content) }}' })`],
  ['a template quoting a token', 'CHAT_TEMPLATE', `t.apply_chat_template([{ role: 'user', content: 'hf_' + 'Leak'.repeat(8) }], { chat_template: '{{ raise_exception("bad: " + messages[0].content) }}' })`],
  ['a template with a syntax error', 'CHAT_TEMPLATE', "t.apply_chat_template([{ role: 'user', content: 'x' }], { chat_template: '{% for %}' })"],
  ['a text past the size limit', 'INVALID_OPTION', "t.encode('a'.repeat(17 << 20))"],
  ['a batch past the size limit', 'INVALID_OPTION', "t.batch_encode(['a'.repeat(9 << 20), 'b'.repeat(9 << 20)])"],
  ['a batch padded past the limit', 'INVALID_OPTION', "t(Array(24).fill('a'), { padding: 'max_length', max_length: 1 << 20 })"],
  ['an unknown padding_side setting', 'INVALID_OPTION', "(() => { t.padding_side = 'middle'; })()"],
  ['an unknown padding_side in a call', 'INVALID_OPTION', "t(['a', 'b c'], { padding: true, padding_side: 'up' })"],
  ['a pad_token_id with no token', 'INVALID_OPTION', '(() => { t.pad_token_id = 1e9; })()'],
  ['decode of a tensor of two rows', 'INVALID_OPTION', "t.decode(new Tensor('int64', new BigInt64Array(4), [2, 2]))"],
  ['batch_decode of a 1-D tensor', 'INVALID_OPTION', "t.batch_decode(new Tensor('int64', new BigInt64Array(2), [2]))"],
];

// Every call, once per build; the report holds what each returned or threw.
const BODY = `
  const capture = (f) => {
    try { return { threw: false, value: f() }; }
    catch (e) { return { threw: true, isHubError: e instanceof HubError, code: e.code, message: e.message }; }
  };
  const t = await AutoTokenizer.from_pretrained('api-test/chat-llama');
  results.errors = {};
  ${ERROR_CASES.map(([what, , call]) => `results.errors[${JSON.stringify(what)}] = capture(() => ${call});`).join('\n  ')}

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
  settings.outsideError = capture(() => s(['a', 'b c'], { padding: true }));
  s.pad_token = null;
  settings.unset = [s.pad_token, s.pad_token_id];
  s.truncation_side = 'left';
  settings.truncLeft = s('Hello world!', { truncation: true, max_length: 3 }).input_ids;
  settings.sides = [s.padding_side, s.truncation_side, t.padding_side, t.truncation_side, t.pad_token];
  results.settings = settings;

  const messages = [{ role: 'user', content: ' Hello world! ' }];
  const calls = {
    callable: () => typeof t === 'function' && t instanceof PreTrainedTokenizer,
    single: () => t('Hello world!'),
    batch: () => t(['Hello world!', 'Hi'], { padding: true }),
    encode: () => t.encode('Hello world!'),
    batchEncode: () => t.batch_encode(['Hello world!', '', 'Hello world!']),
    pair: () => t('Hello', { text_pair: 'world', return_token_type_ids: true }),
    decode: () => t.batch_decode([[1, 15043, 3186, 29991], new Uint32Array([15043])], { skip_special_tokens: true }),
    ids: () => t.convert_tokens_to_ids(['▁Hello', 'no-such-token']),
    one: () => t.convert_tokens_to_ids('</s>'),
    vocab: () => {
      const v = t.get_vocab();
      const size = v.size;
      v.set('not a token: set by the caller', 1);
      return [v instanceof Map, size, v.get('▁Hello'), t.get_vocab().has('not a token: set by the caller')];
    },
    chatTemplate: () => t.chat_template,
    emptyPair: () => [t('Hello', { text_pair: '' }), t('Hello'), t.encode('Hello', { text_pair: '' }), t(['Hello'], { text_pair: [''] }).input_ids[0]],
    tensorDecode: () => [
      t.decode(new Tensor('int64', BigInt64Array.from([1n, 15043n, 3186n, 29991n]), [1, 4]), { skip_special_tokens: true }),
      t.decode(new Tensor('int64', BigInt64Array.from([15043n]), [1])),
      t.batch_decode(new Tensor('int64', BigInt64Array.from([1n, 15043n, 15043n, 3186n]), [2, 2]), { skip_special_tokens: true }),
    ],
    special: () => [t.bos_token, t.bos_token_id, t.eos_token, t.eos_token_id, t.pad_token, t.pad_token_id, t.mask_token, t.mask_token_id],
    allSpecial: () => [t.all_special_ids, t.all_special_tokens],
    limits: () => [t.model_max_length, t.padding_side],
    text: () => t.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true }),
    dict: () => t.apply_chat_template(messages),
    chatIds: () => t.apply_chat_template(messages, { return_dict: false }),
    batched: () => t.apply_chat_template([messages, messages], { tokenize: false }),
    tools: () => t.apply_chat_template(messages, { tokenize: false, tools: [{ name: 'f', a: '<é>' }] }),
    named: () => t.get_chat_template({ chat_template: 'tool_use' }),
    defaultTemplate: () => t.get_chat_template(null),
    // Without special tokens, max_length is all the text's.
    oneToken: () => t('a b c', { max_length: 1, add_special_tokens: false }).input_ids,
    surrogates: () => t.batch_encode(['a\\ud83d', '\\ude00b', '\\ud83d\\ude00']),
    lone: () => [t.encode('a\\ud83d'), t.encode('\\ude00b')],
  };
  results.calls = {};
  for (const [name, call] of Object.entries(calls)) results.calls[name] = capture(call);
  results.loads = {};
  for (const repo of ['api-test/unsupported', 'api-test/unsupported-pre', ${JSON.stringify(PUBLIC)}]) {
    results.loads[repo] = await (async () => {
      try {
        const other = await AutoTokenizer.from_pretrained(repo);
        return { threw: false, value: capture(() => other.apply_chat_template([{ role: 'user', content: 'x' }])) };
      } catch (e) {
        return { threw: true, code: e.code, message: e.message };
      }
    })();
  }
`;

/** The child's program for each build: its imports, then BODY. */
const PROGRAMS = {
  node: () => `
    import { AutoTokenizer, PreTrainedTokenizer, HubError } from 'hubguard';
    const { Tensor } = await import(${JSON.stringify(transformersUrl)});
    const results = {};
    ${BODY}
    console.log(JSON.stringify(results));`,
  browser: () => `
    ${importBrowserBuild('{ AutoTokenizer, PreTrainedTokenizer, HubError, env }')}
    const { Tensor } = await import(${JSON.stringify(transformersUrl)});
    env.endpoint = ${JSON.stringify(local.hub.url)};
    const results = {};
    ${BODY}
    console.log(JSON.stringify(results));`,
};

const reports = {};
/** The report of `build`'s child, run once for all the tests that read it. */
function report(build) {
  reports[build] ??= runScript(PROGRAMS[build](), { env: build === 'node' ? local.env() : {} }).then((run) => {
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout.trim().split('\n').pop());
  });
  return reports[build];
}

/** A call's value, or a failure that shows what it threw. */
async function value(build, name) {
  const result = (await report(build)).calls[name];
  assert.equal(result.threw, false, `${name} threw: ${JSON.stringify(result)}`);
  return result.value;
}

for (const build of ['node', 'browser']) {
  const it = (name, fn) => test(`${build} build: ${name}`, fn);

  for (const [what, code] of ERROR_CASES) {
    it(`${what} throws ${code}`, async () => {
      const e = (await report(build)).errors[what];
      assert.equal(e.threw, true, `${what} did not throw`);
      assert.equal(e.isHubError, true, JSON.stringify(e));
      assert.equal(e.code, code, e.message);
    });
  }
  it("a template's raise_exception message is kept", async () => {
    assert.match((await report(build)).errors['a template that raises'].message, /nope: x/);
  });
  it('a token a template quotes is redacted from the error', async () => {
    const e = (await report(build)).errors['a template quoting a token'];
    assert.match(e.message, /bad: <redacted token>/);
    assert.ok(!JSON.stringify(e).includes('Leak'));
  });
  it('the tokenizer still works after every error above', async () => {
    assert.deepEqual(await value(build, 'single'), { input_ids: LLAMA_HELLO, attention_mask: [1, 1, 1, 1] });
  });
  it('a tokenizer is callable and an instance of PreTrainedTokenizer', async () => {
    assert.equal(await value(build, 'callable'), true);
  });
  it("a batch pads on the config's padding_side, with eos when there is no pad_token", async () => {
    assert.deepEqual(await value(build, 'batch'), { input_ids: [LLAMA_HELLO, [2, 2, 1, 6324]], attention_mask: [[1, 1, 1, 1], [0, 0, 1, 1]] });
  });
  it('encode and batch_encode give the ids', async () => {
    assert.deepEqual(await value(build, 'encode'), LLAMA_HELLO);
    assert.deepEqual(await value(build, 'batchEncode'), [LLAMA_HELLO, [1], LLAMA_HELLO]);
  });
  it('a pair returns token_type_ids when asked', async () => {
    const pair = await value(build, 'pair');
    assert.deepEqual(Object.keys(pair), ['input_ids', 'attention_mask', 'token_type_ids']);
    assert.equal(pair.input_ids.length, pair.token_type_ids.length);
  });
  it('batch_decode takes arrays and typed arrays', async () => {
    assert.deepEqual(await value(build, 'decode'), ['Hello world!', 'Hello']);
  });
  it('convert_tokens_to_ids maps unknown tokens to undefined', async () => {
    assert.deepEqual(await value(build, 'ids'), [15043, null]);
    assert.equal(await value(build, 'one'), 2);
  });
  it('get_vocab returns a new Map each call', async () => {
    assert.deepEqual(await value(build, 'vocab'), [true, 32000, 15043, false]);
  });
  it('named chat templates are an object by name', async () => {
    assert.deepEqual({ ...(await value(build, 'chatTemplate')) }, { default: TEMPLATE, tool_use: 'TOOLS {{ tools | tojson }}' });
  });
  it('an empty text_pair is no pair in a single call, and a pair in a batch', async () => {
    const [emptyPair, noPair, encodedEmptyPair, batchedEmptyPair] = await value(build, 'emptyPair');
    assert.deepEqual(emptyPair, noPair);
    assert.deepEqual(encodedEmptyPair, noPair.input_ids);
    // In a batch the pair counts: Llama-2's pair template adds its own <s>.
    assert.deepEqual(batchedEmptyPair, [...noPair.input_ids, 1]);
  });
  it('decode and batch_decode take Transformers.js tensors', async () => {
    assert.deepEqual(await value(build, 'tensorDecode'), ['Hello world!', 'Hello', ['Hello', 'Hello world']]);
  });
  it('padding_side can be set, and overridden per call', async () => {
    const { settings } = await report(build);
    assert.deepEqual(settings.right, [LLAMA_HELLO, [1, 6324, 2, 2]]);
    assert.deepEqual(settings.callLeft, [LLAMA_HELLO, [2, 2, 1, 6324]]);
  });
  it('pad_token and pad_token_id can be set, and unset', async () => {
    const { settings } = await report(build);
    assert.deepEqual(settings.unk, ['<unk>', 0, [1, 6324, 0, 0]]);
    assert.deepEqual(settings.byId, ['<s>', 1]);
    assert.deepEqual(settings.unset, [null, null]);
  });
  it('a pad_token outside the vocabulary is kept, and padding with it says what to do', async () => {
    const { settings } = await report(build);
    assert.deepEqual(settings.outside, ['not-a-token', null]);
    assert.equal(settings.outsideError.code, 'INVALID_OPTION');
    assert.match(settings.outsideError.message, /`pad_token` \("not-a-token"\) is not in its vocabulary.*tokenizer\.pad_token/);
  });
  it('truncation_side can be set', async () => {
    assert.deepEqual((await report(build)).settings.truncLeft, [1, 3186, 29991]);
  });
  it("setting one tokenizer's sides leaves another's as the config says", async () => {
    assert.deepEqual((await report(build)).settings.sides, ['right', 'left', 'left', 'right', '</s>']);
  });
  it('special tokens and their ids come from the config', async () => {
    assert.deepEqual(await value(build, 'special'), ['<s>', 1, '</s>', 2, '</s>', 2, null, null]);
    assert.deepEqual(await value(build, 'allSpecial'), [[0, 1, 2], ['<unk>', '<s>', '</s>']]);
    assert.deepEqual(await value(build, 'limits'), [1e30, 'left']);
  });
  it('apply_chat_template renders text, a dict or ids, without adding <s>', async () => {
    assert.equal(await value(build, 'text'), '<user>Hello world!</s><assistant>');
    const dict = await value(build, 'dict');
    const ids = await value(build, 'chatIds');
    assert.deepEqual(Object.keys(dict), ['input_ids', 'attention_mask']);
    assert.deepEqual(dict.input_ids, ids);
    assert.ok(ids.length > 5 && ids[0] !== 1, 'rendered text is encoded without adding <s>');
  });
  it('apply_chat_template renders a batch of chats', async () => {
    assert.deepEqual(await value(build, 'batched'), ['<user>Hello world!</s>', '<user>Hello world!</s>']);
  });
  it("tools pick the tool_use template, and tojson writes what Python's json.dumps writes", async () => {
    assert.equal(await value(build, 'tools'), 'TOOLS [{"name": "f", "a": "<é>"}]');
  });
  it('get_chat_template picks a named template, or the default', async () => {
    assert.equal(await value(build, 'named'), 'TOOLS {{ tools | tojson }}');
    assert.equal(await value(build, 'defaultTemplate'), TEMPLATE);
  });
  it('without special tokens max_length is all the text', async () => {
    assert.equal((await value(build, 'oneToken')).length, 1);
  });
  it('texts joined for one crossing keep their own lone surrogates', async () => {
    const surrogates = await value(build, 'surrogates');
    assert.deepEqual(surrogates.slice(0, 2), await value(build, 'lone'));
    assert.notDeepEqual(surrogates[2], surrogates[0]);
  });
  it('a model type this build cannot run is UNSUPPORTED_TOKENIZER, naming it', async () => {
    const load = (await report(build)).loads['api-test/unsupported'];
    assert.equal(load.code, 'UNSUPPORTED_TOKENIZER', load.message);
    assert.match(load.message, /Tiktoken/);
  });
  it('an unknown pre_tokenizer is UNSUPPORTED_TOKENIZER, naming it', async () => {
    const load = (await report(build)).loads['api-test/unsupported-pre'];
    assert.equal(load.code, 'UNSUPPORTED_TOKENIZER', load.message);
    assert.match(load.message, /pre_tokenizer.*SomethingNew/);
  });
  it('a repo without a chat template gives CHAT_TEMPLATE', async () => {
    const load = (await report(build)).loads[PUBLIC];
    assert.equal(load.threw, false, load.message);
    assert.equal(load.value.code, 'CHAT_TEMPLATE');
  });
}
