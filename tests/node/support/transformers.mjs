// Transformers.js (the real 4.x from tests/node_modules) in child processes
// of the consumer project, and the tiny BERT-shaped ONNX models it loads,
// made at test time by tests/fixtures/tiny_bert.py (the `onnx` package).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runScript } from './consumer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromTests = createRequire(path.resolve(here, '../../package.json'));
/** The Node build of Transformers.js, as a URL a child can import. */
export const transformersUrl = pathToFileURL(fromTests.resolve('@huggingface/transformers')).href;

/** Runs tiny_bert.py into `dir` (extra args: --external, --seed N, --rows N, --hidden N). */
export function makeTinyBert(dir, args = []) {
  const script = path.resolve(here, '../../fixtures/tiny_bert.py');
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PYTHON ?? 'python3', [script, dir, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(dir) : reject(new Error(`tiny_bert.py failed (is the onnx package installed? make deps):\n${err}`)),
    );
  });
}

/** A fixture folder as emulator repo files; the ONNX files are LFS (behind the CDN). */
export function repoFiles(dir) {
  const files = {};
  const walk = (sub) => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else files[rel] = { content: readFileSync(path.join(dir, rel)), lfs: /\.onnx/.test(name) };
    }
  };
  walk('');
  return files;
}

/** A fresh folder for a child's HF_HOME or Transformers.js cache. */
export const scratch = (prefix) => mkdtempSync(path.join(tmpdir(), `hubguard-${prefix}-`));

export const TEXT = 'Hello world, embeddings from a gated model!';

/**
 * The source of a child that imports hubguard and Transformers.js, runs
 * `setup` (with `env` = Transformers.js' env, `hubguard` = the package),
 * then `pipeline('feature-extraction', repo)` on TEXT (mean pooling,
 * normalized), and prints one JSON line: { ok, embedding } or { ok: false,
 * error: { isHubError, name, code, message } }, plus `tjsCacheDir`'s files.
 */
export function pipelineScript({ repo, setup = '', tjsCacheDir, after = '' }) {
  return `
    import * as hubguard from 'hubguard';
    import { readdirSync } from 'node:fs';
    const { env, pipeline } = await import(${JSON.stringify(transformersUrl)});
    env.cacheDir = ${JSON.stringify(tjsCacheDir)};
    const result = {};
    try {
      ${setup}
      const extractor = await pipeline('feature-extraction', ${JSON.stringify(repo)});
      const output = await extractor(${JSON.stringify(TEXT)}, { pooling: 'mean', normalize: true });
      Object.assign(result, { ok: true, embedding: output.tolist() });
      ${after}
    } catch (e) {
      Object.assign(result, {
        ok: false,
        error: { isHubError: e instanceof hubguard.HubError, name: e.name, code: e.code, message: e.message, stack: String(e.stack) },
      });
    }
    let tjsCache = [];
    try { tjsCache = readdirSync(${JSON.stringify(tjsCacheDir)}, { recursive: true }); } catch {}
    console.log(JSON.stringify({ ...result, tjsCache }));`;
}

/** Runs a pipelineScript in the consumer project; → its JSON line, with stderr. */
export async function runPipeline(options, env) {
  const run = await runScript(pipelineScript({ tjsCacheDir: scratch('tjs-cache'), ...options }), { env });
  const line = run.stdout.trim().split('\n').pop();
  try {
    return { ...JSON.parse(line), stderr: run.stderr };
  } catch {
    throw new Error(`the child printed no JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** The same pipeline on the fixture's local files (no network, no hubguard): the expected output. */
export async function localReference(fixtureRoot, name) {
  const result = await runPipeline({
    repo: name,
    setup: `env.localModelPath = ${JSON.stringify(`${fixtureRoot}/`)}; env.allowRemoteModels = false; env.useFSCache = false;`,
  });
  if (!result.ok) throw new Error(`the local reference failed: ${JSON.stringify(result.error)}`);
  return result.embedding;
}
