'use strict';
// The Hub API of the Node build: files into the huggingface_hub cache
// (shared with Python), and the JSON routes around them. Each call takes
// one options object; errors are HubError with a stable `code`. The calls
// run in the runtime's shared wasm instance.

/** `runtime`: the wasm instances (shared/runtime.cjs); `env`: the package's shared settings. */
module.exports = function createHubApi({ runtime, env }) {
  const call = (name) =>
    async function (options = {}) {
      await runtime.ready();
      return runtime.shared().runAsync((glue) => glue[name](options, env));
    };
  return {
    /** → the file's path in the cache's snapshot folder. */
    downloadFile: call('downloadFile'),
    /** → the snapshot folder (`…/snapshots/{commit}`). */
    snapshotDownload: call('snapshotDownload'),
    /** → true, or false when the file is not in the repo at that revision. */
    fileExists: call('fileExists'),
    /** → the Hub's JSON about the repo. */
    modelInfo: call('modelInfo'),
    /** → the Hub's JSON about the token's account. */
    whoami: call('whoami'),
  };
};
