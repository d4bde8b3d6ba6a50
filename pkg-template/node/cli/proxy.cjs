'use strict';
// `hubguard proxy`: the token proxy for browser apps, on a local port.
// The token comes from HF_TOKEN or the token file, read at each request; it
// is never printed.

const http = require('node:http');
const { createHubProxy, toNodeHandler } = require('../index.cjs');
const { parseArgs, UsageError } = require('./args.cjs');

const USAGE = `hubguard proxy --allow REPO [--allow REPO ...] [--port 8787] [--host 127.0.0.1]
                      [--cors-origin ORIGIN ...] [--base-path /hf] [--endpoint URL]
                      [--rate-limit REQUESTS/SECONDS] [--max-concurrent N]`;

const SPEC = {
  '--allow': 'list',
  '--cors-origin': 'list',
  '--port': 'string',
  '--host': 'string',
  '--base-path': 'string',
  '--endpoint': 'string',
  '--max-concurrent': 'string',
  '--rate-limit': 'string',
};

function options(argv) {
  const { positional, options: o } = parseArgs(argv, SPEC);
  if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
  const opts = {
    allow: o.allow ?? [],
    origins: o.corsOrigin ?? [],
    port: o.port === undefined ? 8787 : Number(o.port),
    host: o.host ?? '127.0.0.1',
    basePath: o.basePath ?? '',
  };
  if (o.endpoint !== undefined) opts.endpoint = o.endpoint;
  if (o.maxConcurrent !== undefined) opts.maxConcurrent = Number(o.maxConcurrent);
  if (o.rateLimit !== undefined) {
    const [requests, perSeconds] = o.rateLimit.split('/').map(Number);
    opts.rateLimit = { requests, perSeconds };
  }
  return opts;
}

/** Resolves when the server stops (SIGTERM/SIGINT). Invalid options throw (exit 2). */
async function proxy(argv) {
  const opts = options(argv);
  let handler;
  try {
    handler = createHubProxy(opts);
  } catch (e) {
    // A configuration the proxy refuses is a usage problem, as before.
    throw new UsageError(e.message);
  }
  const server = http.createServer(toNodeHandler(handler));
  await new Promise((resolve) => server.listen(opts.port, opts.host, resolve));
  const { port } = server.address();
  console.log(`hubguard proxy listening on http://${opts.host}:${port}${opts.basePath} for ${opts.allow.join(', ')}`);
  await new Promise((resolve) => {
    const stop = () => server.close(resolve);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

module.exports = { proxy, USAGE };
