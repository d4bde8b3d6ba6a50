// The whole demo stack on loopback: the local Hub, the hubguard proxy (the
// packed package's CLI, holding the accepted token) and the built page
// (www/dist) on a static server. Used by `make www` and the browser test.

import http from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, TOKENS } from '../hub/server.mjs';
import { startProxy } from '../node/support/proxy.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const distDir = path.join(root, 'www/dist');

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

function serveStatic(dir, port) {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://page.invalid');
    const file = path.join(dir, path.normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, ''));
    const target = file.startsWith(dir) && existsSync(file) && statSync(file).isFile() ? file : path.join(dir, 'index.html');
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(target)] ?? 'application/octet-stream' });
    createReadStream(target).pipe(res);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

export async function startStack({ pagePort = 0 } = {}) {
  if (!existsSync(path.join(distDir, 'index.html'))) throw new Error('www/dist is missing: run `make www-build`.');
  const hub = await startHub();
  const page = await serveStatic(distDir, pagePort);
  const pageOrigin = `http://127.0.0.1:${page.address().port}`;
  const proxy = await startProxy(
    ['--allow', 'meta-llama/Llama-2-7b-hf', '--allow', 'hubguard-test/public-llama', '--cors-origin', pageOrigin],
    { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: hub.url },
  );
  const pageUrl = `${pageOrigin}/?hub=${encodeURIComponent(hub.url)}&proxy=${encodeURIComponent(proxy.url)}`;
  return {
    hub,
    proxy,
    pageUrl,
    token: TOKENS.accepted,
    async close() {
      await proxy.stop();
      await new Promise((resolve) => page.close(resolve));
      await hub.close();
    },
  };
}
