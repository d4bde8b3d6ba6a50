'use strict';
// hubguard's Node entry. The ESM entry (index.mjs) re-exports this file, so
// `import` and `require` in one process share one wasm instance and one
// HubError class (`instanceof` works across both).

const wasm = require('./hubguard_wasm.js');
const createApi = require('../shared/api.cjs');
const { toNodeHandler } = require('./node-http.cjs');
const createHubApi = require('./hub-api.cjs');
const createHubFetchApi = require('../shared/hub-fetch.cjs');
const nodeFetchParts = require('./transformers.cjs');

/**
 * Settings shared by every load, like Transformers.js' `env`.
 * `endpoint` overrides HF_ENDPOINT (read at each load) and the default
 * https://huggingface.co.
 */
const env = { endpoint: undefined };
const { AutoTokenizer, PreTrainedTokenizer, HubError, start, proxiedRepos } = createApi({ wasm, env });
// Node's wasm module is ready at require time: register HubError now so
// that even a synchronous first error is a HubError.
start();
const { downloadFile, snapshotDownload, fileExists, modelInfo, whoami } = createHubApi({ wasm, env, start });
// hubFetch / configureTransformers: Transformers.js loads models through hubguard.
const { hubFetch, createHubFetch, configureTransformers } = createHubFetchApi({
  wasm, env, start, proxiedRepos, HubError, build: nodeFetchParts({ wasm, env, HubError }),
});

/**
 * The token proxy for browser apps, as a Fetch-API handler:
 * `(request, context?) => Promise<Response>`. It holds the server's token
 * (option, else HF_TOKEN / the token file) and serves only `allow`ed repos.
 * Options: { allow, origins, endpoint, token, basePath, rateLimit:
 * { requests, perSeconds }, maxConcurrent }.
 */
function createHubProxy(options) {
  const proxy = new wasm.HubProxy(options);
  return (request, context) => proxy.handle(request, context);
}

module.exports = {
  AutoTokenizer,
  PreTrainedTokenizer,
  HubError,
  env,
  createHubProxy,
  toNodeHandler,
  downloadFile,
  snapshotDownload,
  fileExists,
  modelInfo,
  whoami,
  hubFetch,
  createHubFetch,
  configureTransformers,
};
