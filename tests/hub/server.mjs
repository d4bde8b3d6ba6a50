// A local Hugging Face Hub for tests, benchmarks and the demo: the resolve
// route with the real Hub's headers, gated and private repos, LFS files
// redirected to a signed-URL CDN on another origin, Xet-backed files
// redirected to a cas-bridge-style host (xet.mjs), the Hub's error headers,
// /api/whoami-v2, /api/{models,datasets} and their tree listings. Over http, or https with a
// self-signed certificate (tls.mjs). Node built-ins only.
// tests/python checks it against the real huggingface_hub client.
//
//   node tests/hub/server.mjs [--port N] [--fixtures DIR] [--tls]
// prints one JSON line {"hub", "cdn", "xet", "tokens", "certFile"?} and
// serves until SIGTERM/SIGINT.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoInfo, REPO_INFO_ROUTE, whoami } from './api.mjs';
import { identify, INVALID_CREDENTIALS, TOKENS } from './auth.mjs';
import { Cdn } from './cdn.mjs';
import { DEBUG_PREFIX, handleDebug } from './debug.mjs';
import { PATHS_INFO_ROUTE, pathsInfo } from './paths-info.mjs';
import { sendError } from './errors.mjs';
import { RepoStore } from './repos.mjs';
import { checkFiles, resolveFile, RESOLVE_ROUTE } from './resolve.mjs';
import { tree, TREE_ROUTE } from './tree.mjs';
import { loadFixture, REPOS, seedRepos } from './seed.mjs';
import { createServer, makeCertificate, schemeOf } from './tls.mjs';
import { XetBridge, XET_TOKEN_ROUTE, xetReadToken } from './xet.mjs';

export { TOKENS, REPOS };

const EXPOSED_HEADERS = [
  'X-Repo-Commit', 'X-Error-Code', 'X-Error-Message', 'X-Linked-Etag', 'X-Linked-Size',
  'ETag', 'Content-Range', 'Accept-Ranges', 'Content-Length', 'Retry-After', 'X-Xet-Hash', 'Link',
].join(', ');

/** 429 as the Hub sends it: Retry-After plus the IETF RateLimit headers huggingface_hub parses. */
function rateLimited(res, pathname, { retryAfter = 1 }) {
  const resource = pathname.startsWith('/api/') ? 'api' : RESOLVE_ROUTE.test(pathname) ? 'resolvers' : 'pages';
  sendError(res, 429, null, `You have been rate-limited; you can retry this action in about ${retryAfter} seconds.`, {
    'Retry-After': String(retryAfter),
    RateLimit: `"${resource}";r=0;t=${retryAfter}`,
    'RateLimit-Policy': `"fixed window";"${resource}";q=1000;w=300`,
  });
}

/**
 * options: { port = 0, host = '127.0.0.1', fixturesDir = tests/.fixtures/llama2,
 *            extraRepos = [{ id, type?, visibility?, files }],
 *            tls: true (a fresh certificate) | { key, cert, certFile } | undefined (http) }
 * See tests/hub/README.md for the returned object.
 */
export async function startHub({ port = 0, host = '127.0.0.1', fixturesDir, extraRepos = [], tls } = {}) {
  if (tls === true) tls = makeCertificate();
  const store = new RepoStore();
  seedRepos(store, await loadFixture(fixturesDir));
  for (const spec of extraRepos) store.add(spec);

  // One object shared with the CDN: tests flip its fields while requests run.
  const faults = {};
  const setFaults = (value) => {
    for (const key of Object.keys(faults)) delete faults[key];
    Object.assign(faults, value);
  };
  const cdn = new Cdn(faults, tls);
  await cdn.listen(host);
  const xet = new XetBridge(faults, tls);
  await xet.listen(host);
  const hubLog = [];

  async function handle(req, res) {
    const url = new URL(req.url, 'http://hub.invalid');
    const { pathname } = url;
    // Like huggingface.co: any page may read public answers and error codes.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (pathname.startsWith(DEBUG_PREFIX)) return handleDebug(req, res, pathname, { cdnLog: cdn.log, xetLog: xet.log, hubLog, faults, setFaults });
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': 'Range, Authorization, If-None-Match' });
      return res.end();
    }

    const who = identify(req.headers.authorization);
    hubLog.push({
      method: req.method,
      path: pathname,
      authorization: who.kind,
      // A forward proxy's credentials are for the proxy alone.
      hadProxyAuthorization: req.headers['proxy-authorization'] !== undefined,
    });
    if (faults.rateLimit) return rateLimited(res, pathname, faults.rateLimit);
    // A Hub slow to answer metadata requests (HF_HUB_ETAG_TIMEOUT tests).
    if (faults.delayHeadMs && req.method === 'HEAD') await new Promise((resolve) => setTimeout(resolve, faults.delayHeadMs));
    if (res.destroyed) return;
    // An unknown token is refused everywhere, public repos included.
    if (who.kind === 'invalid') return sendError(res, 401, null, INVALID_CREDENTIALS);
    const context = { req, res, who, store, cdn, xet, hubUrl, faults, query: url.searchParams };
    // The one POST route (@huggingface/hub asks it before a download).
    const pathsInfoMatch = req.method === 'POST' && PATHS_INFO_ROUTE.exec(pathname);
    if (pathsInfoMatch) return pathsInfo(context, pathsInfoMatch);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return sendError(res, 405, null, `Method ${req.method} not allowed`, { Allow: 'GET, HEAD' });
    }

    if (pathname === '/api/whoami-v2') return whoami(res, who);
    let match = XET_TOKEN_ROUTE.exec(pathname);
    if (match) {
      const repo = store.get(match[1] === 'models' ? 'model' : 'dataset', match[2].split('/').map(decodeURIComponent).join('/'));
      return checkFiles(res, who, repo) && xetReadToken(res, xet.url);
    }
    match = TREE_ROUTE.exec(pathname);
    if (match) return tree(context, match);
    match = REPO_INFO_ROUTE.exec(pathname);
    if (match) return repoInfo(context, match);
    match = RESOLVE_ROUTE.exec(pathname);
    if (match) return resolveFile(context, match);
    sendError(res, 404, null, "Sorry, we can't find the page you are looking for.");
  }

  let hubUrl;
  const server = createServer(tls, (req, res) => {
    handle(req, res).catch((error) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof URIError) return sendError(res, 400, null, 'Invalid percent-encoding in the URL');
      sendError(res, 500, null, `emulator error: ${error.message}`);
    });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  hubUrl = `${schemeOf(tls)}://${host}:${server.address().port}`;

  const repo = (id, type = 'model') => store.must(type, id);
  return {
    url: hubUrl,
    cdnUrl: cdn.url,
    cdnLog: cdn.log,
    /** The Xet bridge's origin and its log (as cdnLog). */
    xetUrl: xet.url,
    xetLog: xet.log,
    /** With `tls`: the certificate file a client must trust (NODE_EXTRA_CA_CERTS). */
    certFile: tls?.certFile,
    hubLog,
    /** Mutable: set fields (rateLimit, dropAfterBytes, dropOnce, corruptByte, slowMs, delayHeadMs), or assign a whole object. */
    get faults() {
      return faults;
    },
    set faults(value) {
      setFaults(value ?? {});
    },
    tokens: TOKENS,
    repos: REPOS,
    /** Adds a repo ({ id, type?, visibility?, files }); returns its main commit sha. */
    addRepo: (spec) => store.add(spec).refs.get('main'),
    /** A new commit setting `files` (null deletes) on `branch` (default main); returns its sha. */
    commit: (id, files, { type, branch = 'main', parent } = {}) => repo(id, type).commit(branch, files, { parent }),
    /** Sets one file in a new commit; `lfs` or `xet` force the storage kind. Returns the commit sha. */
    setFile: (id, filePath, bytes, { lfs, xet, type, branch = 'main' } = {}) =>
      repo(id, type).commit(branch, {
        [filePath]: bytes === null || (lfs === undefined && xet === undefined) || bytes.generated ? bytes : { content: bytes, lfs, xet },
      }),
    /** Points a tag or branch at an existing revision. */
    tag: (id, name, revision = 'main', { type } = {}) => repo(id, type).tag(name, repo(id, type).resolve(revision)),
    commitOf: (id, revision = 'main', type = 'model') => store.get(type, id)?.resolve(revision),
    setVisibility: (id, visibility, type = 'model') => {
      repo(id, type).visibility = visibility;
    },
    /** The bytes of a file as served (undefined for generated files or missing ones). */
    readFile(id, filePath, revision = 'main', type = 'model') {
      const r = store.get(type, id);
      return r?.file(r.resolve(revision), filePath)?.bytes;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      await cdn.close();
      await xet.close();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const hub = await startHub({
    port: Number(arg('--port') ?? 0),
    fixturesDir: arg('--fixtures') ? path.resolve(arg('--fixtures')) : undefined,
    tls: process.argv.includes('--tls') || undefined,
  });
  console.log(JSON.stringify({ hub: hub.url, cdn: hub.cdnUrl, xet: hub.xetUrl, tokens: hub.tokens, certFile: hub.certFile }));
  const stop = () => hub.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
