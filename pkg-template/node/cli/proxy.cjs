'use strict';
// `hubguard proxy`: the token proxy for browser apps, on a local port.
// The token comes from HF_TOKEN or the token file, read at each request; it
// is never printed. One access-log line per request goes to stdout, with no
// token, signed URL or query string in it (the entries are built from the
// parsed request only).

const http = require('node:http');
const { createHash, timingSafeEqual } = require('node:crypto');
const { createHubProxy, toNodeHandler } = require('../index.cjs');
const { parseArgs, UsageError } = require('./args.cjs');

const USAGE = `hubguard proxy --allow REPO [--allow REPO ...] [--port 8787] [--host 127.0.0.1]
                      [--cors-origin ORIGIN ...] [--base-path /hf] [--endpoint URL]
                      [--public-host NAME ...] [--require-bearer-env NAME]
                      [--large-files stream|redirect] [--rate-limit REQUESTS/SECONDS]
                      [--max-concurrent N] [--max-per-client N]
                      [--idle-timeout SECONDS] [--write-timeout SECONDS]`;

const SPEC = {
  '--allow': 'list',
  '--cors-origin': 'list',
  '--public-host': 'list',
  '--port': 'string',
  '--host': 'string',
  '--base-path': 'string',
  '--endpoint': 'string',
  '--require-bearer-env': 'string',
  '--large-files': 'string',
  '--max-concurrent': 'string',
  '--max-per-client': 'string',
  '--rate-limit': 'string',
  '--idle-timeout': 'string',
  '--write-timeout': 'string',
};

/** Seconds on the command line, milliseconds in the options. */
function seconds(flag, value) {
  const n = Number(value);
  if (!(n > 0)) throw new UsageError(`${flag} takes a number of seconds above 0`);
  return Math.round(n * 1000);
}

function options(argv) {
  const { positional, options: o } = parseArgs(argv, SPEC);
  if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
  const opts = {
    allow: o.allow ?? [],
    origins: o.corsOrigin ?? [],
    basePath: o.basePath ?? '',
  };
  if (o.publicHost !== undefined) opts.hosts = o.publicHost;
  if (o.endpoint !== undefined) opts.endpoint = o.endpoint;
  if (o.largeFiles !== undefined) opts.largeFiles = o.largeFiles;
  if (o.maxConcurrent !== undefined) opts.maxConcurrent = Number(o.maxConcurrent);
  if (o.maxPerClient !== undefined) opts.maxPerClient = Number(o.maxPerClient);
  if (o.rateLimit !== undefined) {
    const [requests, perSeconds] = o.rateLimit.split('/').map(Number);
    opts.rateLimit = { requests, perSeconds };
  }
  if (o.idleTimeout !== undefined || o.writeTimeout !== undefined) {
    opts.timeouts = {};
    if (o.idleTimeout !== undefined) opts.timeouts.idle = seconds('--idle-timeout', o.idleTimeout);
    if (o.writeTimeout !== undefined) opts.timeouts.write = seconds('--write-timeout', o.writeTimeout);
  }
  const listen = { port: o.port === undefined ? 8787 : Number(o.port), host: o.host ?? '127.0.0.1' };
  return { opts, listen, bearerEnv: o.requireBearerEnv };
}

/**
 * `--require-bearer-env NAME`: clients must send `Authorization: Bearer
 * <$NAME>`, compared in constant time (both sides hashed first, so their
 * lengths match). The proxy never forwards the header upstream.
 */
function bearerCheck(name, secrets) {
  const value = process.env[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new UsageError(`--require-bearer-env ${name}: the environment variable ${name} is empty or not set`);
  }
  secrets.push(value);
  const expected = createHash('sha256').update(value.trim()).digest();
  const refusal = () =>
    new Response(JSON.stringify({ error: 'This proxy needs `Authorization: Bearer <shared secret>`.' }), {
      status: 401,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer' },
    });
  return (request) => {
    const header = request.headers.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7).trim() : null;
    const digest = createHash('sha256').update(given ?? '').digest();
    return given !== null && timingSafeEqual(digest, expected) ? true : refusal();
  };
}

/** One line per request: when, who, what, how it ended. */
function logLine(e) {
  const what = e.repo ? `${e.repoType === 'dataset' ? 'datasets/' : ''}${e.repo}@${e.revision} ${e.file}` : '-';
  const tail = [e.outcome === 'complete' ? '' : e.outcome, e.error ? `(${e.error})` : ''].filter(Boolean).join(' ');
  return `${new Date().toISOString()} ${e.identity} ${e.method} ${what} ${e.status} ${e.bytes}B ${e.ms}ms${tail ? ' ' + tail : ''}`;
}

/** Resolves when the server stops (SIGTERM/SIGINT). Invalid options throw (exit 2). */
async function proxy(argv, secrets = []) {
  const { opts, listen, bearerEnv } = options(argv);
  if (bearerEnv !== undefined) opts.authorize = bearerCheck(bearerEnv, secrets);
  opts.onRequest = (entry) => process.stdout.write(logLine(entry) + '\n');
  let handler;
  try {
    handler = createHubProxy(opts);
  } catch (e) {
    // A configuration the proxy refuses is a usage problem, as before.
    throw new UsageError(e.message);
  }
  const server = http.createServer(toNodeHandler(handler));
  // A client that sends its request slowly, or not at all, loses its socket.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise((resolve) => server.listen(listen.port, listen.host, resolve));
  const { port } = server.address();
  console.log(`hubguard proxy listening on http://${listen.host}:${port}${opts.basePath} for ${opts.allow.join(', ')}`);
  await new Promise((resolve) => {
    const stop = () => {
      server.close(resolve);
      server.closeAllConnections?.();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

module.exports = { proxy, USAGE };
