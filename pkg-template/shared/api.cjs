'use strict';
// The tokenizer API, shared by the Node and browser entries: thin wrappers
// over the wasm exports, shaped like Transformers.js. Each tokenizer lives in
// a wasm instance of its own (runtime.cjs), so a crash in one leaves the
// others working. Emitted as api.mjs too (make pkg).

const HubError = require('./errors.cjs');

/** `runtime`: the wasm instances (runtime.cjs); `env`: the package's shared settings. */
module.exports = function createApi({ runtime, env = {} }) {
  const INTERNAL = Symbol('hubguard.internal');
  let warnedNoGenerationTag = false;

  const invalid = (message) => new HubError(message, { code: 'INVALID_OPTION' });

  // Options objects are checked in Rust (core/options: unknown keys, types,
  // not an object), not here. The checks left in this file are of what JS
  // must touch before the call crosses into wasm: the texts and `text_pair`
  // it joins into one string, the id rows and tensors it flattens.

  function checkStrings(texts, what) {
    for (const t of texts) {
      if (typeof t !== 'string') throw invalid(`${what} must be a string or an array of strings.`);
    }
  }

  /** Part of a Uint32Array as a plain Array (a loop: Array.from iterates, much slower). */
  function toArray(view, start = 0, end = view.length) {
    const out = new Array(end - start);
    for (let i = start; i < end; i++) out[i - start] = view[i];
    return out;
  }

  /** A Transformers.js Tensor (a model's output ids): `dims` and a typed array `data`. */
  function isTensor(value) {
    return value != null && Array.isArray(value.dims) && ArrayBuffer.isView(value.data);
  }

  /** A 2-D tensor's rows, as views of its data. */
  function tensorRows(tensor, what) {
    if (tensor.dims.length !== 2) {
      throw invalid(`${what}: a tensor of ids must have dims [rows, length], not [${tensor.dims}].`);
    }
    const [count, length] = tensor.dims;
    return Array.from({ length: count }, (_, i) => tensor.data.subarray(i * length, (i + 1) * length));
  }

  /** Flat Uint32Array + row ends -> an array of plain number arrays. */
  function rows(flat, ends) {
    const out = new Array(ends.length);
    let start = 0;
    for (let i = 0; i < ends.length; i++) {
      out[i] = toArray(flat, start, ends[i]);
      start = ends[i];
    }
    return out;
  }

  /**
   * encode()'s text goes into a buffer in the instance's memory that is kept
   * between calls, and its ids are read from another: no allocation per call.
   * One per tokenizer, as each has its own instance.
   */
  const encoder = new TextEncoder();
  class EncodeBuffers {
    #glue;
    #memory;
    #input = 0;
    #size = 0;

    constructor(glue) {
      this.#glue = glue;
      this.#memory = glue.wasmMemory();
    }

    /** Writes `text` as UTF-8 into the input buffer; returns its length in bytes. */
    write(text) {
      const size = text.length * 3; // UTF-8 bytes per UTF-16 unit, at most
      if (size > this.#size) {
        // A text too large to encode is refused before its buffer is made.
        this.#glue.checkTextSize(text.length);
        this.#size = Math.max(size, 1 << 16);
        this.#input = this.#glue.inputBuffer(this.#size);
      }
      return encoder.encodeInto(text, new Uint8Array(this.#memory.buffer, this.#input, size)).written;
    }

    /** The `count` ids the last encodeInput wrote, as a plain Array. */
    ids(count) {
      return toArray(new Uint32Array(this.#memory.buffer, this.#glue.outputIds(), count));
    }
  }

  /** The wasm result of a batch call -> { input_ids, attention_mask, token_type_ids?, assistant_masks? }. */
  function batchResult(raw, batched) {
    const result = {};
    for (const key of ['input_ids', 'attention_mask', 'token_type_ids', 'assistant_masks']) {
      if (raw[key] === undefined) continue;
      const r = rows(raw[key], raw.ends);
      result[key] = batched ? r : r[0];
    }
    return result;
  }

  // Lets instances be functions (`tokenizer(text)`, as in Transformers.js)
  // while their class fields, private ones included, land on that function.
  class CallableBase {
    constructor(fn) {
      return fn;
    }
  }

  /**
   * A loaded tokenizer, shaped like Transformers.js' PreTrainedTokenizer.
   * Calling it (`tokenizer(text, options)`) returns plain arrays.
   */
  class PreTrainedTokenizer extends CallableBase {
    #instance;
    #inner;
    #buffers;
    #info;
    #vocab;

    constructor(key, instance, inner) {
      if (key !== INTERNAL) {
        throw new TypeError('Use AutoTokenizer.from_pretrained(repoId) to load a tokenizer.');
      }
      const call = (text, options) => call._call(text, options);
      super(call);
      Object.setPrototypeOf(call, new.target.prototype);
      this.#instance = instance;
      this.#inner = inner;
      this.#buffers = new EncodeBuffers(instance.glue);
      this.#readInfo();
      PreTrainedTokenizer.#defineSpecialTokens(instance);
    }

    /** A method of the wasm tokenizer; the crash error instead if its instance has trapped. */
    #call(method, ...args) {
      return this.#instance.run(() => this.#inner[method](...args));
    }

    /** The settings as wasm has them: after loading, and after a setter changed one. */
    #readInfo() {
      this.#info = JSON.parse(this.#call('info'));
    }

    /**
     * `tokenizer(text | text[], { text_pair, padding, truncation, max_length,
     * add_special_tokens, return_token_type_ids, ... })`: one row per text. A
     * single string gives flat arrays, a list nested ones (as Transformers.js
     * with `return_tensor: false`, and Python with no `return_tensors`).
     */
    _call(text, options = {}) {
      const batched = Array.isArray(text);
      const texts = batched ? text : [text];
      checkStrings(texts, '`text`');
      if (batched && texts.length === 0) throw invalid('`text` must not be an empty array.');
      // An empty string is no pair in a single call, as in transformers
      // (`if text_pair`) and Transformers.js; in a batch, every pair counts.
      const pair = options?.text_pair === '' && !batched ? null : (options?.text_pair ?? null);
      let pairs = null;
      if (pair !== null) {
        if (batched !== Array.isArray(pair)) {
          throw invalid('`text_pair` must be an array when `text` is one, and a string when `text` is a string.');
        }
        pairs = batched ? pair : [pair];
        checkStrings(pairs, '`text_pair`');
      }
      const raw = this.#call(
        'call',
        texts.join(''),
        Uint32Array.from(texts, (t) => t.length),
        pairs === null ? undefined : pairs.join(''),
        pairs === null ? undefined : Uint32Array.from(pairs, (t) => t.length),
        options,
      );
      return batchResult(raw, batched);
    }

    /** Token ids as a plain Array. Options: { add_special_tokens = true, text_pair }. */
    encode(text, options) {
      if (typeof text !== 'string') throw invalid('encode: `text` must be a string.');
      // Rust reads the options (and refuses bad ones) only when some are given: the hot path skips it.
      const add = options == null ? true : this.#call('encodeOptions', options);
      if (options?.text_pair != null && options.text_pair !== '') {
        return this._call(text, { ...options, return_token_type_ids: false }).input_ids;
      }
      // The hot path: the checks of `#call`, without its closure.
      const instance = this.#instance;
      instance.check();
      try {
        const count = this.#inner.encodeInput(this.#buffers.write(text), add);
        instance.check();
        return this.#buffers.ids(count);
      } catch (e) {
        throw instance.failure(e);
      }
    }

    /** Many texts in one call into wasm: an array of id arrays. Options: { add_special_tokens = true }. */
    batch_encode(texts, options) {
      if (!Array.isArray(texts)) throw invalid('batch_encode: `texts` must be an array of strings.');
      checkStrings(texts, 'batch_encode: `texts`');
      const raw = this.#call('encodeBatch', texts.join(''), Uint32Array.from(texts, (t) => t.length), options);
      return rows(raw.ids, raw.ends);
    }

    /**
     * Ids: an array, a typed array, or a Transformers.js Tensor of one row
     * (dims [n] or [1, n]), as a model's output is. Options: {
     * skip_special_tokens = false, clean_up_tokenization_spaces = config }.
     */
    decode(ids, options) {
      if (isTensor(ids)) {
        const { dims } = ids;
        if (!(dims.length === 1 || (dims.length === 2 && dims[0] === 1))) {
          throw invalid(`decode: a tensor of ids must have dims [length] or [1, length], not [${dims}]; use batch_decode for rows.`);
        }
        ids = ids.data.subarray(0, dims[dims.length - 1]);
      }
      return this.#call('decode', ids, options);
    }

    /** One string per row of ids, decoded in one call. Same options as `decode`. */
    batch_decode(batch, options) {
      if (isTensor(batch)) batch = tensorRows(batch, 'batch_decode');
      if (!Array.isArray(batch)) throw invalid('batch_decode: `batch` must be an array of id arrays.');
      const flat = [];
      const ends = new Uint32Array(batch.length);
      for (let i = 0; i < batch.length; i++) {
        const row = batch[i];
        if (row == null || typeof row === 'string' || typeof row[Symbol.iterator] !== 'function') {
          throw invalid('batch_decode: `batch` must be an array of id arrays.');
        }
        for (const id of row) flat.push(id);
        ends[i] = flat.length;
      }
      return this.#call('batchDecode', flat, ends, options);
    }

    /** Token strings. Options: { pair, add_special_tokens = false }. */
    tokenize(text, options) {
      if (typeof text !== 'string') throw invalid('tokenize: `text` must be a string.');
      return this.#call('tokenizeText', text, options);
    }

    /** A token's id (undefined if unknown), or an array of them. */
    convert_tokens_to_ids(tokens) {
      if (typeof tokens === 'string') return this.#call('tokenToId', tokens);
      if (!Array.isArray(tokens)) throw invalid('convert_tokens_to_ids: give a token or an array of tokens.');
      checkStrings(tokens, 'convert_tokens_to_ids: each token');
      return tokens.map((t) => this.#call('tokenToId', t));
    }

    /** A Map of token to id for the whole vocabulary, added tokens included (as Transformers.js). */
    get_vocab() {
      if (!this.#vocab) {
        const { tokens, ids } = this.#call('vocab');
        this.#vocab = new Map();
        for (let i = 0; i < tokens.length; i++) this.#vocab.set(tokens[i], ids[i]);
      }
      // A copy: what the caller changes must not change the next answer.
      return new Map(this.#vocab);
    }

    /**
     * Render the repo's chat template. Options: { add_generation_prompt,
     * tokenize = true, return_dict = true, tools, documents, chat_template,
     * padding, truncation, max_length, tokenizer_kwargs,
     * return_assistant_tokens_mask, ...template variables }.
     * Returns the text (tokenize: false), { input_ids, attention_mask,
     * assistant_masks? }, or the ids (return_dict: false).
     */
    apply_chat_template(conversation, options = {}) {
      const raw = this.#call('applyChatTemplate', conversation, options);
      if (typeof raw === 'string' || Array.isArray(raw)) return raw;
      if (raw.no_generation_tag && !warnedNoGenerationTag) {
        // As transformers warns: the masks are all 0, which is rarely what a caller wants.
        warnedNoGenerationTag = true;
        console.warn('hubguard: return_assistant_tokens_mask is set but the chat template has no {% generation %} block, so every assistant mask is 0.');
      }
      const result = batchResult(raw, raw.batched);
      return raw.return_dict ? result : result.input_ids;
    }

    /** The template `apply_chat_template` would use (by name, or the tool_use one when tools are given). */
    get_chat_template(options) {
      return this.#call('chatTemplate', options);
    }

    /**
     * The repo's chat template: chat_template.jinja's text when the repo has one (it wins, as in
     * transformers), else tokenizer_config.json's `chat_template`: a string, an object of named
     * templates (`{ default, tool_use, ... }`, as transformers and Transformers.js make of the
     * config's list of {name, template}), or null.
     */
    get chat_template() {
      const value = this.#info.chat_template;
      if (!Array.isArray(value)) return value;
      const named = Object.create(null);
      for (const item of value) {
        if (typeof item?.name === 'string' && typeof item.template === 'string') named[item.name] = item.template;
      }
      return named;
    }

    get all_special_ids() {
      return [...this.#info.all_special_ids];
    }

    get all_special_tokens() {
      return [...this.#info.all_special_tokens];
    }

    /** Infinity when the config sets no limit. */
    get model_max_length() {
      return this.#info.model_max_length ?? Infinity;
    }

    /** Settable, as in transformers: `tokenizer.padding_side = 'left'` before batched generation. */
    get padding_side() {
      return this.#info.padding_side;
    }

    set padding_side(side) {
      this.#call('setSide', 'padding_side', side);
      this.#readInfo();
    }

    get truncation_side() {
      return this.#info.truncation_side;
    }

    set truncation_side(side) {
      this.#call('setSide', 'truncation_side', side);
      this.#readInfo();
    }

    /** tokenizer_config.json as an object ({} when the repo has none). */
    get config() {
      return this.#instance.run(() => this.#inner.config);
    }

    // bos_token, bos_token_id, eos_token, ...: from tokenizer_config.json
    // (pad_token falls back to eos_token, as in Transformers.js); null when unset.
    // pad_token and pad_token_id can be set (`tokenizer.pad_token =
    // tokenizer.eos_token`), as in transformers; the others are the model's.
    // The names are the engine's (core/tokenizer/config.rs): defined with the first tokenizer.
    static #specialTokensDefined = false;

    static #defineSpecialTokens(instance) {
      if (PreTrainedTokenizer.#specialTokensDefined) return;
      const setters = {
        pad_token(token) {
          this.#call('setPadToken', token);
          this.#readInfo();
        },
        pad_token_id(id) {
          this.#call('setPadTokenId', id);
          this.#readInfo();
        },
      };
      for (const name of instance.run((glue) => glue.specialTokenNames())) {
        for (const key of [name, `${name}_id`]) {
          Object.defineProperty(PreTrainedTokenizer.prototype, key, {
            get() {
              return this.#info.special[key] ?? null;
            },
            set: setters[key],
            configurable: true,
          });
        }
      }
      PreTrainedTokenizer.#specialTokensDefined = true;
    }
  }

  class AutoTokenizer {
    /**
     * Load `repoId`'s tokenizer from the Hub. Options: { revision, token, progress_callback,
     * cache_dir, local_files_only, signal } (see index.d.ts).
     */
    static async from_pretrained(repoId, options = {}) {
      await runtime.ready();
      const { instance, inner } = await runtime.loadTokenizer(repoId, options, env);
      return new PreTrainedTokenizer(INTERNAL, instance, inner);
    }
  }

  return { AutoTokenizer, PreTrainedTokenizer };
};
