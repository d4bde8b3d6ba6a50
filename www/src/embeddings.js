// The second demo page: a feature-extraction pipeline of Transformers.js
// on a gated model, loaded through hubguard (see embeddings.html). Where the
// Hub and the proxy are comes from the query string (`?hub=...&proxy=...`),
// else the build's VITE_* variables, else huggingface.co and /hf.

import { env as transformers, pipeline } from '@huggingface/transformers';
import { configureTransformers, env, HubError } from 'hubguard';
// ONNX Runtime's wasm, served with the page instead of from a CDN.
import ortWasm from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortGlue from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';

const params = new URLSearchParams(location.search);
env.endpoint = params.get('hub') ?? import.meta.env.VITE_HUB_ENDPOINT ?? undefined;
env.proxy = params.get('proxy') ?? import.meta.env.VITE_HUBGUARD_PROXY ?? '/hf';
// After env.endpoint: Transformers.js then asks hubguard's endpoint.
configureTransformers(transformers);
transformers.allowLocalModels = false;
transformers.backends.onnx.wasm.wasmPaths = { mjs: new URL(ortGlue, location.href).href, wasm: new URL(ortWasm, location.href).href };

const $ = (id) => document.getElementById(id);
const loaded = new Map();

function extractorFor(repo) {
  // Keep the promise, so two clicks share one download.
  if (!loaded.has(repo)) loaded.set(repo, pipeline('feature-extraction', repo, { dtype: 'fp32', device: 'wasm' }));
  return loaded.get(repo).catch((error) => {
    loaded.delete(repo);
    throw error;
  });
}

$('embed').addEventListener('click', async () => {
  $('error').hidden = true;
  $('result').hidden = true;
  const repo = $('model').value;
  $('status').textContent = `Loading ${repo}…`;
  try {
    const extractor = await extractorFor(repo);
    const output = await extractor($('text').value, { pooling: 'mean', normalize: true });
    const [embedding] = output.tolist();
    $('embedding').textContent = `[${embedding.map((x) => x.toFixed(4)).join(', ')}]`;
    $('embedding').dataset.values = JSON.stringify(embedding);
    $('result').hidden = false;
    $('status').textContent = `${embedding.length} dimensions from ${repo}`;
  } catch (error) {
    $('error').hidden = false;
    $('error').textContent = error instanceof HubError ? `${error.code}: ${error.message}` : String(error);
    $('status').textContent = '';
  }
});
