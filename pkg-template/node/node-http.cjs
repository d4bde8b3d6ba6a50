'use strict';
// Adapts a Fetch-API handler ((Request, context) => Promise<Response>) to
// Node's `http` server. It passes the raw request target, which a Fetch
// Request would have normalised (dot segments, backslashes), so the proxy
// can refuse tricks instead of silently resolving them, and the addresses
// the Host check and the per-client limits need. A client that goes away
// cancels the answer at any stage (waiting for upstream, or mid-body), which
// is what gives the proxy's concurrency slot back. Nothing here can throw
// out of the request listener.

/** Set by createHubProxy on its streamed answers: pipe a Node body natively. */
const NODE_BODY = Symbol.for('hubguard.proxy.nodeBody');

/** Resolves on 'drain' or 'close', whichever comes first, and leaves no listener behind. */
function drainedOrClosed(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** A URL for the Request the handler sees (the proxy itself reads `rawTarget`). */
function requestUrl(req) {
  const host = typeof req.headers.host === 'string' ? req.headers.host : 'proxy.invalid';
  for (const base of [`http://${host}`, 'http://proxy.invalid']) {
    try {
      return new URL(req.url.startsWith('/') && !req.url.startsWith('//') ? req.url : '/', base).href;
    } catch {
      // An odd Host or target: the next base.
    }
  }
  return 'http://proxy.invalid/';
}

function sendJson(res, status, message) {
  if (res.headersSent || res.destroyed) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify({ error: message }));
}

async function serve(handler, req, res) {
  const controller = new AbortController();
  let body = null; // the answer's web stream, once the handler returned one
  res.once('close', () => {
    if (res.writableFinished) return;
    controller.abort();
    body?.cancel().catch(() => {});
  });
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(':')) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  req.resume(); // never read, never buffered
  let request;
  try {
    request = new Request(requestUrl(req), { method: req.method, headers, signal: controller.signal });
  } catch {
    return sendJson(res, 405, 'Only GET and HEAD are proxied.');
  }
  const response = await handler(request, {
    rawTarget: req.url,
    clientAddress: req.socket.remoteAddress,
    localAddress: req.socket.localAddress,
    localPort: req.socket.localPort,
    hasBody,
  });
  if (!(response instanceof Response)) return sendJson(res, 500, 'The handler returned no Response.');
  body = response.body;
  if (res.destroyed) {
    // The client left while the answer was prepared.
    await body?.cancel().catch(() => {});
    return;
  }
  const status = response.status >= 200 && response.status <= 599 ? response.status : 502;
  res.writeHead(status, Object.fromEntries(response.headers));
  if (!body || req.method === 'HEAD') {
    res.end();
    await body?.cancel().catch(() => {});
    return;
  }
  const native = response[NODE_BODY];
  if (native && native.take(res)) {
    body = null;
    return;
  }
  // Copy chunk by chunk with backpressure: nothing is buffered beyond the
  // socket's own high-water mark. A stream that errors (the proxy cut a
  // stalled answer) ends the response at once, even mid-wait for 'drain'.
  const reader = body.getReader();
  reader.closed.catch(() => res.destroy());
  body = { cancel: (reason) => reader.cancel(reason) };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!res.write(value)) await drainedOrClosed(res);
    if (res.destroyed) {
      await reader.cancel().catch(() => {});
      return;
    }
  }
  res.end();
}

function toNodeHandler(handler) {
  return function hubguardNodeHandler(req, res) {
    serve(handler, req, res).catch(() => sendJson(res, 500, 'The proxy failed to answer; retry.'));
  };
}

module.exports = { toNodeHandler };
