'use strict';
// hubguard's wasm instances, and what happens when one traps.
//
// Every loaded tokenizer gets a wasm instance of its own; the Hub API, the
// proxy and hubFetch share one more, replaced when it dies. All are made
// from one compiled module, so the code is compiled once. A trap (a panic,
// running out of memory, a stack overflow) ends only the instance it
// happened in: JS enters wasm only through exports that the glue factory
// wrapped with `guard` below, which catch a trap wherever it happens (a
// call, a promise task, an event listener), mark the instance dead and never
// let it escape as an uncaught exception. Calls under way on that instance
// then reject, and later calls throw, a HubError: TOKENIZER_CRASHED for a
// tokenizer, ENGINE_CRASHED for the shared instance.
// Emitted as runtime.mjs too (make pkg).

const HubError = require('./errors.cjs');

/**
 * What a guarded export returns once its instance is dead: the glue reads
 * results as numbers or as `[value, length, error, isError]`, and this reads
 * as "no error" both ways, so a late callback into a dead instance ends
 * quietly instead of throwing from an event listener.
 */
const DEAD = Object.freeze([0, 0, 0, 0]);

/** A copy to throw: each call gets its own stack, with the same fields. */
function copyOf(error) {
  return new HubError(error.message, error);
}

/** `name: message` of whatever was thrown through wasm. */
function describe(thrown) {
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}

class Instance {
  #runtime;
  #subject;
  #glue;
  #raw;
  #panic;
  #reporter = (message) => {
    this.#panic = String(message);
  };
  #error = null;
  /** Rejecters of the runAsync calls under way, told when the instance dies. */
  #waiting = new Set();

  /** `subject`: the repo id of the tokenizer this instance holds, or null for the shared one. */
  constructor(runtime, compiled, instantiate, subject) {
    this.#runtime = runtime;
    this.#subject = subject;
    this.#glue = instantiate(compiled, (exports) => {
      this.#raw = exports;
      return this.#guard(exports);
    });
    this.#glue.registerErrorClass(HubError);
    this.#glue.setCrashReporter(this.#reporter);
  }

  /** The instance's linear memory (images of built tokenizers: node/images.cjs). */
  get memory() {
    return this.#raw.memory;
  }

  /** wasm-bindgen's table of the JS values the instance's memory refers to by index. */
  get externrefs() {
    return this.#raw.__wbindgen_externrefs;
  }

  /**
   * Whether the only JS values the memory refers to are the two every
   * instance is given when it starts (the error class and the crash
   * reporter): then an image of the memory means the same in another
   * instance, once `restarted` gives it its own.
   */
  holdsOnlyItsStart() {
    const table = this.externrefs;
    let held = 0;
    for (let i = 0; i < table.length; i++) {
      const value = table.get(i);
      if (value === HubError || value === this.#reporter) held++;
      else if (value !== undefined && value !== null && typeof value !== 'boolean') return false;
    }
    return held === 2;
  }

  /** After an image replaced its memory: the error class and crash reporter again, its own. */
  restarted() {
    this.#glue.registerErrorClass(HubError);
    this.#glue.setCrashReporter(this.#reporter);
  }

  /** The wasm-bindgen glue of this instance (its exported functions and classes). */
  get glue() {
    return this.#glue;
  }

  get dead() {
    return this.#error !== null;
  }

  /** Throws this instance's crash error if it has trapped. */
  check() {
    if (this.#error) throw copyOf(this.#error);
  }

  /** What a call that threw `thrown` should throw: the crash error if the instance died. */
  failure(thrown) {
    return this.#error ? copyOf(this.#error) : thrown;
  }

  /** Runs `fn(glue)`: its result, or the crash error if the instance trapped in it. */
  run(fn) {
    this.check();
    let result;
    try {
      result = fn(this.#glue);
    } catch (e) {
      throw this.failure(e);
    }
    this.check();
    return result;
  }

  /**
   * Like `run` for a call that returns a promise: it rejects if the instance
   * dies first. (Not `Promise.race` with a long-lived "died" promise: each
   * race would leave a reaction on it, holding its call's result for as
   * long as the instance lives, which a proxy under load grows without bound.)
   */
  runAsync(fn) {
    let pending;
    try {
      pending = this.run(fn);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const onDeath = (error) => reject(copyOf(error));
      this.#waiting.add(onDeath);
      Promise.resolve(pending).then(
        (value) => {
          this.#waiting.delete(onDeath);
          resolve(value);
        },
        (e) => {
          this.#waiting.delete(onDeath);
          reject(this.failure(e));
        },
      );
    });
  }

  #guard(exports) {
    const guarded = {};
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value !== 'function') {
        guarded[name] = value; // the memory and the externref table
        continue;
      }
      const instance = this;
      guarded[name] = function (...args) {
        if (instance.#error) return DEAD;
        try {
          return value(...args);
        } catch (e) {
          instance.#die(e);
          return DEAD;
        }
      };
    }
    return guarded;
  }

  #die(thrown) {
    if (this.#error) return;
    // Dead from here on, before the error is worded (by another instance).
    this.#error = new HubError(`hubguard's wasm engine crashed (${describe(thrown)}).`, {
      code: this.#subject === null ? 'ENGINE_CRASHED' : 'TOKENIZER_CRASHED',
    });
    let heap = 0;
    try {
      heap = this.#raw.heapExhausted(); // reads one atomic; safe after a trap
    } catch {
      // leave it unknown
    }
    this.#error = this.#runtime.crashError(this.#subject, describe(thrown), this.#panic, heap) ?? this.#error;
    this.#glue = null; // the dead instance's memory can be collected once its objects are
    for (const onDeath of this.#waiting) onDeath(this.#error);
    this.#waiting.clear();
  }
}

/**
 * `instantiate(module, guard)`: the glue factory (make pkg); `compile()`:
 * the compiled module, or a promise of it (the browser fetches the file).
 * `started(glue)`: called once, with the first instance made, for checks
 * that need the engine's rules and should not wait for a load of their own
 * (a failure there is ignored: it must not fail that first call).
 */
module.exports = function createRuntime({ instantiate, compile, started, images }) {
  let compiled;
  let compiling;
  let shared = null;
  let first = started;

  /** A new instance; the first one made is handed to `started`. */
  function make(subject) {
    const instance = new Instance(runtime, compiled ?? compile(), instantiate, subject);
    if (first) {
      const call = first;
      first = undefined;
      try {
        instance.run(call);
      } catch {
        // the check is a courtesy; the call it came with goes on
      }
    }
    return instance;
  }

  const runtime = {
    /** Repos the Hub refused anonymously: later loads of them go through the proxy first (browser). */
    proxiedRepos: new Set(),

    /** Resolves once the module is compiled (at once where it compiles synchronously). */
    ready() {
      compiling ??= Promise.resolve(compile()).then((module) => {
        compiled = module;
      });
      return compiling;
    },

    /** Images of built tokenizers, where the platform keeps them (Node: node/images.cjs); else undefined. */
    images: undefined,

    /** A new instance for the tokenizer of `repo` (after `ready`). */
    forTokenizer(repo) {
      return make(repo);
    },

    /**
     * `repoId`'s tokenizer in an instance of its own (after `ready`):
     * loaded there; or, where the platform keeps images of built tokenizers
     * (Node: node/images.cjs) and the disk cache alone serves the load, made
     * in a fresh instance from the cached commit's files (from its image when
     * there is one), started as soon as those files are known, while the
     * HEAD that says whether they are current is in flight.
     * → { instance, inner } (inner: the glue's Tokenizer).
     */
    async loadTokenizer(repoId, options, env) {
      const load = async (onLocalFiles) => {
        const instance = make(repoId);
        const loaded = await instance.runAsync((glue) =>
          glue.loadTokenizer(repoId, options, env, runtime.proxiedRepos, onLocalFiles),
        );
        return { instance, loaded };
      };
      const images = runtime.images;
      let early;
      const { instance, loaded } = await load(images && ((files) => (early = images.start(repoId, files))));
      if (loaded instanceof instance.glue.Tokenizer) return { instance, inner: loaded };
      const made = await images.finish(repoId, loaded, early);
      if (made) return made;
      const again = await load(undefined); // a cached file went away meanwhile
      return { instance: again.instance, inner: again.loaded };
    },

    /** The live shared instance, for the Hub API, the proxy and hubFetch (after `ready`). */
    shared() {
      if (shared === null || shared.dead) shared = make(null);
      return shared;
    },

    /** The HubError for a trap, made by a live instance (Rust words the message). */
    crashError(subject, trap, panic, heap) {
      try {
        const subjectText = subject === null ? undefined : typeof subject === 'string' ? subject : '(an invalid repo id)';
        const error = runtime.shared().glue.crashError(subjectText, trap, panic, heap);
        return error instanceof HubError ? error : null;
      } catch {
        return null; // no instance can be made (memory is exhausted process-wide): the plain wording stays
      }
    },
  };
  runtime.images = images?.(runtime);
  return runtime;
};
