// The file storage the Hub redirects LFS downloads to, on another origin.
// Like signed-URL storage (S3, CloudFront), it answers 400 to any request
// that carries Authorization, and checks the URL's signature.

import http from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { sendContent } from './send.mjs';

export class Cdn {
  constructor(faults) {
    this.faults = faults;
    this.blobs = new Map(); // sha256 → Content
    this.log = [];
    this.secret = randomBytes(16);
    this.server = http.createServer((req, res) => this.handle(req, res).catch(() => res.destroy()));
  }

  async listen(host = '127.0.0.1') {
    await new Promise((resolve) => this.server.listen(0, host, resolve));
    this.url = `http://${host}:${this.server.address().port}`;
  }

  sign(sha) {
    return createHmac('sha256', this.secret).update(sha).digest('hex');
  }

  /** A pre-signed URL for `content`, as the Hub puts in Location. */
  signedUrl(content, filename) {
    this.blobs.set(content.etag, content);
    const sha = content.etag;
    const query = new URLSearchParams({
      'response-content-disposition': `attachment; filename="${filename}"`,
      'X-Amz-Expires': '3600',
      'X-Amz-Signature': this.sign(sha),
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
      // 'open' until the answer ends: 'completed', or 'aborted' by the client.
      state: 'open',
    };
    this.log.push(entry);
    res.on('close', () => (entry.state = res.writableFinished ? 'completed' : 'aborted'));
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.headers.authorization !== undefined) {
      res.writeHead(400, { 'Content-Type': 'application/xml' });
      return res.end('<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message></Error>');
    }
    const sha = /^\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(url.pathname)?.[1];
    const content = sha && this.blobs.get(sha);
    if (!content || url.searchParams.get('X-Amz-Signature') !== this.sign(sha)) {
      res.writeHead(403, { 'Content-Type': 'application/xml' });
      return res.end('<Error><Code>AccessDenied</Code></Error>');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405);
      return res.end();
    }
    const headers = { 'Content-Type': 'application/octet-stream', ETag: `"${sha}"` };
    await sendContent(req, res, content, headers, this.faults, { corrupt: true });
  }

  close() {
    this.server.closeAllConnections?.();
    return new Promise((resolve) => this.server.close(resolve));
  }
}
