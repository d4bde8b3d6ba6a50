'use strict';
// HubError, the one error class hubguard throws, shared by both builds and
// every wasm instance (each registers it, so errors made in Rust are
// `instanceof HubError`). Emitted as errors.mjs too (make pkg).

/** Every error hubguard throws. `code` is stable; `message` says what to do. */
class HubError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = 'HubError';
    this.code = details.code;
    this.status = details.status;
    this.repoId = details.repoId;
    this.file = details.file;
    if (details.retryAfter !== undefined) this.retryAfter = details.retryAfter;
  }
}

module.exports = HubError;
