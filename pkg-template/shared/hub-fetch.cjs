'use strict';
// hubFetch, createHubFetch and configureTransformers, shared by the Node and
// browser entries. Emitted as hub-fetch.mjs too (make pkg). The calls run in
// the runtime's shared wasm instance (runtime.cjs), which also keeps the
// recent HEAD answers that hubFetch and the Node custom cache share.
//
// What a request gets is decided in wasm (`hubFetch` there answers with a
// plain description, or `undefined` for a request that is not for a Hub
// file); this file only converts: the fetch arguments in, a `Response` out.
// Anything not for a Hub file goes to the platform's own fetch exactly as it
// came, with nothing added.

const HubError = require('./errors.cjs');

/** `runtime`: the wasm instances; `env`: the package's shared settings; `build`: what differs per build. */
module.exports = function createHubFetchApi({ runtime, env, build }) {
  // Taken once, at load: an app may install hubFetch as the global fetch
  // (Transformers.js v3 has no env.fetch), and the pass-through must not
  // call itself.
  const platformFetch = globalThis.fetch.bind(globalThis);

  /** The parts of a fetch call that wasm reads. */
  function describe(input, init) {
    const request = typeof Request === 'function' && input instanceof Request ? input : undefined;
    return {
      url: request ? request.url : String(input),
      method: init?.method ?? request?.method ?? 'GET',
      headers: [...new Headers(init?.headers ?? request?.headers)],
      signal: init?.signal ?? request?.signal,
    };
  }

  /** wasm's description of the answer → a real Response (Transformers.js caches only those). */
  function toResponse({ status, headers, file, body, text }) {
    const content = file ? build.fileBody(file) : (body ?? text ?? null);
    return new Response(content, { status, headers });
  }

  /**
   * A fetch with the Fetch API's signature that serves Hub file URLs through
   * hubguard. Options: { token, endpoint, proxy, proxyAll, cache_dir,
   * local_files_only, progress_callback } (see index.d.ts); an unknown key
   * is INVALID_OPTION.
   */
  function createHubFetch(options) {
    if (options !== undefined) build.checkOptions?.(options);
    return async function hubFetch(input, init) {
      await runtime.ready();
      const request = describe(input, init);
      const answer = await runtime
        .shared()
        .runAsync((glue) => glue.hubFetch(request, options, env, runtime.proxiedRepos));
      return answer === undefined ? platformFetch(input, init) : toResponse(answer);
    };
  }

  const hubFetch = createHubFetch(undefined);

  /**
   * Points Transformers.js (v4) at hubguard: `env.fetch`, `env.remoteHost`
   * (the endpoint hubguard serves), and where the build has a disk cache,
   * a custom cache over it. Returns the same `env`.
   */
  function configureTransformers(transformersEnv, options) {
    if (transformersEnv === null || typeof transformersEnv !== 'object') {
      throw new HubError("configureTransformers: pass Transformers.js' `env` (import { env } from '@huggingface/transformers').", {
        code: 'INVALID_OPTION',
      });
    }
    const fetch = options === undefined ? hubFetch : createHubFetch(options);
    transformersEnv.fetch = fetch;
    transformersEnv.remoteHost = build.remoteHost(options);
    const cache = build.customCache?.(options);
    if (cache) {
      transformersEnv.useCustomCache = true;
      transformersEnv.customCache = cache;
    }
    return transformersEnv;
  }

  return { hubFetch, createHubFetch, configureTransformers };
};
