'use strict';
// hubguard's Node entry. The ESM entry (index.mjs) re-exports this file, so
// `import` and `require` in one process share one wasm instance and one
// HubError class (`instanceof` works across both).

const wasm = require('./hubguard_wasm.js');
const createApi = require('../shared/api.cjs');
const { toNodeHandler } = require('./node-http.cjs');
const createHubApi = require('./hub-api.cjs');

/**
 * Settings shared by every load, like Transformers.js' `env`.
 * `endpoint` overrides HF_ENDPOINT (read at each load) and the default
 * https://huggingface.co.
 */
const env = { endpoint: undefined };
const { AutoTokenizer, PreTrainedTokenizer, HubError, start } = createApi({ wasm, env });
// Node's wasm module is ready at require time: register HubError now so
// that even a synchronous first error is a HubError.
start();
const { downloadFile, snapshotDownload, fileExists, modelInfo, whoami } = createHubApi({ wasm, env, start });

// The token proxy for browser apps (server/proxy.cjs): a Fetch-API handler
// that holds the server's token (option, else HF_TOKEN / the token file)
// and serves only `allow`ed repos.
const { createHubProxy } = require('../server/proxy.cjs')({ wasm, start });

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
};
