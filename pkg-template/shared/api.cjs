'use strict';
// The JS face of hubguard, shared by the Node and browser entries: the
// HubError class, the shared `env` settings, and thin tokenizer wrappers over
// the wasm exports. `ready` (browser) starts the wasm module on first use.
// `make pkg` also emits it as api.mjs (the one line `module.exports =`
// becomes `export default`), so keep that line as it is.

module.exports = function createApi({ wasm, ready = () => undefined, env = {} }) {
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

  let registered = false;
  async function start() {
    await ready();
    if (!registered) {
      wasm.registerErrorClass(HubError);
      registered = true;
    }
  }

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
    /** Load `repoId`'s tokenizer from the Hub. Options: { revision, token, progress_callback }. */
    static async from_pretrained(repoId, options = {}) {
      await start();
      const inner = await wasm.loadTokenizer(repoId, options, env);
      return new PreTrainedTokenizer(INTERNAL, inner);
    }
  }

  return { AutoTokenizer, PreTrainedTokenizer, HubError, env, start };
};
