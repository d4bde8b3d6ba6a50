// The JSON API routes clients use around downloads:
//   GET /api/whoami-v2
//   GET /api/{models|datasets}/{org}/{name}[/revision/{rev}][?blobs=true]
// As on the Hub, a gated repo's info is public (only its files are gated);
// a private repo's is visible to members only.

import { accessTo, INVALID_CREDENTIALS } from './auth.mjs';
import { deny, sendError } from './errors.mjs';
import { gitBlobSha1 } from './hashes.mjs';

export const REPO_INFO_ROUTE = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)(?:\/revision\/([^/]+))?$/;

function sendJson(res, value) {
  const body = JSON.stringify(value);
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export function whoami(res, who) {
  if (!who.user) return sendError(res, 401, null, INVALID_CREDENTIALS);
  const { name, orgs } = who.user;
  sendJson(res, {
    type: 'user', id: `emulator-${name}`, name, fullname: name[0].toUpperCase() + name.slice(1),
    email: `${name}@example.invalid`, emailVerified: true, isPro: false, canPay: false,
    orgs: orgs.map((org) => ({ type: 'org', name: org, fullname: org, roleInOrg: 'read' })),
    auth: { type: 'access_token', accessToken: { displayName: who.user.tokenName, role: 'read', createdAt: '2026-01-01T00:00:00.000Z' } },
  });
}

/** A sibling as `?blobs=true` lists it: LFS files name the pointer's blob id. */
function sibling(rfilename, content, blobs) {
  if (!blobs) return { rfilename };
  if (!content.lfs) return { rfilename, blobId: content.etag, size: content.size };
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${content.etag}\nsize ${content.size}\n`;
  return {
    rfilename, blobId: gitBlobSha1(Buffer.from(pointer)), size: content.size,
    lfs: { sha256: content.etag, size: content.size, pointerSize: pointer.length },
  };
}

export function repoInfo({ res, who, store, query }, [, kind, rawId, rawRevision]) {
  const type = kind === 'models' ? 'model' : 'dataset';
  const repo = store.get(type, rawId.split('/').map(decodeURIComponent).join('/'));
  if (accessTo(who, repo) === 'none') return deny.notFound(res, who);
  const revision = rawRevision ? decodeURIComponent(rawRevision) : 'main';
  const sha = repo.resolve(revision);
  if (!sha) return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const blobs = query.get('blobs') === 'true';
  const info = {
    _id: sha.slice(0, 24), id: repo.id, author: repo.id.split('/')[0], sha,
    private: repo.visibility === 'private', gated: repo.visibility === 'gated' ? 'manual' : false,
    disabled: false, downloads: 0, likes: 0, tags: [],
    lastModified: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z',
    siblings: repo.paths(sha).map((p) => sibling(p, repo.file(sha, p), blobs)),
  };
  if (type === 'model') Object.assign(info, { modelId: repo.id, library_name: 'transformers' });
  sendJson(res, info);
}
