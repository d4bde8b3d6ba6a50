// Starts `hubguard proxy` (the packed package's CLI) as a child process, and
// sends raw HTTP requests so hostile request targets arrive unaltered.

import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { consumerDir, cleanEnv } from './consumer.mjs';

export async function startProxy(args, env) {
  const bin = path.join(consumerDir, 'node_modules/hubguard/bin/hubguard.cjs');
  const child = spawn(process.execPath, [bin, 'proxy', '--port', '0', ...args], { env: cleanEnv(env), cwd: consumerDir });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      output += d;
      const m = /listening on (http:\/\/[^\s/]+)/.exec(output);
      if (m) resolve(m[1]);
    });
    child.stderr.on('data', (d) => (output += d));
    child.on('exit', (code) => reject(new Error(`proxy exited ${code}: ${output}`)));
  });
  return {
    url,
    pid: child.pid,
    get output() {
      return output;
    },
    stop: () => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')),
  };
}

/** One raw HTTP/1.1 request; resolves to {status, headers, body}. */
export function rawRequest(origin, head, body = '') {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      socket.end(`${head}\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n${body}`);
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
