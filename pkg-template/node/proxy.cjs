'use strict';
// createHubProxy: the token proxy for browser apps, as a Fetch-API handler,
// `(request, context?) => Promise<Response>`. The proxy lives in the
// runtime's shared wasm instance; if that instance dies, the requests under
// way get a 500 and the next request makes the proxy again in a new one.

const runtime = require('./runtime.cjs');

/** A JSON error answer made here, for when the wasm instance is gone. */
function crashed() {
  return new Response(JSON.stringify({ error: 'The proxy failed internally; retry.' }), {
    status: 500,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}

/**
 * It holds the server's token (option, else HF_TOKEN / the token file) and
 * serves only `allow`ed repos. Options: { allow, origins, endpoint, token,
 * basePath, rateLimit: { requests, perSeconds }, maxConcurrent }. Bad
 * options throw here, at creation.
 */
module.exports = function createHubProxy(options) {
  let instance = runtime.shared();
  let proxy = instance.run((glue) => new glue.HubProxy(options));
  return (request, context) => {
    if (instance.dead) {
      instance = runtime.shared();
      proxy = instance.run((glue) => new glue.HubProxy(options));
    }
    return instance.runAsync(() => proxy.handle(request, context)).catch(crashed);
  };
};
