// GET /api/{models|datasets}/{org}/{name}/tree/{rev}[/{path}][?recursive=true]:
// a repo's file listing at a revision, as huggingface_hub's list_repo_tree
// and snapshot_download read it (snapshot_download keeps it in the cache as
// trees/{commit}.json). Files: {type, oid (git blob sha1; for LFS the
// pointer's), size, path, lfs?: {oid (sha256), size, pointerSize}, xetHash?};
// folders: {type: 'directory', oid, size: 0, path}. One page, no `Link`.

import { createHash } from 'node:crypto';
import { accessTo } from './auth.mjs';
import { deny, sendError } from './errors.mjs';
import { gitBlobSha1 } from './hashes.mjs';
import { xetHash } from './xet.mjs';

export const TREE_ROUTE = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/;

function fileEntry(path, content) {
  if (!content.lfs) return { type: 'file', oid: content.etag, size: content.size, path };
  const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${content.etag}\nsize ${content.size}\n`;
  const entry = {
    type: 'file', oid: gitBlobSha1(Buffer.from(pointer)), size: content.size, path,
    lfs: { oid: content.etag, size: content.size, pointerSize: pointer.length },
  };
  if (content.xet) entry.xetHash = xetHash(content);
  return entry;
}

export function tree({ res, who, store, query }, [, kind, rawId, rawRevision, rawPath]) {
  const type = kind === 'models' ? 'model' : 'dataset';
  const repo = store.get(type, rawId.split('/').map(decodeURIComponent).join('/'));
  if (accessTo(who, repo) === 'none') return deny.notFound(res, who);
  const revision = decodeURIComponent(rawRevision);
  const sha = repo.resolve(revision);
  if (!sha) return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const base = rawPath ? rawPath.split('/').map(decodeURIComponent).join('/').replace(/\/$/, '') : '';
  const recursive = query.get('recursive') === 'true' || query.get('recursive') === 'True';
  const entries = new Map();
  for (const path of repo.paths(sha)) {
    if (base && !path.startsWith(`${base}/`)) continue;
    const rest = base ? path.slice(base.length + 1) : path;
    const parts = rest.split('/');
    // Folders on the way, then the file itself (only direct children unless recursive).
    for (let depth = 1; depth < parts.length && (recursive || depth === 1); depth++) {
      const folder = [base, ...parts.slice(0, depth)].filter(Boolean).join('/');
      entries.set(folder, { type: 'directory', oid: createHash('sha1').update(`tree ${folder}`).digest('hex'), size: 0, path: folder });
    }
    if (recursive || parts.length === 1) entries.set(path, fileEntry(path, repo.file(sha, path)));
  }
  if (base && entries.size === 0) return sendError(res, 404, 'EntryNotFound', `${base} does not exist on "${revision}"`);
  const body = JSON.stringify([...entries.values()].sort((a, b) => a.path.localeCompare(b.path)));
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
