// Small helpers the test files share: a Python child and a dead origin.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';

/**
 * Run Python `code` with `env` (plus PATH and HOME) and return its stdout.
 * Async on purpose: the Hub emulator runs in the test process, so a blocking
 * spawnSync would stall it while Python waits for its answers.
 */
export async function python(code, env) {
  const child = spawn(process.env.PYTHON ?? 'python3', ['-c', code], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const status = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  assert.equal(status, 0, stderr);
  return stdout.trim();
}

/** A loopback URL where nothing listens: bind a port, then free it. */
export async function closedOrigin() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
