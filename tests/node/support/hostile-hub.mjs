// A small Hub stand-in that misbehaves on purpose, one way per path, for
// the proxy's hostile-upstream tests. It also serves one normal file, so a
// test can check after each case that the proxy still works.
//
//   /org/ok/resolve/main/config.json          200, a small JSON file (the normal one)
//   /org/ok/resolve/{rev}/config.json         the same at any revision (refs/pr/N: the log shows it)
//   /org/odd/resolve/main/status-{N}          HTTP N, with a body where N allows one
//   /org/echo/resolve/main/config.json        200, the caller's token echoed in ETag, X-Linked-Etag,
//                                              Content-Range and X-Error-Message
//   /org/html/resolve/main/{page.html|image.svg|data.xml|untyped}
//                                              active content, with the type a browser would render
//   /org/ok/resolve/main/renamed.json         307 to /org/secret/... (a repo the proxy does not allow)
//   /org/ok/resolve/main/cached.json          307 to /api/resolve-cache/models/org/ok/{sha}/cached.json?etag=…
//   /api/resolve-cache/models/org/ok/{sha}/cached.json   200
//   /org/secret/resolve/main/config.json      200 "SECRET" (reaching it at all is the failure)
//   /org/ok/resolve/main/slow-headers         headers after 3 s
//   /org/ok/resolve/main/big.bin              LARGE bytes, written as fast as the reader takes them
//   /org/ok/resolve/main/cut.bin              64 KiB of an announced 1 MiB, then the socket is destroyed
//   /org/ok/resolve/main/stall.bin            64 KiB of an announced 1 MiB, then nothing, for 60 s

import http from 'node:http';

export const HOSTILE_SHA = 'c0ffee0123456789abcdef0123456789abcdef01';
export const NORMAL = { repo: 'org/ok', file: 'config.json', text: '{"model_type":"llama"}' };
const LARGE = 32 << 20;
const BLOCK = Buffer.alloc(64 << 10, 0x61);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** 'drain' or 'close', with both listeners removed after (no leak per write). */
function drainedOrClosed(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

export async function startHostileHub() {
  const log = [];
  const timers = new Set();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://hostile.invalid');
    const path = url.pathname;
    log.push({ method: req.method, path, raw: req.url, authorization: req.headers.authorization ?? null });
    const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    const json = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'x-repo-commit': HOSTILE_SHA, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    let m;
    if ((m = /^\/org\/ok\/resolve\/([^/]+)\/config\.json$/.exec(path))) return json(200, NORMAL.text, { etag: '"abc"' });
    if ((m = /^\/org\/odd\/resolve\/main\/status-(\d+)$/.exec(path))) {
      const status = Number(m[1]);
      const bodyless = status === 204 || status === 205 || status === 304 || status < 200;
      res.writeHead(status, { 'content-type': 'text/html', 'x-error-message': `odd ${status}` });
      return res.end(bodyless || req.method === 'HEAD' ? undefined : '<b>odd</b>');
    }
    if (path === '/org/echo/resolve/main/config.json') {
      return json(200, NORMAL.text, {
        etag: `"${token}"`,
        'x-linked-etag': `"${token}"`,
        'content-range': `bytes 0-1/2 ${token}`,
        'x-error-message': `your token is ${token}`,
        'x-linked-size': 'hf_echoedTokenShape0123456789',
      });
    }
    if ((m = /^\/org\/html\/resolve\/main\/(.+)$/.exec(path))) {
      const types = { 'page.html': 'text/html; charset=utf-8', 'image.svg': 'image/svg+xml', 'data.xml': 'application/xml' };
      const headers = types[m[1]] ? { 'content-type': types[m[1]] } : {};
      res.writeHead(200, headers);
      return res.end('<html><script>parent.stolen = document.cookie</script></html>');
    }
    if (path === '/org/ok/resolve/main/renamed.json') {
      res.writeHead(307, { location: '/org/secret/resolve/main/config.json', 'x-repo-commit': HOSTILE_SHA });
      return res.end();
    }
    if (path === '/org/ok/resolve/main/cached.json') {
      res.writeHead(307, { location: `/api/resolve-cache/models/org/ok/${HOSTILE_SHA}/cached.json?etag=%22abc%22`, 'x-repo-commit': HOSTILE_SHA });
      return res.end();
    }
    if (path === `/api/resolve-cache/models/org/ok/${HOSTILE_SHA}/cached.json`) return json(200, '{"cached":true}');
    if (path === '/org/secret/resolve/main/config.json') return json(200, '"SECRET"');
    if (path === '/org/ok/resolve/main/slow-headers') {
      await sleep(3000);
      if (!res.destroyed) json(200, '{}');
      return;
    }
    if (path === '/org/ok/resolve/main/big.bin') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(LARGE) });
      if (req.method === 'HEAD') return res.end();
      for (let sent = 0; sent < LARGE && !res.destroyed; sent += BLOCK.length) {
        if (!res.write(BLOCK)) await drainedOrClosed(res);
      }
      return res.end();
    }
    if (path === '/org/ok/resolve/main/cut.bin' || path === '/org/ok/resolve/main/stall.bin') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(1 << 20) });
      await new Promise((resolve) => res.write(BLOCK, resolve));
      if (path.endsWith('cut.bin')) return req.socket.destroy();
      await new Promise((resolve) => {
        const t = setTimeout(resolve, 60_000);
        timers.add(t);
        res.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });
      return res.destroy();
    }
    json(404, '{"error":"Entry not found"}', { 'x-error-code': 'EntryNotFound', 'x-error-message': 'Entry not found' });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
