// Transformers.js (the real 4.x from tests/node_modules) in child processes
// of the consumer project, loading the tiny BERT-shaped ONNX models of
// tests/fixtures/tiny-bert.mjs.

import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runScript } from './consumer.mjs';

export { makeTinyBert, repoFiles } from '../../fixtures/tiny-bert.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const fromTests = createRequire(path.resolve(here, '../../package.json'));
/** The Node build of Transformers.js, as a URL a child can import. */
export const transformersUrl = pathToFileURL(fromTests.resolve('@huggingface/transformers')).href;

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
