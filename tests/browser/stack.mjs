// The whole demo stack on loopback: the local Hub (with two tiny BERT-shaped
// ONNX models made now, one gated and one public, for the embeddings page),
// the hubguard proxy (the packed package's CLI, holding the accepted token)
// and the built pages (www/dist) on a static server. Used by `make www` and
// the browser tests.

import http from 'node:http';
import { createReadStream, existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHub, TOKENS } from '../hub/server.mjs';
import { startProxy } from '../node/support/proxy.mjs';
import { makeTinyBert, repoFiles } from '../fixtures/tiny-bert.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const distDir = path.join(root, 'www/dist');

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

/** The embeddings page's models; `modelDirs` in the stack has their local files. */
export const MODELS = { gated: 'hubguard-test/gated-bert', public: 'hubguard-test/public-bert' };

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
  const modelsDir = mkdtempSync(path.join(tmpdir(), 'hubguard-www-models-'));
  const modelDirs = { gated: path.join(modelsDir, 'gated'), public: path.join(modelsDir, 'public') };
  await makeTinyBert(modelDirs.gated, ['--seed', '3']);
  await makeTinyBert(modelDirs.public, ['--seed', '5']);
  hub.addRepo({ id: MODELS.gated, visibility: 'gated', files: repoFiles(modelDirs.gated) });
  hub.addRepo({ id: MODELS.public, files: repoFiles(modelDirs.public) });
  const page = await serveStatic(distDir, pagePort);
  const pageOrigin = `http://127.0.0.1:${page.address().port}`;
  const proxy = await startProxy(
    ['--allow', 'meta-llama/Llama-2-7b-hf', '--allow', 'hubguard-test/public-llama', '--allow', MODELS.gated, '--cors-origin', pageOrigin],
    { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: hub.url },
  );
  const pageUrl = `${pageOrigin}/?hub=${encodeURIComponent(hub.url)}&proxy=${encodeURIComponent(proxy.url)}`;
  return {
    hub,
    proxy,
    pageUrl,
    /** The same page's query on the embeddings page. */
    embeddingsUrl: pageUrl.replace('/?', '/embeddings.html?'),
    modelDirs,
    token: TOKENS.accepted,
    async close() {
      await proxy.stop();
      await new Promise((resolve) => page.close(resolve));
      await hub.close();
    },
  };
}
