// GET/HEAD /{repo}/resolve/{revision}/{path}: the file download route.
// Regular files are answered here with the git blob sha1 as ETag; LFS files
// with a 302 to a signed CDN URL, the metadata riding on the redirect
// (X-Linked-Etag, X-Linked-Size), which is what huggingface_hub's HEAD
// reads without following a redirect off the Hub; Xet-backed files with a
// 302 to the Xet bridge, with X-Xet-Hash and the Link header too (xet.mjs).

import { createHash } from 'node:crypto';
import path from 'node:path';
import { accessTo } from './auth.mjs';
import { deny, sendError } from './errors.mjs';
import { sendContent } from './send.mjs';
import { xetHeaders } from './xet.mjs';

/** Express's weak ETag of a small body, as the Hub puts on its redirects. */
function redirectEtag(body) {
  return `W/"${Buffer.byteLength(body).toString(16)}-${createHash('sha1').update(body).digest('base64').slice(0, 27)}"`;
}

/** `/{org}/{name}/resolve/…`, `/datasets/{org}/{name}/resolve/…`, `/spaces/…`. */
export const RESOLVE_ROUTE = /^\/(?:(datasets|spaces)\/)?([^/]+\/[^/]+|[^/]+)\/resolve\/([^/]+)\/(.+)$/;

/** Sends a 404/401/403 and returns false unless `who` may read `repo`'s files. */
export function checkFiles(res, who, repo) {
  const access = accessTo(who, repo);
  if (access === 'files') return true;
  if (access === 'metadata') deny.gated(res, who, repo);
  else deny.notFound(res, who);
  return false;
}

function disposition(filePath) {
  const name = path.posix.basename(filePath);
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name.replace(/[^\x20-\x7e]|"/g, '_')}";`;
}

/** `match` is RESOLVE_ROUTE's; segments are decoded exactly once. */
export async function resolveFile({ req, res, who, store, cdn, xet, hubUrl, faults }, [, prefix, rawId, rawRevision, rawPath]) {
  const type = prefix ? prefix.slice(0, -1) : 'model';
  const id = rawId.split('/').map(decodeURIComponent).join('/');
  const repo = store.get(type, id);
  if (!checkFiles(res, who, repo)) return;

  const revision = decodeURIComponent(rawRevision);
  const filePath = rawPath.split('/').map(decodeURIComponent).join('/');
  const sha = repo.resolve(revision);
  if (!sha) return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
  const content = repo.file(sha, filePath);
  // X-Repo-Commit on a missing entry lets clients cache "not there at this commit".
  if (!content) return sendError(res, 404, 'EntryNotFound', 'Entry not found', { 'X-Repo-Commit': sha });

  const common = { 'X-Repo-Commit': sha, ETag: `"${content.etag}"` };
  if (content.xet) {
    const location = xet.signedUrl(content, repo.key, path.posix.basename(filePath));
    const body = `Found. Redirecting to ${location}`;
    res.writeHead(302, {
      'X-Repo-Commit': sha,
      // The redirect's own ETag, which clients must not take for the file's.
      ETag: redirectEtag(body),
      Location: location,
      'X-Linked-Etag': `"${content.etag}"`,
      'X-Linked-Size': String(content.size),
      ...xetHeaders({ hubUrl, type, repoId: id, commit: sha, content, bridgeUrl: xet.url }),
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    return res.end(req.method === 'HEAD' ? undefined : body);
  }
  if (content.lfs) {
    const location = cdn.signedUrl(content, path.posix.basename(filePath));
    const body = `Found. Redirecting to ${location}`;
    res.writeHead(302, {
      ...common,
      Location: location,
      'X-Linked-Etag': `"${content.etag}"`,
      'X-Linked-Size': String(content.size),
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(body)),
    });
    return res.end(req.method === 'HEAD' ? undefined : body);
  }
  const contentType = filePath.endsWith('.json')
    ? 'application/json; charset=utf-8'
    : /\.(md|txt|csv|py|yaml|yml)$/.test(filePath) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
  await sendContent(req, res, content, { ...common, 'Content-Type': contentType, 'Content-Disposition': disposition(filePath) }, faults);
}
