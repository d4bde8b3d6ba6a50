// hubguard's browser entry (bundlers pick it through the `browser` export
// condition). It never holds a token: gated and private repos go through the
// proxy the app runs (`env.proxy`), which holds the token on the server.
// Network I/O is the global `fetch`, so it also runs in Web Workers.

import init, * as wasm from './hubguard_wasm.js';
import createApi from '../shared/api.mjs';
import createHubFetchApi from '../shared/hub-fetch.mjs';

/**
 * Settings shared by every load.
 * - `proxy`: the app's hubguard proxy, e.g. '/hf' (relative to the page).
 * - `proxyAll`: send every request through the proxy, public ones too.
 * - `endpoint`: the Hub origin for public files (default huggingface.co).
 * A `token` here is refused (TOKEN_REFUSED), like the `token` option.
 */
export const env = { proxy: undefined, proxyAll: false, endpoint: undefined };

let starting;
const api = createApi({ wasm, env, ready: () => (starting ??= init()) });
export const { AutoTokenizer, PreTrainedTokenizer, HubError } = api;
// hubFetch / configureTransformers: public repos straight from the Hub,
// gated and private ones through env.proxy; never a token.
export const { hubFetch, createHubFetch, configureTransformers } = createHubFetchApi({
  wasm, env, start: api.start, proxiedRepos: api.proxiedRepos, HubError: api.HubError,
  build: { remoteHost: (options) => `${options?.endpoint ?? env.endpoint ?? 'https://huggingface.co'}/` },
});

// Some bundler setups define a process environment object in the page, and a token
// in it is readable by every visitor. hubguard never uses it; it says so once.
const bundled = globalThis.process?.env;
if (bundled && typeof bundled === 'object' && Object.values(bundled).some((v) => /^hf_\w{20,}$/.test(String(v)))) {
  console.warn(
    'hubguard: a Hugging Face token is sitting in this page\'s bundle (a bundler inlined environment variables). ' +
      'It is not used, but anyone can read it: revoke it, remove it from the client build, and use the hubguard proxy.',
  );
}
