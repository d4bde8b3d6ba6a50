// The user-facing contract: the seed program, verbatim, prints the ids.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runScript } from './support/consumer.mjs';
import { useHub, TOKENS } from './support/hub.mjs';

const seed = readFileSync(new URL('../demo/llama.js', import.meta.url), 'utf8');
const local = useHub();

test('HF_TOKEN=<accepted> node llama.js prints the Llama-2 ids', async () => {
  const run = await runScript(seed, { name: 'llama.js', env: local.env({ HF_TOKEN: TOKENS.accepted }) });
  assert.equal(run.stderr, '');
  assert.equal(run.stdout, '[ 1, 15043, 3186, 29991 ]\n');
  assert.equal(run.code, 0);
});

test('process.env.HF_TOKEN set in code after the import works', async () => {
  const source = seed.replace(
    "import { AutoTokenizer } from 'hubguard';",
    `import { AutoTokenizer } from 'hubguard';\nprocess.env.HF_TOKEN = ${JSON.stringify(TOKENS.accepted)};`,
  );
  assert.notEqual(source, seed);
  const run = await runScript(source, { env: local.env() });
  assert.equal(run.stdout, '[ 1, 15043, 3186, 29991 ]\n', run.stderr);
});

test("require('hubguard') from CommonJS works", async () => {
  const source = `
    const { AutoTokenizer, HubError } = require('hubguard');
    AutoTokenizer.from_pretrained('meta-llama/Llama-2-7b-hf').then((t) => {
      console.log(JSON.stringify({ ids: t.encode('Hello world!'), hubError: typeof HubError }));
    });`;
  const run = await runScript(source, { name: 'cjs-check.cjs', env: local.env({ HF_TOKEN: TOKENS.accepted }) });
  assert.deepEqual(JSON.parse(run.stdout), { ids: [1, 15043, 3186, 29991], hubError: 'function' });
});

test('import and require share one module instance', async () => {
  const source = `
    import { createRequire } from 'node:module';
    import * as esm from 'hubguard';
    const cjs = createRequire(import.meta.url)('hubguard');
    console.log(esm.HubError === cjs.HubError && esm.AutoTokenizer === cjs.AutoTokenizer && esm.env === cjs.env);`;
  const run = await runScript(source, { env: local.env() });
  assert.equal(run.stdout.trim(), 'true', run.stderr);
});

test('without a token the seed program fails with GATED_REPO and how to fix it', async () => {
  const run = await runScript(seed, { name: 'llama.js', env: local.env() });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /HubError: meta-llama\/Llama-2-7b-hf is a gated repo/);
  assert.match(run.stderr, /set HF_TOKEN/);
  assert.match(run.stderr, /code: 'GATED_REPO'/);
});
