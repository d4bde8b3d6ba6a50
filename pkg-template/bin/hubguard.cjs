#!/usr/bin/env node
'use strict';
// hubguard command line.
//   hubguard proxy --allow REPO [--allow REPO ...] [--port 8787] [--host 127.0.0.1]
//                  [--cors-origin ORIGIN ...] [--base-path /hf] [--endpoint URL]
//                  [--rate-limit N/SECONDS] [--max-concurrent N]
// The token comes from HF_TOKEN or the token file, read at each request; it
// is never printed.

const http = require('node:http');
const { createHubProxy, toNodeHandler, HubError } = require('../node/index.cjs');

const USAGE = `usage: hubguard proxy --allow REPO [--allow REPO ...] [--port 8787] [--host 127.0.0.1]
                      [--cors-origin ORIGIN ...] [--base-path /hf] [--endpoint URL]
                      [--rate-limit REQUESTS/SECONDS] [--max-concurrent N]`;

function parse(argv) {
  const opts = { allow: [], origins: [], port: 8787, host: '127.0.0.1', basePath: '' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--allow': opts.allow.push(value()); break;
      case '--cors-origin': opts.origins.push(value()); break;
      case '--port': opts.port = Number(value()); break;
      case '--host': opts.host = value(); break;
      case '--base-path': opts.basePath = value(); break;
      case '--endpoint': opts.endpoint = value(); break;
      case '--max-concurrent': opts.maxConcurrent = Number(value()); break;
      case '--rate-limit': {
        const [requests, perSeconds] = value().split('/').map(Number);
        opts.rateLimit = { requests, perSeconds };
        break;
      }
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  return opts;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command !== 'proxy') {
    console.error(USAGE);
    process.exit(command === undefined || command === '--help' ? 0 : 2);
  }
  let opts;
  try {
    opts = parse(rest);
  } catch (e) {
    console.error(`hubguard: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  let handler;
  try {
    handler = createHubProxy(opts);
  } catch (e) {
    console.error(`hubguard: ${e instanceof HubError ? e.message : e}`);
    process.exit(2);
  }
  const server = http.createServer(toNodeHandler(handler));
  server.listen(opts.port, opts.host, () => {
    const { port } = server.address();
    console.log(`hubguard proxy listening on http://${opts.host}:${port}${opts.basePath} for ${opts.allow.join(', ')}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
