// hubguard on Cloudflare Workers (the `workerd` export condition): a
// CompiledWasm import is a WebAssembly.Module, as Workers load wasm.
//
//   import { createHubProxy } from 'hubguard';
//   export default { fetch: (request, env) => createHubProxy({ allow: [...], token: env.HF_TOKEN })(request) };

import module from './hubguard_wasm_bg.wasm';
import { startEdge } from './proxy.js';

export const { createHubProxy, HubError } = startEdge(module);
