// The file storage the Hub redirects LFS downloads to, on another origin.
// Like signed-URL storage (S3, CloudFront): the URL's query carries the
// credentials (a signature and an expiry), and any request that also
// carries an Authorization header is refused with 400 — so a client that
// forwards the Hub token past the redirect fails loudly here.

import { createHmac, randomBytes } from 'node:crypto';
import { sendContent } from './send.mjs';
import { createServer, schemeOf } from './tls.mjs';

const URL_LIFETIME_S = 3600;
/** The headers the Hub's CDN lets any page read (with `Access-Control-Allow-Origin: *`). */
export const CDN_EXPOSED_HEADERS = 'Accept-Ranges, Content-Range, Content-Type, Content-Disposition, ETag, X-Cache';
const BLOB_PATH = /^\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})$/;

function xmlError(res, status, code, message) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'Content-Type': 'application/xml', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export class Cdn {
  constructor(faults, tls) {
    this.faults = faults;
    this.tls = tls;
    this.blobs = new Map(); // sha256 → Content
    /** Every request: {method, path, hadAuthorization, headers: {range}, state: 'open'|'completed'|'aborted'}. */
    this.log = [];
    this.secret = randomBytes(16);
    this.server = createServer(tls, (req, res) => this.handle(req, res).catch(() => res.destroy()));
  }

  async listen(host = '127.0.0.1') {
    await new Promise((resolve) => this.server.listen(0, host, resolve));
    this.url = `${schemeOf(this.tls)}://${host}:${this.server.address().port}`;
  }

  sign(sha, expires, disposition) {
    return createHmac('sha256', this.secret).update(`${sha}\n${expires}\n${disposition}`).digest('hex');
  }

  /** A pre-signed URL for `content`, as the Hub puts in Location. */
  signedUrl(content, filename) {
    this.blobs.set(content.etag, content);
    const sha = content.etag;
    const expires = String(Math.floor(Date.now() / 1000) + URL_LIFETIME_S);
    const disposition = `inline; filename*=UTF-8''${encodeURIComponent(filename)}; filename="${filename.replace(/[^\x20-\x7e]|"/g, '_')}";`;
    const query = new URLSearchParams({
      'response-content-disposition': disposition,
      Expires: expires,
      'X-Amz-Signature': this.sign(sha, expires, disposition),
    });
    return `${this.url}/repos/${sha.slice(0, 2)}/${sha.slice(2, 4)}/${sha}?${query}`;
  }

  async handle(req, res) {
    const url = new URL(req.url, this.url);
    const entry = {
      method: req.method,
      path: url.pathname,
      hadAuthorization: req.headers.authorization !== undefined,
      headers: { range: req.headers.range },
      // 'open' until the answer ends: 'completed', or 'aborted' (client left or a fault cut it).
      state: 'open',
    };
    this.log.push(entry);
    res.on('close', () => (entry.state = res.writableFinished ? 'completed' : 'aborted'));
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.headers.authorization !== undefined) {
      return xmlError(res, 400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
    }
    const sha = BLOB_PATH.exec(url.pathname)?.[1];
    const content = sha && this.blobs.get(sha);
    const expires = url.searchParams.get('Expires') ?? '';
    const disposition = url.searchParams.get('response-content-disposition') ?? '';
    if (!content || url.searchParams.get('X-Amz-Signature') !== this.sign(sha, expires, disposition)) {
      return xmlError(res, 403, 'AccessDenied', 'Access Denied');
    }
    if (Number(expires) * 1000 < Date.now()) return xmlError(res, 403, 'AccessDenied', 'Request has expired');
    if (req.method !== 'GET' && req.method !== 'HEAD') return xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
    const headers = {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': disposition,
      ETag: `"${sha}"`,
      // As the real CDN answers (a 2026 capture of the Xet bridge: tests/python/test_cdn_cors.py).
      'Access-Control-Expose-Headers': CDN_EXPOSED_HEADERS,
    };
    await sendContent(req, res, content, headers, this.faults, { corrupt: true });
  }

  close() {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(resolve));
  }
}
