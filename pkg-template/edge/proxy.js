// hubguard's edge build, for Fetch-API servers (Cloudflare Workers, Vercel
// Edge): the token proxy alone, `createHubProxy`, over the runtime's global
// fetch (redirects followed by hand, so the CDN never gets the token). The
// entries (workerd.js, edge-light.js) hand it the compiled wasm module the
// way each platform imports one (these runtimes refuse to compile wasm
// from bytes); the glue is the factory `make pkg` makes of wasm-bindgen's
// `--target web` output, so the proxy runs in the shared instance of
// shared/runtime.mjs, remade if it ever traps.

import instantiate from './hubguard_wasm.js';
import HubError from '../shared/errors.mjs';
import createRuntime from '../shared/runtime.mjs';
import createProxyApi from '../server/proxy.mjs';

/** `module`: a WebAssembly.Module. Returns the package's edge exports. */
export function startEdge(module) {
  const runtime = createRuntime({ instantiate, compile: () => module });
  const { createHubProxy } = createProxyApi({ runtime });
  return { createHubProxy, HubError };
}
