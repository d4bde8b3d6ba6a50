// Every concurrency slot comes back, on every path (issue 17): clients that
// leave before the headers or mid-body, an upstream that breaks or stalls,
// an `authorize` that throws. After each, the proxy must serve at its full
// concurrency again. Both ways toNodeHandler sends a body are run: the
// native pipe (createHubProxy's own answers) and the web-stream loop (any
// other Fetch handler's Response). A slow client must not leak listeners.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TOKENS } from './support/hub.mjs';
import { startProxy, startProxyScript, partialGet } from './support/proxy.mjs';
import { startHostileHub } from './support/hostile-hub.mjs';
import net from 'node:net';

const CAP = 4;
let hostile;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  hostile = await startHostileHub();
});
after(() => hostile?.close());

/** A proxy on the hostile upstream; `web` makes toNodeHandler use its web-stream loop. */
function proxyOn({ web }) {
  return startProxyScript(
    `{
      allow: ['org/ok'],
      endpoint: ${JSON.stringify(hostile.url)},
      maxConcurrent: ${CAP},
      maxPerClient: ${CAP},
      rateLimit: { requests: 10000, perSeconds: 1 },
      timeouts: { idle: 1000, write: 1000 },
      authorize(request) {
        if (request.headers.get('x-throw')) throw new Error('authorize failed');
        return true;
      },
      ${web ? 'wrap: (handler) => async (request, context) => { const r = await handler(request, context); return new Response(r.body, r); },' : ''}
    }`,
    { HF_TOKEN: TOKENS.accepted },
  );
}

/** Waits until the proxy has logged `count` answers in all (every answer logs once, when it ends). */
async function settled(p, count) {
  const deadline = Date.now() + 15_000;
  while (p.entries.length < count && Date.now() < deadline) await sleep(20);
  assert.equal(p.entries.length, count, p.output);
}

/** CAP downloads at once, each holding its slot: all must be let in. */
async function fullConcurrency(p) {
  const before = p.entries.length;
  const held = await Promise.all(Array.from({ length: CAP }, () => partialGet(p.url, '/org/ok/resolve/main/big.bin', { stall: true, after: 1 })));
  assert.deepEqual(held.map((h) => h.status), Array(CAP).fill(200), 'every slot was free');
  for (const h of held) h.socket.destroy();
  await settled(p, before + CAP);
}

const STAGES = {
  'a client gone before the headers': (url) => partialGet(url, '/org/ok/resolve/main/slow-headers', { dropAfterMs: 300 }),
  'a client gone mid-body': (url) => partialGet(url, '/org/ok/resolve/main/big.bin', { after: 256 << 10 }),
  'an upstream that breaks mid-body': (url) => partialGet(url, '/org/ok/resolve/main/cut.bin', { after: 2 << 20 }),
  'an upstream that stalls (idle timeout)': (url) => partialGet(url, '/org/ok/resolve/main/stall.bin', { after: 2 << 20 }),
  'an authorize that throws': (url) => partialGet(url, '/org/ok/resolve/main/config.json', { after: 1 << 20, headers: 'x-throw: 1\r\n' }),
};

for (const web of [false, true]) {
  const how = web ? 'web-stream loop' : 'native pipe';
  test(`every slot comes back after each way an answer can end (${how})`, async () => {
    const p = await proxyOn({ web });
    try {
      await fullConcurrency(p);
      for (const [stage, run] of Object.entries(STAGES)) {
        const before = p.entries.length;
        // As many at once as there are slots: one lost slot would show.
        await Promise.all(Array.from({ length: CAP }, () => run(p.url)));
        await settled(p, before + CAP);
        const outcomes = p.entries.slice(before).map((e) => `${e.status} ${e.outcome}`);
        assert.ok(outcomes.every((o) => !o.startsWith('429') && !o.startsWith('503')), `${stage}: ${outcomes}`);
        await fullConcurrency(p);
      }
      const outcomes = new Set(p.entries.map((e) => e.outcome));
      for (const o of ['aborted', 'failed', 'timeout', 'complete']) assert.ok(outcomes.has(o), `${o} in ${[...outcomes]}`);
      assert.ok(p.entries.some((e) => e.status === 500 && /authorize/.test(e.error)));
      assert.ok(p.alive);
    } finally {
      await p.stop();
    }
  });
}

/** Reads a whole answer slowly (a pause after every chunk), so the server waits for 'drain' again and again. */
function slowRead(url, target) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\n\r\n`),
    );
    let bytes = 0;
    socket.on('data', (d) => {
      bytes += d.length;
      socket.pause();
      setTimeout(() => socket.resume(), 2);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(bytes));
  });
}

test('a slow client leaks no listener: no MaxListenersExceededWarning, in either body path', async () => {
  const cli = await startProxy(['--allow', 'org/ok'], { HF_TOKEN: TOKENS.accepted, HF_ENDPOINT: hostile.url });
  const script = await proxyOn({ web: true });
  try {
    for (const p of [cli, script]) {
      const bytes = await slowRead(p.url, '/org/ok/resolve/main/big.bin');
      assert.ok(bytes > 32 << 20, `${bytes}`);
      await sleep(200);
      assert.ok(!/MaxListenersExceeded|memory leak/.test(p.stderr), p.stderr);
    }
  } finally {
    await cli.stop();
    await script.stop();
  }
});
