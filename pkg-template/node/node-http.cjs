'use strict';
// Adapts a Fetch-API handler ((Request, context) => Promise<Response>) to
// Node's `http` server. It passes the raw request target, which a Fetch
// Request would have normalised (dot segments, backslashes), so the proxy
// can refuse tricks instead of silently resolving them; and it aborts the
// upstream request when the client goes away.

function toNodeHandler(handler) {
  return async function hubguardNodeHandler(req, res) {
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
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
      // The URL only has to be valid; the proxy reads `rawTarget`.
      request = new Request('http://proxy.invalid/', { method: req.method, headers, signal: controller.signal });
    } catch {
      res.writeHead(405, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'Only GET and HEAD are proxied.' }));
      return;
    }
    const response = await handler(request, { rawTarget: req.url, clientAddress: req.socket.remoteAddress, hasBody });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body || req.method === 'HEAD') {
      res.end();
      return;
    }
    // Copy chunk by chunk with backpressure: nothing is buffered beyond the
    // socket's own high-water mark.
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!res.write(value)) await new Promise((resolve) => res.once('drain', resolve).once('close', resolve));
        if (res.destroyed) {
          await reader.cancel();
          return;
        }
      }
      res.end();
    } catch {
      res.destroy();
    }
  };
}

module.exports = { toNodeHandler };
