// hubguard's edge build, for Fetch-API servers (Cloudflare Workers, Vercel
// Edge): the token proxy alone, `createHubProxy`, over the runtime's global
// fetch (redirects followed by hand, so the CDN never gets the token). The
// entries (workerd.js, edge-light.js) hand it the compiled wasm module the
// way each platform imports one; wasm-bindgen's `--target web` glue is
// started synchronously from it, since these runtimes refuse to compile
// wasm from bytes.

import * as wasm from './hubguard_wasm.js';
import createApi from '../shared/api.mjs';
import createProxyApi from '../server/proxy.mjs';

/** `module`: a WebAssembly.Module. Returns the package's edge exports. */
export function startEdge(module) {
  wasm.initSync({ module });
  const { HubError, start } = createApi({ wasm });
  wasm.registerErrorClass(HubError); // now, so that a first synchronous error is a HubError
  const { createHubProxy } = createProxyApi({ wasm, start });
  return { createHubProxy, HubError };
}
