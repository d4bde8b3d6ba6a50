'use strict';
// hubguard's Node entry. The ESM entry (index.mjs) re-exports this file, so
// `import` and `require` in one process share one runtime and one HubError
// class (`instanceof` works across both).

const runtime = require('./runtime.cjs');
const HubError = require('../shared/errors.cjs');
const createApi = require('../shared/api.cjs');
const { toNodeHandler } = require('./node-http.cjs');
const createHubApi = require('./hub-api.cjs');
const createHubProxy = require('./proxy.cjs');
const createHubFetchApi = require('../shared/hub-fetch.cjs');
const nodeFetchParts = require('./transformers.cjs');

/**
 * Settings shared by every load, like Transformers.js' `env`.
 * `endpoint` overrides HF_ENDPOINT (read at each load) and the default
 * https://huggingface.co. `tokenizerImages: false` stops keeping and
 * restoring images of built tokenizers (node/images.cjs).
 */
const env = { endpoint: undefined, tokenizerImages: true };
const { AutoTokenizer, PreTrainedTokenizer } = createApi({ runtime, env });
const { downloadFile, snapshotDownload, fileExists, modelInfo, whoami } = createHubApi({ runtime, env });
// hubFetch / configureTransformers: Transformers.js loads models through hubguard.
const { hubFetch, createHubFetch, configureTransformers } = createHubFetchApi({
  runtime,
  env,
  build: nodeFetchParts({ runtime, env }),
});

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
