// Starts `hubguard proxy` (the packed package's CLI), or a script that
// serves createHubProxy through toNodeHandler, as a child process, and
// sends raw HTTP requests so hostile request targets arrive unaltered.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { consumerDir, cleanEnv } from './consumer.mjs';

/** A running child that prints `listening on http://…`; `entries` are its access-log lines. */
function serve(args, env, { cwd = consumerDir } = {}) {
  const child = spawn(process.execPath, args, { env: cleanEnv(env), cwd });
  let output = '';
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      output += d;
      const m = /listening on (http:\/\/[^\s/]+)/.exec(output);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (d) => {
      output += d;
      stderr += d;
    });
    child.on('exit', (code) => reject(new Error(`proxy exited ${code}: ${output}`)));
  }).then((url) => ({
    url,
    pid: child.pid,
    get output() {
      return output;
    },
    get stderr() {
      return stderr;
    },
    /** Whether the process is still running (a crash would have ended it). */
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    /** Access-log entries a script printed as `ENTRY {json}` lines. */
    get entries() {
      return output
        .split('\n')
        .filter((l) => l.startsWith('ENTRY '))
        .map((l) => JSON.parse(l.slice(6)));
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', resolve).kill('SIGTERM');
      }),
  }));
}

export function startProxy(args, env) {
  const bin = path.join(consumerDir, 'node_modules/hubguard/bin/hubguard.cjs');
  return serve([bin, 'proxy', '--port', '0', ...args], env);
}

/**
 * createHubProxy(options) behind toNodeHandler on 127.0.0.1, in a child.
 * `options` is JS source for the options object (it may hold functions);
 * each access-log entry is printed as an `ENTRY` line. An extra `wrap`
 * key, a function of the handler, is applied before toNodeHandler.
 */
export function startProxyScript(options, env = {}) {
  mkdirSync(path.join(consumerDir, 'runs'), { recursive: true });
  const dir = mkdtempSync(path.join(consumerDir, 'runs', 'proxy-'));
  const file = path.join(dir, 'proxy.mjs');
  writeFileSync(
    file,
    `import http from 'node:http';
     import { createHubProxy, toNodeHandler } from 'hubguard';
     const { wrap, ...options } = ${options};
     const handler = createHubProxy({ ...options, onRequest: (e) => process.stdout.write('ENTRY ' + JSON.stringify(e) + '\\n') });
     const server = http.createServer(toNodeHandler(wrap ? wrap(handler) : handler));
     server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
     process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });`,
  );
  return serve([file], env, { cwd: dir });
}

/** One raw HTTP/1.1 request; resolves to {status, headers, body}. `host` overrides the Host header. */
export function rawRequest(origin, head, body = '', { host } = {}) {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      // write, not end: a half-closed socket reads as a client that left.
      socket.write(`${head}\r\nHost: ${host ?? `${hostname}:${port}`}\r\nConnection: close\r\n\r\n${body}`);
    });
    let data = Buffer.alloc(0);
    socket.on('data', (d) => (data = Buffer.concat([data, d])));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = data.toString('latin1');
      const [headText, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = headText.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/**
 * A GET that reads the status line and headers, then behaves as told:
 * `stall` stops reading (the socket is paused, as a client that stopped
 * reading is), `drop` destroys the socket after `after` body bytes (0:
 * before any). `dropAfterMs` destroys it that long after sending, answered
 * or not (a client gone before the headers). `from` picks the client's own
 * address (127.0.0.x). Resolves to { status, socket, received } once it
 * stalled or dropped (status 0: no answer had come).
 */
export function partialGet(origin, target, { stall = false, after = 0, from, headers = '', dropAfterMs } = {}) {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port: Number(port), host: hostname, localAddress: from });
    socket.on('connect', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n${headers}\r\n`);
      if (dropAfterMs !== undefined) setTimeout(() => socket.destroy(), dropAfterMs);
    });
    let head = '';
    let status = 0;
    let received = 0;
    socket.on('data', (d) => {
      if (!status) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        status = Number(head.split(' ')[1]);
        received = head.length - end - 4;
      } else {
        received += d.length;
      }
      if (dropAfterMs === undefined && received >= after) {
        if (stall) socket.pause();
        else socket.destroy();
        resolve({ status, socket, received });
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ status, socket, received }));
  });
}
