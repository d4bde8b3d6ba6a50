// POST /api/{models|datasets}/{org}/{name}/paths-info/{rev}
//   body {"paths": [...], "expand": bool} → one entry per existing path.
// @huggingface/hub's downloadFileToCacheDir asks this before downloading
// (the download benchmark runs it). Simplification: `lastCommit` is the
// commit the revision resolves to, not the last commit touching the file.

import { accessTo } from './auth.mjs';
import { deny, sendError } from './errors.mjs';
import { gitBlobSha1 } from './hashes.mjs';

export const PATHS_INFO_ROUTE = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/paths-info\/([^/]+)$/;

async function readJson(req, limit = 1 << 20) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('body too large');
  }
  return JSON.parse(body);
}

function entry(path, content, sha, expand) {
  const pointer = content.lfs
    ? Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${content.etag}\nsize ${content.size}\n`)
    : undefined;
  const item = { type: 'file', path, oid: pointer ? gitBlobSha1(pointer) : content.etag, size: content.size };
  if (pointer) item.lfs = { oid: content.etag, size: content.size, pointerSize: pointer.length };
  if (expand) item.lastCommit = { id: sha, title: 'emulator commit', date: '2026-01-01T00:00:00.000Z' };
  return item;
}

export async function pathsInfo({ req, res, who, store }, [, kind, rawId, rawRevision]) {
  const type = kind === 'models' ? 'model' : 'dataset';
  const repo = store.get(type, rawId.split('/').map(decodeURIComponent).join('/'));
  const access = accessTo(who, repo);
  if (access === 'none') return deny.notFound(res, who);
  if (access === 'metadata') return deny.gated(res, who, repo);
  const revision = decodeURIComponent(rawRevision);
  const sha = repo.resolve(revision);
  if (!sha) return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const body = await readJson(req).catch(() => undefined);
  if (!body || !Array.isArray(body.paths)) return sendError(res, 400, null, 'Expected a JSON body with "paths"');
  const items = body.paths.filter((p) => typeof p === 'string' && repo.file(sha, p)).map((p) => entry(p, repo.file(sha, p), sha, body.expand === true));
  const text = JSON.stringify(items);
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  res.end(text);
}
