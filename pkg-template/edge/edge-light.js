// hubguard on Vercel Edge (the `edge-light` export condition): pre-compiled
// wasm is imported with the `?module` suffix there.

import module from './hubguard_wasm_bg.wasm?module';
import { startEdge } from './proxy.js';

export const { createHubProxy, HubError } = startEdge(module);
