// Sending file bytes: single Range requests, and the test fault switches
// (drop the connection after N bytes, corrupt a byte, slow down).

import { sendError } from './errors.mjs';

/**
 * A single `bytes=a-b` / `bytes=a-` / `bytes=-n` range → {start, end};
 * null when absent or not a single byte range (ignored, as RFC 9110 allows
 * and S3 does for multiple ranges); 'bad' when unsatisfiable (→ 416).
 */
export function parseRange(header, size) {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start;
  let end;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
    if (Number(m[2]) === 0) return 'bad';
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== '' && Number(m[2]) < start) return null; // invalid, not unsatisfiable
  }
  if (start >= size || start > end) return 'bad';
  return { start, end };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Answer GET/HEAD for `content` with `headers`, honouring Range and the
 * faults. `corrupt` is only set for CDN answers.
 */
export async function sendContent(req, res, content, headers, faults, { corrupt = false } = {}) {
  const range = parseRange(req.headers.range, content.size);
  if (range === 'bad') {
    return sendError(res, 416, null, 'Requested Range Not Satisfiable', { 'Content-Range': `bytes */${content.size}` });
  }
  const { start, end } = range ?? { start: 0, end: content.size - 1 };
  const out = { ...headers, 'Accept-Ranges': 'bytes', 'Content-Length': String(Math.max(0, end - start + 1)) };
  if (range) out['Content-Range'] = `bytes ${start}-${end}/${content.size}`;
  res.writeHead(range ? 206 : 200, out);
  if (req.method === 'HEAD' || content.size === 0) return res.end();

  let sent = 0;
  const dropAt = faults.dropAfterBytes;
  for (const chunk of content.chunks(start, end)) {
    // Slow: a pause between blocks, none after the last, so a client that
    // has every byte is not kept waiting for the end of the answer.
    if (faults.slowMs && sent > 0) await sleep(faults.slowMs);
    if (res.destroyed) return;
    let piece = chunk;
    if (corrupt && faults.corruptByte && sent === 0) {
      piece = Buffer.from(chunk);
      piece[0] ^= 0xff;
    }
    if (dropAt !== undefined && sent + piece.length > dropAt) {
      if (faults.dropOnce) faults.dropAfterBytes = undefined;
      // Destroy once the partial bytes are flushed: the client sees a cut body.
      await new Promise((resolve) => res.write(piece.subarray(0, Math.max(0, dropAt - sent)), resolve));
      req.socket.destroy();
      return;
    }
    sent += piece.length;
    if (!res.write(piece)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}
