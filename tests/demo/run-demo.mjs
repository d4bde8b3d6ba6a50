// `make demo`: the seed program, verbatim, against the bundled local Hub,
// three ways: no token, a token without access, an accepted token.
// The package is the packed tarball installed in target/consumer.

import { readFileSync } from 'node:fs';
import { startHub } from '../hub/server.mjs';
import { TOKENS } from '../hub/auth.mjs';
import { runScript } from '../node/support/consumer.mjs';

const seed = readFileSync(new URL('./llama.js', import.meta.url), 'utf8');
const hub = await startHub();
const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

console.log(`Local Hub at ${hub.url} (CDN for large files at ${hub.cdnUrl}).`);
console.log('meta-llama/Llama-2-7b-hf is gated there, as on huggingface.co.\n');
console.log(seed.trimEnd().replace(/^/gm, '    '));

const runs = [
  ['no token', {}],
  ['a token whose account has not been granted access', { HF_TOKEN: TOKENS.noaccess }],
  ['an accepted token', { HF_TOKEN: TOKENS.accepted }],
];

let failures = 0;
try {
  for (const [label, env] of runs) {
    const shown = env.HF_TOKEN ? 'HF_TOKEN=hf_*** ' : '';
    console.log(`\n${bold(`$ ${shown}node llama.js`)}    # ${label}`);
    const run = await runScript(seed, { name: 'llama.js', env: { HF_ENDPOINT: hub.url, ...env } });
    if (run.code === 0) {
      process.stdout.write(run.stdout);
    } else {
      // Node prints an uncaught error with its stack; the first line and the
      // code are what a user reads.
      const message = run.stderr.split('\n').find((l) => l.startsWith('HubError:')) ?? run.stderr;
      const code = run.stderr.match(/code: '([A-Z_]+)'/)?.[1];
      console.log(`${message}\n  (exit ${run.code}, code ${code})`);
    }
    const expectOk = label === 'an accepted token';
    if (expectOk !== (run.code === 0) || (expectOk && run.stdout !== '[ 1, 15043, 3186, 29991 ]\n')) failures++;
  }
  const withAuth = hub.cdnLog.filter((r) => r.hadAuthorization).length;
  console.log(`\nThe CDN served ${hub.cdnLog.length} request(s); ${withAuth} carried a token.`);
  if (withAuth) failures++;
} finally {
  await hub.close();
}
process.exitCode = failures ? 1 : 0;
