// The embeddings page (www/embeddings.html) in real Chromium: Transformers.js'
// web build runs a gated ONNX model through configureTransformers and the
// hubguard proxy, with ONNX Runtime's wasm served by the page. The expected
// embeddings come from the same pipeline in the same browser, run by a
// reference page on the model's local files with no hubguard at all.
// Independent of e2e.test.mjs: its own stack, browser and page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStack, distDir, MODELS } from './stack.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const artifacts = path.resolve(here, '../artifacts');
/** A package installed by tests/package.json (npm ci --prefix tests). */
const packageDir = (name) => path.resolve(here, '../node_modules', name);
const TEXT = 'Hello world, embeddings from a gated model!';

let stack;
let browser;
let page;
let reference;
const requests = [];
const bodies = [];

/**
 * The reference: Transformers.js' web build and ONNX Runtime Web straight
 * from tests/node_modules (an import map stands in for a bundler), reading
 * the models' local files.
 */
function serveReference(modelDirs) {
  const roots = {
    '/tjs/': path.join(packageDir('@huggingface/transformers'), 'dist'),
    '/ort/': path.join(packageDir('onnxruntime-web'), 'dist'),
    '/common/': path.join(packageDir('onnxruntime-common'), 'dist/esm'),
    '/models/gated/': modelDirs.gated,
    '/models/public/': modelDirs.public,
  };
  const html = `<!doctype html><meta charset="utf-8"><title>reference</title>
    <script type="importmap">{"imports": {"onnxruntime-web/webgpu": "/ort/ort.webgpu.bundle.min.mjs", "onnxruntime-common": "/common/index.js"}}</script>
    <script type="module">
      import { env, pipeline } from '/tjs/transformers.web.js';
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.localModelPath = '/models/';
      env.useBrowserCache = false;
      env.backends.onnx.wasm.wasmPaths = { mjs: '/ort/ort-wasm-simd-threaded.asyncify.mjs', wasm: '/ort/ort-wasm-simd-threaded.asyncify.wasm' };
      const q = new URLSearchParams(location.search);
      try {
        const extractor = await pipeline('feature-extraction', q.get('model'), { dtype: 'fp32', device: 'wasm' });
        const output = await extractor(q.get('text'), { pooling: 'mean', normalize: true });
        window.result = { embedding: output.tolist()[0] };
      } catch (e) {
        window.result = { error: String(e) };
      }
    </script>`;
  const types = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://reference.invalid');
    if (pathname === '/reference.html') return res.writeHead(200, { 'Content-Type': 'text/html' }).end(html);
    const prefix = Object.keys(roots).find((p) => pathname.startsWith(p));
    const file = prefix && path.join(roots[prefix], path.normalize(decodeURIComponent(pathname.slice(prefix.length))));
    if (!file || !file.startsWith(roots[prefix]) || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

before(async () => {
  stack = await startStack();
  reference = await serveReference(stack.modelDirs);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  page = await browser.newPage();
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers() }));
  page.on('response', async (r) => {
    try {
      bodies.push({ url: r.url(), headers: JSON.stringify(await r.allHeaders()), body: (await r.body()).toString('latin1') });
    } catch {
      // Redirects and preflights have no body.
    }
  });
  await page.goto(stack.embeddingsUrl);
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (reference ? reference.close(resolve) : resolve()));
  await stack?.close();
});

/** Runs the page's pipeline on `repo`; → the embedding it shows. */
async function embed(repo) {
  await page.selectOption('#model', repo);
  await page.fill('#text', TEXT);
  await page.click('#embed');
  await page.waitForFunction(() => !document.querySelector('#result').hidden || !document.querySelector('#error').hidden, null, {
    timeout: 120_000,
  });
  const error = await page.$eval('#error', (e) => (e.hidden ? null : e.textContent));
  assert.equal(error, null);
  return JSON.parse(await page.$eval('#embedding', (e) => e.dataset.values));
}

/** The same pipeline on the local files of `which` ('gated' | 'public'), in another tab. */
async function expectedFor(which) {
  const tab = await browser.newPage();
  try {
    const query = new URLSearchParams({ model: which, text: TEXT });
    await tab.goto(`http://127.0.0.1:${reference.address().port}/reference.html?${query}`);
    await tab.waitForFunction(() => window.result, null, { timeout: 120_000 });
    const result = await tab.evaluate(() => window.result);
    assert.ok(result.embedding, result.error);
    return result.embedding;
  } finally {
    await tab.close();
  }
}

const through = (origin, repo) => requests.filter((r) => r.url.startsWith(origin) && r.url.includes(`/${repo}/`));

test("a gated model's embeddings in the page equal the same pipeline on its local files", async () => {
  const embedding = await embed(MODELS.gated);
  assert.equal(embedding.length, 16);
  assert.deepEqual(embedding, await expectedFor('gated'));
  assert.ok(through(stack.proxy.url, MODELS.gated).some((r) => r.url.endsWith('/onnx/model.onnx')), 'the model came through the proxy');
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'www-embeddings.png'), fullPage: true });
});

test('a public model goes straight to the Hub, with no request through the proxy', async () => {
  const embedding = await embed(MODELS.public);
  assert.deepEqual(embedding, await expectedFor('public'));
  assert.ok(through(stack.hub.url, MODELS.public).length > 0, 'asked the Hub');
  assert.deepEqual(through(stack.proxy.url, MODELS.public), []);
});

test('no request carries Authorization; the token is in no response and no built asset', async () => {
  // Run here too, so this test holds whatever ran before it.
  await embed(MODELS.gated);
  assert.ok(requests.length > 5);
  for (const r of requests) assert.equal(r.headers.authorization, undefined, r.url);
  for (const b of bodies) {
    assert.ok(!b.body.includes(stack.token) && !b.headers.includes(stack.token), b.url);
  }
  const assets = readdirSync(distDir, { recursive: true }).map((f) => path.join(distDir, f));
  for (const file of assets.filter((f) => /\.(js|mjs|html|css|wasm)$/.test(f))) {
    assert.ok(!readFileSync(file).includes(stack.token), file);
  }
});
