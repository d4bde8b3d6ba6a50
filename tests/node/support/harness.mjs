// The source a child script starts with to assemble the packed package's
// runtime and API as node/index.cjs does, with a spy on the glue factory:
// `glues` (every instance's glue, in order), `trap(glue)`, `attempt(f)`,
// `results`, and `escaped` (uncaught exceptions and unhandled rejections).
// `images`: with node/images.cjs, as the Node entry has it.

export function harness({ images = false } = {}) {
  return `
  import { readFileSync } from 'node:fs';
  import { createRequire } from 'node:module';
  import path from 'node:path';
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('hubguard/package.json'));
  const instantiate = require(dir + '/node/hubguard_wasm.js');
  const createRuntime = require(dir + '/shared/runtime.cjs');
  const createApi = require(dir + '/shared/api.cjs');
  const createHubApi = require(dir + '/node/hub-api.cjs');
  const HubError = require(dir + '/shared/errors.cjs');
  const compiled = new WebAssembly.Module(readFileSync(dir + '/node/hubguard_wasm_bg.wasm'));
  const glues = [];
  const runtime = createRuntime({
    instantiate: (module, guard) => { const glue = instantiate(module, guard); glues.push(glue); return glue; },
    compile: () => compiled,
    images: ${images ? "require(dir + '/node/images.cjs')" : 'undefined'},
  });
  const env = {};
  const { AutoTokenizer } = createApi({ runtime, env });
  const hubApi = createHubApi({ runtime, env });
  /** Makes the instance of \`glue\` trap: wasm reads an address far past its memory. */
  const trap = (glue) => glue.Tokenizer.prototype.tokenToId.call({ __wbg_ptr: 0xfffffff0 }, 'x');
  const escaped = [];
  process.on('uncaughtException', (e) => escaped.push('uncaught: ' + e));
  process.on('unhandledRejection', (e) => escaped.push('unhandled: ' + e));
  const attempt = async (f) => {
    try { return { ok: true, value: await f() }; }
    catch (e) { return { ok: false, isHubError: e instanceof HubError, code: e.code, repoId: e.repoId, message: e.message }; }
  };
  const results = {};
  /** Clears the emulator's faults (a slowed CDN) from this process. */
  const clearFaults = () => fetch(process.env.HF_ENDPOINT + '/__emulator/faults', { method: 'PUT', body: '{}' });
`;
}
