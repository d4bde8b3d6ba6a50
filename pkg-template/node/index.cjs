'use strict';
// hubguard's Node entry. The ESM entry (index.mjs) re-exports this file, so
// `import` and `require` in one process share one wasm instance and one
// HubError class (`instanceof` works across both).

const wasm = require('./hubguard_wasm.js');
const { toNodeHandler } = require('./node-http.cjs');

/** Every error hubguard throws. `code` is stable; `message` says what to do. */
class HubError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = 'HubError';
    this.code = details.code;
    this.status = details.status;
    this.repoId = details.repoId;
    this.file = details.file;
    if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter;
  }
}
wasm.registerErrorClass(HubError);

/**
 * Settings shared by every load, like Transformers.js' `env`.
 * `endpoint` overrides HF_ENDPOINT (read at each load) and the default
 * https://huggingface.co.
 */
const env = { endpoint: undefined };

const INTERNAL = Symbol('hubguard.internal');

/** A loaded tokenizer, shaped like Transformers.js' PreTrainedTokenizer. */
class PreTrainedTokenizer {
  #inner;

  constructor(key, inner) {
    if (key !== INTERNAL) {
      throw new TypeError('Use AutoTokenizer.from_pretrained(repoId) to load a tokenizer.');
    }
    this.#inner = inner;
  }

  /** Token ids as a plain Array. Options: { add_special_tokens = true }. */
  encode(text, options) {
    return Array.from(this.#inner.encode(text, options));
  }

  /** Options: { skip_special_tokens = false }. */
  decode(ids, options) {
    return this.#inner.decode(ids, options);
  }

  /** Token strings, without special tokens. */
  tokenize(text) {
    return this.#inner.tokenize(text);
  }

  /** tokenizer_config.json as an object ({} when the repo has none). */
  get config() {
    return this.#inner.config;
  }
}

class AutoTokenizer {
  /**
   * Load `repoId`'s tokenizer from the Hub. Options: { revision, token,
   * progress_callback }. The token defaults to HF_TOKEN, then the token file
   * `hf auth login` writes; it is sent only to the Hub's own origin.
   */
  static async from_pretrained(repoId, options = {}) {
    const inner = await wasm.loadTokenizer(repoId, options, env);
    return new PreTrainedTokenizer(INTERNAL, inner);
  }
}

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

module.exports = { AutoTokenizer, PreTrainedTokenizer, HubError, env, createHubProxy, toNodeHandler };
