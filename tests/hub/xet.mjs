// Xet-backed files, as huggingface.co serves them to a client that does not
// speak the Xet protocol (huggingface_hub with HF_HUB_DISABLE_XET=1,
// Transformers.js, hubguard): `/resolve/` answers 302 to a signed URL on a
// "cas-bridge" host (another origin), with the file's metadata on the
// redirect: X-Xet-Hash, X-Linked-Size, X-Linked-Etag (the sha256),
// X-Repo-Commit, and a Link header naming the Xet token route
// (rel="xet-auth") and the reconstruction route (rel="xet-reconstruction-info").
// The bridge serves the bytes with Range, sends no ETag, and refuses any
// request carrying Authorization, like signed-URL storage.
//
// Not emulated: the Xet protocol itself (chunks, reconstructions, the CAS
// server). The reconstruction link points at a route that answers 501, and
// the Xet hash is a stand-in (sha256 of a label and the file's sha256), not
// the real Merkle hash; nothing outside Xet clients can tell.

import { createHash, createHmac, randomBytes } from 'node:crypto';
import { sendContent } from './send.mjs';
import { createServer, schemeOf } from './tls.mjs';

const URL_LIFETIME_S = 3600;
const BRIDGE_PATH = /^\/xet-bridge-us\/([0-9a-f]{24})\/([0-9a-f]{64})$/;

/** The file's Xet hash (a stand-in: see above). */
export const xetHash = (content) => createHash('sha256').update(`xet-file:${content.etag}`).digest('hex');

/** The 24-hex id the bridge path names a repo by. */
const repoHex = (repoKey) => createHash('sha1').update(repoKey).digest('hex').slice(0, 24);

function xmlError(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export class XetBridge {
  constructor(faults, tls) {
    this.faults = faults;
    this.tls = tls;
    this.blobs = new Map(); // xet hash → Content
    /** Every request: {method, path, hadAuthorization, headers: {range}, state}, as the CDN's log. */
    this.log = [];
    this.secret = randomBytes(16);
    this.server = createServer(tls, (req, res) => this.handle(req, res).catch(() => res.destroy()));
  }

  async listen(host = '127.0.0.1') {
    await new Promise((resolve) => this.server.listen(0, host, resolve));
    this.url = `${schemeOf(this.tls)}://${host}:${this.server.address().port}`;
  }

  sign(path, expires, disposition) {
    return createHmac('sha256', this.secret).update(`${path}\n${expires}\n${disposition}`).digest('hex');
  }

  /** A signed bridge URL for `content` of the repo `repoKey` (`models/org/name`), as in the Hub's Location. */
  signedUrl(content, repoKey, filename) {
    const hash = xetHash(content);
    this.blobs.set(hash, content);
    const path = `/xet-bridge-us/${repoHex(repoKey)}/${hash}`;
    const expires = String(Math.floor(Date.now() / 1000) + URL_LIFETIME_S);
    const now = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
    const disposition = `inline; filename*=UTF-8''${encodeURIComponent(filename)}; filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}";`;
    const query = new URLSearchParams({
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
      'X-Amz-Credential': `cas/${now.slice(0, 8)}/us-east-1/s3/aws4_request`,
      'X-Amz-Date': now,
      'X-Amz-Expires': String(URL_LIFETIME_S),
      'X-Amz-Signature': this.sign(path, expires, disposition),
      'X-Amz-SignedHeaders': 'host',
      'X-Xet-Cas-Uid': 'public',
      'response-content-disposition': disposition,
      'x-id': 'GetObject',
      Expires: expires,
    });
    return `${this.url}${path}?${query}`;
  }

  async handle(req, res) {
    const url = new URL(req.url, this.url);
    const entry = {
      method: req.method,
      path: url.pathname,
      hadAuthorization: req.headers.authorization !== undefined,
      headers: { range: req.headers.range },
      state: 'open',
    };
    this.log.push(entry);
    res.on('close', () => (entry.state = res.writableFinished ? 'completed' : 'aborted'));
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (url.pathname.startsWith('/v1/reconstructions/')) {
      return xmlError(res, 501, 'NotImplemented', 'The Xet protocol is not emulated');
    }
    if (req.headers.authorization !== undefined) {
      return xmlError(res, 400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
    }
    const hash = BRIDGE_PATH.exec(url.pathname)?.[2];
    const content = hash && this.blobs.get(hash);
    const expires = url.searchParams.get('Expires') ?? '';
    const disposition = url.searchParams.get('response-content-disposition') ?? '';
    if (!content || url.searchParams.get('X-Amz-Signature') !== this.sign(url.pathname, expires, disposition)) {
      return xmlError(res, 403, 'AccessDenied', 'Access Denied');
    }
    if (Number(expires) * 1000 < Date.now()) return xmlError(res, 403, 'AccessDenied', 'Request has expired');
    if (req.method !== 'GET' && req.method !== 'HEAD') return xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    // No ETag: a client has only the Hub's X-Linked-Etag (the sha256) to check against.
    const headers = {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': disposition,
      'Cache-Control': 'public, max-age=31536000',
      'Access-Control-Expose-Headers': 'Accept-Ranges, Content-Range, Content-Type, Content-Disposition',
    };
    await sendContent(req, res, content, headers, this.faults, { corrupt: true });
  }

  close() {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(resolve));
  }
}

/** The headers the Hub's 302 for a Xet-backed file carries beyond the LFS ones. */
export function xetHeaders({ hubUrl, type, repoId, commit, content, bridgeUrl }) {
  const hash = xetHash(content);
  return {
    'X-Xet-Hash': hash,
    Link: `<${hubUrl}/api/${type}s/${repoId}/xet-read-token/${commit}>; rel="xet-auth", <${bridgeUrl}/v1/reconstructions/${hash}>; rel="xet-reconstruction-info"`,
  };
}

/** `GET /api/{models|datasets}/{org}/{name}/xet-read-token/{rev}` */
export const XET_TOKEN_ROUTE = /^\/api\/(models|datasets)\/([^/]+\/[^/]+)\/xet-read-token\/([^/]+)$/;

/** The Xet read token answer, for callers that may read the repo's files. */
export function xetReadToken(res, casUrl) {
  const exp = Math.floor(Date.now() / 1000) + 3600;
  const accessToken = `xet_emulator_${randomBytes(12).toString('hex')}`;
  const body = JSON.stringify({ accessToken, exp, casUrl });
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'X-Xet-Access-Token': accessToken,
    'X-Xet-Token-Expiration': String(exp),
    'X-Xet-Cas-Url': casUrl,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
