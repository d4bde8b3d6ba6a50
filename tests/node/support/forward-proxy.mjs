// A real forward proxy for the tests: Debian's tinyproxy (package
// tinyproxy-bin, which .ci/run installs), on a free loopback port, logging
// every request line it receives. With `auth`, it asks for Basic
// Proxy-Authorization.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  const server = net.createServer();
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    }),
  );
}

function accepting(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** → { url, port, requests(), stop() }; `requests()` are the request lines it logged, in order. */
export async function startForwardProxy({ auth } = {}) {
  if (spawnSync('tinyproxy', ['-v']).error) {
    throw new Error('tinyproxy is needed for the forward-proxy tests: apt-get install tinyproxy-bin (.ci/run does)');
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'hubguard-tinyproxy-'));
  const log = path.join(dir, 'tinyproxy.log');
  const port = await freePort();
  const config = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${log}"`,
    'LogLevel Info',
    'MaxClients 64',
    ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
  ].join('\n');
  writeFileSync(path.join(dir, 'tinyproxy.conf'), `${config}\n`);
  const child = spawn('tinyproxy', ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 100 && !(await accepting(port)); i++) await sleep(50);
  if (!(await accepting(port))) throw new Error(`tinyproxy did not start on port ${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests() {
      const text = readFileSync(log, 'latin1');
      return [...text.matchAll(/Request \(file descriptor \d+\): (.*)$/gm)].map((m) => m[1].trim());
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
