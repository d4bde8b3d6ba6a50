// One local Hub emulator per test file, started in this process so tests
// can read its request logs (the children only see its URL).

import { after, before } from 'node:test';
import { startHub } from '../../hub/server.mjs';
import { TOKENS } from '../../hub/auth.mjs';

export { TOKENS };

/** Starts the Hub before the file's tests and stops it after. */
export function useHub(options = {}) {
  const ref = {};
  let started;
  const ready = new Promise((resolve) => (started = resolve));
  before(async () => {
    ref.hub = await startHub(options);
    started();
  });
  after(async () => {
    await ref.hub?.close();
  });
  return {
    /** Resolves once the Hub is up (for other before-hooks that need it). */
    ready,
    get hub() {
      return ref.hub;
    },
    /** The environment a child needs to talk to this Hub (over TLS: its certificate), plus `extra`. */
    env(extra = {}) {
      const trust = ref.hub.certFile ? { NODE_EXTRA_CA_CERTS: ref.hub.certFile } : {};
      return { HF_ENDPOINT: ref.hub.url, ...trust, ...extra };
    },
  };
}

export const GATED = 'meta-llama/Llama-2-7b-hf';
export const PRIVATE = 'hubguard-test/private-llama';
export const PUBLIC = 'hubguard-test/public-llama';
export const XET = 'hubguard-test/xet-llama';
export const LLAMA_HELLO = [1, 15043, 3186, 29991];
