// Runs scripts in target/consumer, the npm project that `make consumer`
// installs the packed hubguard tarball into, so every test imports the
// package exactly as a user would: `import ... from 'hubguard'`.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const consumerDir = path.join(root, 'target/consumer');

if (!existsSync(path.join(consumerDir, 'node_modules/hubguard/package.json'))) {
  throw new Error('target/consumer has no hubguard: run `make consumer` (or `make test`) first.');
}

/**
 * A clean environment: a private HOME (so no real token file is read) and
 * nothing from the caller's HF_* variables, plus `env`.
 */
export function cleanEnv(env = {}) {
  const home = mkdtempSync(path.join(tmpdir(), 'hubguard-home-'));
  const base = { PATH: process.env.PATH, HOME: home, USERPROFILE: home };
  return { ...base, ...env };
}

/**
 * Run `source` as `name` inside the consumer project (in a folder of its own,
 * so tests in parallel never share a file). `.js` is ESM there.
 */
export function runScript(source, { env = {}, name = 'script.mjs' } = {}) {
  mkdirSync(path.join(consumerDir, 'runs'), { recursive: true });
  const dir = mkdtempSync(path.join(consumerDir, 'runs', 'run-'));
  const file = path.join(dir, name);
  writeFileSync(file, source);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { cwd: dir, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Load a tokenizer in a child process and report, as JSON, either the ids
 * for `text` or the thrown error's fields.
 */
export async function load(repoId, { options = {}, env = {}, text = 'Hello world!', before = '' } = {}) {
  const source = `
    import { AutoTokenizer, HubError } from 'hubguard';
    ${before}
    try {
      const options = ${JSON.stringify(options)};
      const tokenizer = await AutoTokenizer.from_pretrained(${JSON.stringify(repoId)}, options);
      console.log(JSON.stringify({ ok: true, ids: tokenizer.encode(${JSON.stringify(text)}) }));
    } catch (e) {
      console.log(JSON.stringify({
        ok: false, isHubError: e instanceof HubError, name: e.name, code: e.code, status: e.status,
        repoId: e.repoId, file: e.file, retryAfter: e.retryAfter, message: e.message, stack: String(e.stack),
      }));
    }`;
  const run = await runScript(source, { env });
  const line = run.stdout.trim().split('\n').pop();
  try {
    return { ...JSON.parse(line), stderr: run.stderr, raw: run.stdout };
  } catch {
    throw new Error(`child produced no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/**
 * Script source that imports the packed package's browser build in Node, as
 * a page would import it, binding its exports to `bindings` (a destructuring
 * pattern such as `{ AutoTokenizer, env }`). Outside a page the wasm file's
 * URL is a file: URL, which Node's fetch cannot read: the preamble serves
 * those from disk and leaves every other URL to the real fetch.
 */
export function importBrowserBuild(bindings) {
  const entry = path.join(consumerDir, 'node_modules/hubguard/browser/index.js');
  return `
    import { readFileSync as readFileForFetch } from 'node:fs';
    import { pathToFileURL as fileUrlOf } from 'node:url';
    const pageFetch = globalThis.fetch;
    globalThis.fetch = (url, init) => String(url).startsWith('file:')
      ? Promise.resolve(new Response(readFileForFetch(new URL(String(url))), { headers: { 'content-type': 'application/wasm' } }))
      : pageFetch(url, init);
    const ${bindings} = await import(fileUrlOf(${JSON.stringify(entry)}));`;
}
