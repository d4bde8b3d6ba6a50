// A local Hugging Face Hub for tests and the demo: resolve routes with the
// real Hub's headers, gated and private repos, LFS files redirected to a CDN
// on another origin, error headers, /api/whoami-v2 and /api/models.
//
//   node tests/hub/server.mjs [--port N] [--fixtures DIR]
// prints one JSON line {"hub", "cdn", "tokens"} and serves until SIGTERM.

import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { Cdn } from './cdn.mjs';
import { identify, TOKENS, INVALID_CREDENTIALS } from './auth.mjs';
import { sendError, deny } from './errors.mjs';
import { RepoStore } from './repos.mjs';
import { sendContent } from './send.mjs';
import { buildLlama2, defaultFixtureDir } from '../fixtures/llama2.mjs';

export { TOKENS };

/** The three Llama-2 repos, one per visibility, and a small dataset. */
function seedRepos(store, fixturesDir) {
  const read = (name) => readFileSync(path.join(fixturesDir, name));
  const config = JSON.parse(read('tokenizer_config.json'));
  const files = () => ({
    'tokenizer.json': read('tokenizer.json'),
    'tokenizer_config.json': read('tokenizer_config.json'),
    'config.json': read('config.json'),
  });
  for (const [id, visibility] of [
    ['meta-llama/Llama-2-7b-hf', 'gated'],
    ['hubguard-test/private-llama', 'private'],
    ['hubguard-test/public-llama', 'public'],
  ]) {
    // v1.0 is an older commit whose tokenizer_config.json differs.
    const repo = store.add({ id, visibility, files: { ...files(), 'tokenizer_config.json': JSON.stringify({ ...config, model_max_length: 4096 }, null, 2) } });
    repo.tag('v1.0', repo.refs.get('main'));
    repo.commit('main', files());
  }
  store.add({ id: 'hubguard-test/public-data', type: 'dataset', files: { 'data/train.csv': 'text,label\nhello,1\n' } });
}

const HUB_EXPOSED_HEADERS =
  'X-Repo-Commit, X-Error-Code, X-Error-Message, X-Linked-Etag, X-Linked-Size, ETag, Content-Range, Accept-Ranges, Content-Length';
const RESOLVE = /^\/(?:(datasets|spaces)\/)?([^/]+\/[^/]+|[^/]+)\/resolve\/([^/]+)\/(.+)$/;
const MODEL_API = /^\/api\/(models|datasets)\/([^/]+\/[^/]+|[^/]+?)(?:\/revision\/([^/]+))?$/;

export async function startHub({ port = 0, host = '127.0.0.1', fixturesDir = defaultFixtureDir, extraRepos = [] } = {}) {
  buildLlama2(fixturesDir);
  const faults = {};
  const store = new RepoStore();
  seedRepos(store, fixturesDir);
  for (const spec of extraRepos) store.add(spec);
  const cdn = new Cdn(faults);
  await cdn.listen(host);
  const hubLog = [];
  let url;

  /** Visibility check; false if an error answer was sent. */
  function canSee(res, who, repo) {
    if (!repo || (repo.visibility === 'private' && who.kind !== 'accepted')) {
      deny.notFound(res, who);
      return false;
    }
    if (repo.visibility === 'gated' && who.kind !== 'accepted') {
      deny.gated(res, who, repo);
      return false;
    }
    return true;
  }

  async function resolveFile(req, res, who, [, prefix, id, rawRevision, rawPath]) {
    const type = prefix ? prefix.slice(0, -1) : 'model';
    const repo = store.get(type, id);
    if (!canSee(res, who, repo)) return;
    const revision = decodeURIComponent(rawRevision);
    const filePath = rawPath.split('/').map(decodeURIComponent).join('/');
    const sha = repo.resolve(revision);
    if (!sha) return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const content = repo.file(sha, filePath);
    if (!content) return sendError(res, 404, 'EntryNotFound', 'Entry not found', { 'X-Repo-Commit': sha });
    const common = { 'X-Repo-Commit': sha, ETag: `"${content.etag}"` };
    if (content.lfs) {
      const body = 'Found. Redirecting';
      res.writeHead(302, {
        ...common,
        Location: cdn.signedUrl(content, path.posix.basename(filePath)),
        'X-Linked-Etag': `"${content.etag}"`,
        'X-Linked-Size': String(content.size),
        'Content-Type': 'text/plain; charset=utf-8',
        'Content-Length': String(body.length),
      });
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
    const type_ = filePath.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    await sendContent(req, res, content, { ...common, 'Content-Type': type_ }, faults);
  }

  function modelInfo(res, who, [, kind, id, rawRevision]) {
    const repo = store.get(kind === 'models' ? 'model' : 'dataset', id);
    if (!canSee(res, who, repo)) return;
    const revision = rawRevision ? decodeURIComponent(rawRevision) : 'main';
    const sha = repo.resolve(revision);
    if (!sha) return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({
      _id: sha.slice(0, 24), id: repo.id, modelId: repo.id, sha, author: repo.id.split('/')[0],
      private: repo.visibility === 'private', gated: repo.visibility === 'gated' ? 'manual' : false,
      disabled: false, downloads: 0, likes: 0, tags: [], library_name: 'transformers',
      lastModified: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z',
      siblings: repo.paths(sha).map((rfilename) => ({ rfilename })),
    }));
  }

  async function handle(req, res) {
    const { pathname } = new URL(req.url, 'http://hub.invalid');
    // Like huggingface.co: any page may read public answers and error codes.
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', HUB_EXPOSED_HEADERS);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'GET, HEAD', 'Access-Control-Allow-Headers': 'Range, Authorization, If-None-Match' });
      return res.end();
    }
    const who = identify(req.headers.authorization);
    hubLog.push({ method: req.method, path: pathname, authorization: who.kind });

    // Test-only view of the CDN's log, for clients in other processes.
    if (pathname === '/__emulator/cdn-log') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify(cdn.log));
    }
    if (faults.rateLimit) {
      return sendError(res, 429, null, 'You have been rate-limited; you can retry this action later.', {
        'Retry-After': String(faults.rateLimit.retryAfter ?? 1),
      });
    }
    if (who.kind === 'invalid') return sendError(res, 401, null, INVALID_CREDENTIALS);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' });
      return res.end();
    }
    if (pathname === '/api/whoami-v2') {
      if (!who.user) return sendError(res, 401, null, INVALID_CREDENTIALS);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({
        type: 'user', id: `id-${who.user.name}`, name: who.user.name, fullname: who.user.name,
        email: `${who.user.name}@example.invalid`, emailVerified: true, isPro: false, orgs: [],
        auth: { type: 'access_token', accessToken: { displayName: 'hubguard-test', role: 'read' } },
      }));
    }
    let match = MODEL_API.exec(pathname);
    if (match) return modelInfo(res, who, match);
    match = RESOLVE.exec(pathname);
    if (match) return resolveFile(req, res, who, match);
    sendError(res, 404, null, 'Sorry, we can\'t find the page you are looking for.');
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error) => {
      if (!res.headersSent) sendError(res, 500, null, `emulator error: ${error.message}`);
      else res.destroy();
    });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  url = `http://${host}:${server.address().port}`;

  return {
    url,
    cdnUrl: cdn.url,
    cdnLog: cdn.log,
    hubLog,
    faults,
    tokens: TOKENS,
    /** Add a repo: { id, type?, visibility?, files: { path: string|Buffer|{size, generated} } }. */
    addRepo: (spec) => store.add(spec),
    /** Commit `files` onto a branch (default main) of an existing repo; returns the new sha. */
    commit: (id, files, { type = 'model', branch = 'main' } = {}) => store.get(type, id).commit(branch, files),
    commitOf: (id, revision = 'main', type = 'model') => store.get(type, id)?.resolve(revision),
    setVisibility: (id, visibility, type = 'model') => {
      store.get(type, id).visibility = visibility;
    },
    readFile(id, filePath, revision = 'main', type = 'model') {
      const repo = store.get(type, id);
      return repo?.file(repo.resolve(revision), filePath)?.bytes;
    },
    async close() {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      await cdn.close();
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
  });
  console.log(JSON.stringify({ hub: hub.url, cdn: hub.cdnUrl, tokens: hub.tokens }));
  const stop = () => hub.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
