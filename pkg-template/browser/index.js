// hubguard's browser entry (bundlers pick it through the `browser` export
// condition). It never holds a token: gated and private repos go through the
// proxy the app runs (`env.proxy`), which holds the token on the server.
// Network I/O is the global `fetch`, so it also runs in Web Workers.

import instantiate from './hubguard_wasm.js';
import HubError from '../shared/errors.mjs';
import createRuntime from '../shared/runtime.mjs';
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

// Written this way (`new URL(..., import.meta.url)`), bundlers ship the file.
const wasmUrl = new URL('./hubguard_wasm_bg.wasm', import.meta.url);

/** The module, compiled once, on first use, while it downloads where the server allows. */
async function compile() {
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(fetch(wasmUrl));
    } catch {
      // Served without the application/wasm type: compile from the bytes.
    }
  }
  const response = await fetch(wasmUrl);
  if (!response.ok) throw new HubError(`hubguard could not load its wasm file (HTTP ${response.status}).`, { code: 'NETWORK' });
  return WebAssembly.compile(await response.arrayBuffer());
}

// Some bundler setups define a process environment object in the page, and a token
// in it is readable by every visitor. hubguard never uses it; it says so once, when
// its engine first starts (the token shape is the engine's: core/redact.rs).
function warnIfTokenBundled(glue) {
  const bundled = globalThis.process?.env;
  if (bundled && typeof bundled === 'object' && Object.values(bundled).some((v) => glue.isTokenShape(String(v)))) {
    console.warn(
      'hubguard: a Hugging Face token is sitting in this page\'s bundle (a bundler inlined environment variables). ' +
        'It is not used, but anyone can read it: revoke it, remove it from the client build, and use the hubguard proxy.',
    );
  }
}

const runtime = createRuntime({ instantiate, compile, started: warnIfTokenBundled });
export const { AutoTokenizer, PreTrainedTokenizer } = createApi({ runtime, env });
export { HubError };
// hubFetch / configureTransformers: public repos straight from the Hub,
// gated and private ones through env.proxy; never a token.
export const { hubFetch, createHubFetch, configureTransformers } = createHubFetchApi({
  runtime,
  env,
  build: { remoteHost: (options) => `${options?.endpoint ?? env.endpoint ?? 'https://huggingface.co'}/` },
});
