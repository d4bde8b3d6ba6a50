// Options objects through the packed package (Node build): for each call
// family, a key the call does not take is INVALID_OPTION naming that key,
// a value of the wrong type is INVALID_OPTION naming its key (and never
// quoting the value), and apply_chat_template's keys it does not know reach
// the template as variables. The rules themselves are host-tested in
// src/core/options; this checks every export reads its options through them.
//
// One child process runs every call once and reports what each threw; each
// behaviour is then its own test over that report.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { runScript } from './support/consumer.mjs';
import { useHub, PUBLIC } from './support/hub.mjs';

const local = useHub();

// [call family, the call (`t` is a loaded tokenizer), the key it must name].
const UNKNOWN = [
  ['from_pretrained', `AutoTokenizer.from_pretrained('${PUBLIC}', { cacheDirectory: '/tmp/x' })`, 'cacheDirectory'],
  ['tokenizer()', "t('a', { paddding: true })", 'paddding'],
  ['encode', "t.encode('a', { add_special: false })", 'add_special'],
  ['batch_encode', "t.batch_encode(['a'], { text_pair: ['b'] })", 'text_pair'],
  ['tokenize', "t.tokenize('a', { text_pair: 'b' })", 'text_pair'],
  ['decode', 't.decode([1], { skip_special: true })', 'skip_special'],
  ['batch_decode', 't.batch_decode([[1]], { skip_special: true })', 'skip_special'],
  ['get_chat_template', "t.get_chat_template({ name: 'default' })", 'name'],
  ['apply_chat_template', "t.apply_chat_template([{ role: 'user', content: 'x' }], { tokenizer_kwargs: { paddding: true } })", 'tokenizer_kwargs.paddding'],
  ['downloadFile', "downloadFile({ repo: 'a/b', path: 'c', repo_type: 'model' })", 'repo_type'],
  ['snapshotDownload', "snapshotDownload({ repo: 'a/b', allow_patterns: ['*'] })", 'allow_patterns'],
  ['fileExists', "fileExists({ repo: 'a/b', path: 'c', cacheDir: '/tmp/x' })", 'cacheDir'],
  ['modelInfo', "modelInfo({ repo: 'a/b', files_metadata: true })", 'files_metadata'],
  ['whoami', 'whoami({ verbose: true })', 'verbose'],
  ['createHubFetch', "createHubFetch({ cacheDirectory: '/tmp/x' })", 'cacheDirectory'],
  ['createHubProxy', "createHubProxy({ allow: ['a/b'], base_path: '/hf' })", 'base_path'],
  ['env', `(async () => { env.proxy_all = true; try { return await AutoTokenizer.from_pretrained('${PUBLIC}'); } finally { delete env.proxy_all; } })()`, 'proxy_all'],
];

// [call family, the call, the key it must name, what it must say the value must be].
const WRONG_TYPE = [
  ['from_pretrained', `AutoTokenizer.from_pretrained('${PUBLIC}', { local_files_only: 'hf_SecretLooking1234567890abcdef' })`, 'local_files_only', 'true or false'],
  ['tokenizer()', "t('a', { max_length: 'ten' })", 'max_length', ''],
  ['encode', "t.encode('a', { add_special_tokens: 'no' })", 'add_special_tokens', 'true or false'],
  ['batch_encode', "t.batch_encode(['a'], { add_special_tokens: 1 })", 'add_special_tokens', 'true or false'],
  ['decode', "t.decode([1], { skip_special_tokens: 'yes' })", 'skip_special_tokens', 'true or false'],
  ['get_chat_template', 't.get_chat_template({ chat_template: 5 })', 'chat_template', 'a string'],
  ['apply_chat_template', "t.apply_chat_template([{ role: 'user', content: 'x' }], { tokenizer_kwargs: { padding: 5 } })", 'tokenizer_kwargs.padding', ''],
  ['snapshotDownload', "snapshotDownload({ repo: 'a/b', maxWorkers: 'many' })", 'maxWorkers', ''],
  ['downloadFile', "downloadFile({ repo: 'a/b', path: 'c', localFilesOnly: 'yes' })", 'localFilesOnly', 'true or false'],
  ['createHubFetch', 'createHubFetch({ proxyAll: 1 })', 'proxyAll', 'true or false'],
  ['createHubProxy', "createHubProxy({ allow: ['a/b'], allowCredentials: 'yes' })", 'allowCredentials', 'true or false'],
];

const BODY = `
  import { AutoTokenizer, HubError, env, downloadFile, snapshotDownload, fileExists, modelInfo, whoami,
           createHubFetch, createHubProxy } from 'hubguard';
  const results = { unknown: {}, wrongType: {} };
  const capture = async (f) => {
    try { await f(); return { threw: false }; }
    catch (e) { return { threw: true, isHubError: e instanceof HubError, code: e.code, message: e.message }; }
  };
  const t = await AutoTokenizer.from_pretrained('${PUBLIC}');
  ${UNKNOWN.map(([what, call]) => `results.unknown[${JSON.stringify(what)}] = await capture(() => ${call});`).join('\n  ')}
  ${WRONG_TYPE.map(([what, call]) => `results.wrongType[${JSON.stringify(what)}] = await capture(() => ${call});`).join('\n  ')}
  const messages = [{ role: 'user', content: 'Hi' }];
  const template = '{{ greeting }}|{{ shout.level }}|{{ messages[0].content }}|{{ "off" if enable_thinking == false else "on" }}';
  results.extras = t.apply_chat_template(messages, {
    tokenize: false, chat_template: template, greeting: 'Hello', shout: { level: 3 }, enable_thinking: false,
  });
  results.extrasIds = t.apply_chat_template(messages, { chat_template: template, greeting: 'Hello', shout: { level: 3 } }).input_ids;
  results.plainIds = t('Hello|3|Hi|on', { add_special_tokens: false }).input_ids;
  results.bothSpellings = await capture(() => downloadFile({ repo: 'a/b', path: 'c', cacheDir: '/tmp/x', cache_dir: '/tmp/x' }));
  console.log(JSON.stringify(results));
`;

let report;
before(async () => {
  await local.ready;
  const run = await runScript(BODY, { env: local.env() });
  const line = run.stdout.trim().split('\n').pop();
  try {
    report = JSON.parse(line);
  } catch {
    throw new Error(`child produced no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
});

for (const [what, , key] of UNKNOWN) {
  test(`${what}: an unknown option is INVALID_OPTION naming the key`, () => {
    const r = report.unknown[what];
    assert.equal(r.threw, true, `${what} accepted an unknown key`);
    assert.equal(r.isHubError, true);
    assert.equal(r.code, 'INVALID_OPTION', r.message);
    assert.match(r.message, new RegExp(`unknown option \`${key.replace('.', '\\.')}\`; the options are `), r.message);
  });
}

for (const [what, , key, expected] of WRONG_TYPE) {
  test(`${what}: a value of the wrong type is INVALID_OPTION naming the key, not quoting the value`, () => {
    const r = report.wrongType[what];
    assert.equal(r.threw, true, `${what} accepted a wrong type`);
    assert.equal(r.code, 'INVALID_OPTION', r.message);
    assert.ok(r.message.includes(`\`${key}\` must be ${expected}`), r.message);
    assert.doesNotMatch(r.message, /SecretLooking|'ten'|"yes"|many/, r.message);
  });
}

test('apply_chat_template: keys it does not know reach the template as variables', () => {
  assert.equal(report.extras, 'Hello|3|Hi|off');
});

test('apply_chat_template: template variables are kept when the text is tokenized', () => {
  assert.deepEqual(report.extrasIds, report.plainIds);
});

test('downloadFile: both spellings of one option at once are refused', () => {
  const r = report.bothSpellings;
  assert.equal(r.code, 'INVALID_OPTION', r.message);
  assert.match(r.message, /given twice/);
});
