'use strict';
// createHubProxy for the Node build: the proxy's JS half (server/proxy.cjs)
// on the runtime's shared wasm instance.

const runtime = require('./runtime.cjs');
const createProxyApi = require('../server/proxy.cjs');

module.exports = createProxyApi({ runtime }).createHubProxy;
