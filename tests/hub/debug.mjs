// Test-only routes under /__emulator/, for clients in other processes (the
// Python fidelity tests) that cannot read the logs or set faults directly:
//   GET /__emulator/cdn-log   every CDN request (never a token)
//   GET /__emulator/xet-log   every Xet bridge request, the same way
//   GET /__emulator/hub-log   every Hub request, authorization classified
//   GET /__emulator/faults    the current faults
//   PUT /__emulator/faults    replace them with the JSON body ({} clears)
// Only answered to loopback peers; never rate-limited or logged.

export const DEBUG_PREFIX = '/__emulator/';

const isLoopback = (address = '') => /^(127\.|::1$|::ffff:127\.)/.test(address);

function sendJson(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(body)) });
  res.end(body);
}

async function readJson(req, limit = 64 * 1024) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new Error('body too large');
  }
  return JSON.parse(body);
}

/** `setFaults(value)` replaces the shared faults object's contents. */
export async function handleDebug(req, res, pathname, { cdnLog, xetLog, hubLog, faults, setFaults }) {
  if (!isLoopback(req.socket.remoteAddress)) return sendJson(res, 404, { error: 'not found' });
  const route = `${req.method} ${pathname.slice(DEBUG_PREFIX.length)}`;
  switch (route) {
    case 'GET cdn-log':
      return sendJson(res, 200, cdnLog);
    case 'GET xet-log':
      return sendJson(res, 200, xetLog);
    case 'GET hub-log':
      return sendJson(res, 200, hubLog);
    case 'GET faults':
      return sendJson(res, 200, faults);
    case 'PUT faults': {
      const value = await readJson(req).catch(() => undefined);
      if (!value || typeof value !== 'object' || Array.isArray(value)) return sendJson(res, 400, { error: 'expected a JSON object' });
      setFaults(value);
      return sendJson(res, 200, faults);
    }
    default:
      return sendJson(res, 404, { error: `no debug route ${route}` });
  }
}
