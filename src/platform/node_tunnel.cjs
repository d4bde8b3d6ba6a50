'use strict';
// Node build: https through a forward proxy (HTTPS_PROXY ...), as an
// https.Agent whose connections are CONNECT tunnels. The proxy is asked
// `CONNECT host:port` (with Proxy-Authorization if the proxy URL had a user),
// and TLS to the Hub then runs inside the tunnel, end to end: the proxy sees
// neither the token, the path nor the file. Connections are kept alive and
// reused per target, as node:https's own agent does. Which proxy, if any, is
// decided in Rust (src/core/forward_proxy.rs); this file only connects.
// wasm-bindgen copies it into the package (snippets/); no npm dependency.

const http = require('node:http');
const https = require('node:https');
const tls = require('node:tls');

/** One agent per proxy (and credentials), so pooled tunnels are reused. */
const agents = new Map();

/**
 * Failures of the proxy itself carry `hubguardProxy`: 'unreachable' (no
 * connection to it, or it cut the CONNECT) or 'refused' (it answered the
 * CONNECT with `proxyStatus` / `proxyReason`), so that the error names the
 * proxy and not the Hub.
 */
function proxyFailure(error, kind, status, reason) {
  const failure = error instanceof Error ? error : new Error(String(error));
  failure.hubguardProxy = kind;
  if (status !== undefined) {
    failure.proxyStatus = status;
    failure.proxyReason = reason ?? '';
  }
  return failure;
}

function tunnelAgent(proxyHost, proxyPort, authorization) {
  const key = JSON.stringify([proxyHost, proxyPort, authorization ?? null]);
  let agent = agents.get(key);
  if (agent) return agent;
  agent = new https.Agent({ keepAlive: true });
  agent.createConnection = (options, callback) => {
    const host = options.host.includes(':') ? `[${options.host}]` : options.host;
    const target = `${host}:${options.port}`;
    const headers = { host: target };
    if (authorization) headers['proxy-authorization'] = authorization;
    const connect = http.request({
      host: proxyHost,
      port: proxyPort,
      method: 'CONNECT',
      path: target,
      headers,
      agent: false,
      timeout: options.timeout,
    });
    let settled = false;
    const settle = (error, socket) => {
      if (settled) return;
      settled = true;
      callback(error, socket);
    };
    connect.once('connect', (res, socket, head) => {
      if (res.statusCode < 200 || res.statusCode > 299) {
        socket.destroy();
        settle(proxyFailure(new Error('the proxy refused the tunnel'), 'refused', res.statusCode, res.statusMessage));
        return;
      }
      // From here the socket is the tunnel: the request's own timeout applies.
      socket.setTimeout(0);
      if (head && head.length) socket.unshift(head);
      settle(null, tls.connect({ ...options, socket }));
    });
    connect.once('timeout', () => {
      const error = new Error('the proxy did not answer');
      error.code = 'ETIMEDOUT';
      connect.destroy(error);
    });
    connect.on('error', (error) => settle(proxyFailure(error, 'unreachable')));
    connect.end();
  };
  agents.set(key, agent);
  return agent;
}

module.exports = { tunnelAgent };
