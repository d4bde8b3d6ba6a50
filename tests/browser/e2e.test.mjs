// The demo page in real Chromium (Debian's, driven by playwright-core): the
// gated Llama-2 tokenizer loads through the proxy, and no token ever reaches
// the page, its requests or its built assets.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startStack, distDir } from './stack.mjs';
import { startProxy } from '../node/support/proxy.mjs';

const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts');
let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await stack?.close();
});

/**
 * Runs `body` with a page of its own, in a fresh browser context (its own
 * Cache API), which records every request and response body: no test
 * depends on what another one did, or on their order.
 */
async function withPage(body) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const requests = [];
  const bodies = [];
  page.on('request', (r) => requests.push({ url: r.url(), method: r.method(), headers: r.headers() }));
  page.on('response', async (r) => {
    try {
      bodies.push({ url: r.url(), headers: JSON.stringify(await r.allHeaders()), body: (await r.body()).toString('latin1') });
    } catch {
      // Redirects and preflights have no body.
    }
  });
  try {
    await page.goto(stack.pageUrl);
    return await body({ page, requests, bodies });
  } finally {
    await context.close();
  }
}

async function tokenize(page, repo, text) {
  await page.selectOption('#repo', repo);
  await page.fill('#text', text);
  await page.click('#run');
  await page.waitForFunction(() => !document.querySelector('#result').hidden || !document.querySelector('#error').hidden);
}

test('the gated Llama-2 tokenizer loads through the proxy and shows the ids', () =>
  withPage(async ({ page, requests }) => {
    await tokenize(page, 'meta-llama/Llama-2-7b-hf', 'Hello world!');
    assert.equal(await page.textContent('#ids'), '1, 15043, 3186, 29991', await page.textContent('#error'));
    assert.deepEqual(await page.$$eval('#pieces span', (s) => s.map((e) => e.textContent)), ['▁Hello', '▁world', '!']);
    assert.ok(requests.some((r) => r.url.startsWith(stack.proxy.url)), 'the proxy was used');
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'www.png'), fullPage: true });
  }));

/** Runs the demo's Web Worker on the gated tokenizer. */
async function inWorker(page) {
  await page.selectOption('#repo', 'meta-llama/Llama-2-7b-hf');
  await page.fill('#text', 'Hello world!');
  await page.click('#worker');
  await page.waitForFunction(() => /Web Worker/.test(document.querySelector('#status').textContent) || !document.querySelector('#error').hidden);
}

test('the browser build also runs in a Web Worker', () =>
  withPage(async ({ page }) => {
    await inWorker(page);
    assert.equal(await page.textContent('#ids'), '1, 15043, 3186, 29991', await page.textContent('#error'));
  }));

test('a token option in the page throws TOKEN_REFUSED', () =>
  withPage(async ({ page }) => {
    await page.click('#token-demo');
    await page.waitForSelector('#error:not([hidden])');
    assert.match(await page.textContent('#error'), /^TOKEN_REFUSED: .*proxy/s);
  }));

test('a repo that is not on the proxy list shows a clear error', () =>
  withPage(async ({ page }) => {
    await tokenize(page, 'hubguard-test/private-llama', 'Hello');
    assert.match(await page.textContent('#error'), /^PROXY_REFUSED: .*not on this proxy's allow list/s);
  }));

/** The hubguard entries in the page's Cache API, with their status. */
const cacheEntries = (page) =>
  page.evaluate(async () => {
    const cache = await caches.open('hubguard-v1');
    const keys = await cache.keys();
    return Promise.all(keys.map(async (k) => ({ url: k.url, status: (await cache.match(k)).status })));
  });

test('files are kept in the Cache API by commit: a reload downloads nothing, a new commit is not stale', () =>
  withPage(async ({ page, requests }) => {
    const GATED = 'meta-llama/Llama-2-7b-hf';
    const since = (n) => requests.slice(n).filter((r) => r.url.startsWith(stack.proxy.url));
    await tokenize(page, GATED, 'Hello world!'); // fills this context's cache
    let mark = requests.length;
    await page.reload();
    await tokenize(page, GATED, 'Hello world!');
    assert.equal(await page.textContent('#ids'), '1, 15043, 3186, 29991', await page.textContent('#error'));
    assert.deepEqual(
      since(mark).map((r) => `${r.method} ${path.basename(r.url)}`),
      ['HEAD tokenizer_config.json'],
      'one HEAD learns the commit; the files come from the cache (the 404 of chat_template.jinja is remembered too)',
    );

    const config = JSON.parse(stack.hub.readFile(GATED, 'tokenizer_config.json'));
    const commit = stack.hub.setFile(GATED, 'tokenizer_config.json', JSON.stringify({ ...config, model_max_length: 1024 }));
    mark = requests.length;
    await page.reload();
    await tokenize(page, GATED, 'Hello world!');
    assert.equal(await page.textContent('#ids'), '1, 15043, 3186, 29991', await page.textContent('#error'));
    const gets = since(mark).filter((r) => r.method === 'GET').map((r) => r.url);
    assert.ok(gets.some((u) => u.includes(`/resolve/${commit}/tokenizer_config.json`)), gets.join('\n'));

    await tokenize(page, 'hubguard-test/private-llama', 'Hello'); // refused: must leave nothing behind
    const entries = await cacheEntries(page);
    assert.ok(entries.some((e) => e.url.includes(`/resolve/${commit}/tokenizer.json`)), JSON.stringify(entries));
    assert.ok(entries.every((e) => e.status === 200), 'no error response is cached');
    assert.ok(entries.every((e) => !e.url.includes('private-llama')), 'a refused repo left nothing');
  }));

test('no request carries Authorization; the token is in no response and no built asset', () =>
  withPage(async ({ page, requests, bodies }) => {
    await tokenize(page, 'meta-llama/Llama-2-7b-hf', 'Hello world!');
    await inWorker(page);
    assert.equal(await page.textContent('#ids'), '1, 15043, 3186, 29991', await page.textContent('#error'));
    assert.ok(requests.length > 5);
    for (const r of requests) assert.equal(r.headers.authorization, undefined, r.url);
    for (const b of bodies) {
      assert.ok(!b.body.includes(stack.token) && !b.headers.includes(stack.token), b.url);
    }
    const assets = readdirSync(distDir, { recursive: true }).map((f) => path.join(distDir, f));
    for (const file of assets.filter((f) => /\.(js|html|css|wasm)$/.test(f))) {
      assert.ok(!readFileSync(file).includes(stack.token), file);
    }
  }));

test('with largeFiles redirect, Chromium follows the proxy\'s 302 to the CDN (CORS) and gets the tokenizer', async () => {
  const GATED = 'meta-llama/Llama-2-7b-hf';
  const pageOrigin = new URL(stack.pageUrl).origin;
  const redirecting = await startProxy(['--allow', GATED, '--cors-origin', pageOrigin, '--large-files', 'redirect'], {
    HF_TOKEN: stack.token,
    HF_ENDPOINT: stack.hub.url,
  });
  // A fresh context: nothing in its Cache API, so tokenizer.json must be fetched.
  const context = await browser.newContext();
  try {
    const fresh = await context.newPage();
    const answers = [];
    fresh.on('response', (r) => answers.push({ url: r.url(), status: r.status() }));
    await fresh.goto(`${pageOrigin}/?hub=${encodeURIComponent(stack.hub.url)}&proxy=${encodeURIComponent(redirecting.url)}`);
    await tokenize(fresh, GATED, 'Hello world!');
    assert.equal(await fresh.textContent('#ids'), '1, 15043, 3186, 29991', await fresh.textContent('#error'));
    assert.ok(answers.some((a) => a.url.startsWith(redirecting.url) && a.url.endsWith('/tokenizer.json') && a.status === 302), JSON.stringify(answers));
    assert.ok(answers.some((a) => a.url.startsWith(stack.hub.cdnUrl) && a.status === 200), 'the bytes came from the CDN');
  } finally {
    await context.close();
    await redirecting.stop();
  }
});
