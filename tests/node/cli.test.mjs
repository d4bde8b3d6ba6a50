// The packed package's CLI: login / logout / whoami / download, against the
// local Hub emulator. No output may ever contain a token.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cleanEnv, consumerDir } from './support/consumer.mjs';
import { useHub, TOKENS, GATED, PUBLIC } from './support/hub.mjs';

const local = useHub();
const BIN = path.join(consumerDir, 'node_modules/hubguard/bin/hubguard.cjs');
const BAD_TOKEN = 'hf_notarealtokenatall0000000000';
const SECRETS = [...Object.values(TOKENS), BAD_TOKEN];

/**
 * Runs `hubguard ...args` (async: the Hub runs in this process) with pipes
 * for stdin/stdout/stderr; `input` is written to stdin, which is then closed.
 */
function cli(args, { env = {}, input = '', home } = {}) {
  const base = cleanEnv({ HF_ENDPOINT: local.hub.url, ...env });
  if (home) Object.assign(base, { HOME: home, USERPROFILE: home });
  const child = spawn(process.execPath, [BIN, ...args], { env: base, cwd: consumerDir });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      for (const secret of SECRETS) {
        assert.ok(!stdout.includes(secret) && !stderr.includes(secret), `a token was printed by hubguard ${args[0]}`);
      }
      resolve({ code, stdout, stderr });
    });
  });
}

const newHome = () => mkdtempSync(path.join(tmpdir(), 'hubguard-cli-'));
const tokenFileOf = (home) => path.join(home, '.cache', 'huggingface', 'token');

test('login checks the token with whoami and writes the token file 0600; a bad token writes nothing', async () => {
  const home = newHome();
  const bad = await cli(['login', '--token', BAD_TOKEN], { home });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /^hubguard: .*invalid or revoked/);
  assert.equal(bad.stdout, '');
  assert.ok(!existsSync(tokenFileOf(home)));

  // Piped on stdin (the TTY prompt is for people).
  const good = await cli(['login'], { home, input: `${TOKENS.accepted}\n` });
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /Logged in as alice \(orgs: hubguard-test\)/);
  assert.ok(good.stdout.includes(tokenFileOf(home)));
  assert.equal(readFileSync(tokenFileOf(home), 'utf8'), TOKENS.accepted);
  assert.equal(statSync(tokenFileOf(home)).mode & 0o777, 0o600);

  // A failed login later leaves the good token in place.
  const again = await cli(['login', '--token', BAD_TOKEN], { home });
  assert.equal(again.code, 1);
  assert.equal(readFileSync(tokenFileOf(home), 'utf8'), TOKENS.accepted);
  const empty = await cli(['login'], { home, input: '\n' });
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /^hubguard: no token given/);
});

test('login writes where huggingface_hub reads: HF_TOKEN_PATH, else HF_HOME/token', async () => {
  const dir = newHome();
  const custom = path.join(dir, 'nested', 'my-token');
  const r = await cli(['login', '--token', TOKENS.noaccess], { env: { HF_TOKEN_PATH: custom } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(custom, 'utf8'), TOKENS.noaccess);
  assert.equal(statSync(custom).mode & 0o777, 0o600);
  const hfHome = path.join(dir, 'hf-home');
  assert.equal((await cli(['login', '--token', TOKENS.noaccess], { env: { HF_HOME: hfHome } })).code, 0);
  assert.equal(readFileSync(path.join(hfHome, 'token'), 'utf8'), TOKENS.noaccess);
});

test('login into an HF_HOME through a dangling symlink fails with the reason, and does not hang', { timeout: 60_000 }, async () => {
  const hfHome = path.join(newHome(), 'unmounted');
  symlinkSync(path.join(newHome(), 'gone', 'disk'), hfHome);
  const r = await cli(['login', '--token', TOKENS.noaccess], { env: { HF_HOME: path.join(hfHome, 'hf') } });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^hubguard: Could not write the token file .*\(ENOENT/);
});

test('whoami reads the token file; logout removes it', async () => {
  const home = newHome();
  const none = await cli(['whoami'], { home });
  assert.equal(none.code, 1);
  assert.match(none.stderr, /^hubguard: Not logged in/);

  assert.equal((await cli(['login', '--token', TOKENS.accepted], { home })).code, 0);
  const me = await cli(['whoami'], { home });
  assert.equal(me.code, 0, me.stderr);
  assert.equal(me.stdout, 'alice\norgs: hubguard-test\n');

  const out = await cli(['logout'], { home });
  assert.equal(out.code, 0);
  assert.ok(!existsSync(tokenFileOf(home)));
  assert.equal((await cli(['whoami'], { home })).code, 1);
  const twice = await cli(['logout'], { home });
  assert.equal(twice.code, 0);
  assert.match(twice.stdout, /Not logged in/);

  // A token file that the Hub no longer accepts.
  writeFileSync(tokenFileOf(home), BAD_TOKEN);
  const stale = await cli(['whoami'], { home });
  assert.equal(stale.code, 1);
  assert.match(stale.stderr, /^hubguard: The Hub rejected the token from the token file/);
});

test('download prints the local paths, with no progress output when stderr is not a terminal', async () => {
  const home = newHome();
  const files = await cli(['download', GATED, 'tokenizer.json', 'config.json'], { env: { HF_TOKEN: TOKENS.accepted, HF_HOME: home } });
  assert.equal(files.code, 0, files.stderr);
  assert.equal(files.stderr, '');
  const paths = files.stdout.trim().split('\n');
  assert.equal(paths.length, 2);
  assert.deepEqual(readFileSync(paths[0]), local.hub.readFile(GATED, 'tokenizer.json'));
  assert.deepEqual(readFileSync(paths[1]), local.hub.readFile(GATED, 'config.json'));

  const snapshot = await cli(['download', PUBLIC, '--include', '*.json', '--exclude', 'config.json', '--revision', 'v1.0'], { env: { HF_HOME: home } });
  assert.equal(snapshot.code, 0, snapshot.stderr);
  assert.equal(snapshot.stderr, '');
  const folder = snapshot.stdout.trim();
  assert.equal(folder, path.join(home, 'hub', `models--${PUBLIC.replace('/', '--')}`, 'snapshots', local.hub.commitOf(PUBLIC, 'v1.0')));
  assert.equal(JSON.parse(readFileSync(path.join(folder, 'tokenizer_config.json'), 'utf8')).model_max_length, 4096);
  assert.ok(!existsSync(path.join(folder, 'config.json')));

  const offline = await cli(['download', PUBLIC, '--revision', 'v1.0', '--local-files-only'], { env: { HF_HOME: home } });
  assert.equal(offline.stdout.trim(), folder);
  const cacheDir = path.join(home, 'elsewhere');
  const custom = await cli(['download', PUBLIC, 'tokenizer_config.json', '--cache-dir', cacheDir], { env: { HF_HOME: home } });
  assert.ok(custom.stdout.startsWith(cacheDir), custom.stdout);
});

test('download errors are one scrubbed line and exit 1; wrong usage exits 2', async () => {
  const gated = await cli(['download', GATED, 'tokenizer.json'], { env: { HF_TOKEN: TOKENS.noaccess, HF_HOME: newHome() } });
  assert.equal(gated.code, 1);
  assert.match(gated.stderr, /^hubguard: meta-llama\/Llama-2-7b-hf is a gated repo/);
  assert.equal(gated.stderr.trim().split('\n').length, 1);
  assert.equal(gated.stdout, '');
  const invalid = await cli(['download', GATED, 'tokenizer.json'], { env: { HF_TOKEN: BAD_TOKEN, HF_HOME: newHome() } });
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /^hubguard: The Hub rejected the token from the HF_TOKEN environment variable/);

  for (const args of [['download'], ['download', PUBLIC, '--bogus'], ['frobnicate'], ['login', '--token']]) {
    const r = await cli(args, { home: newHome() });
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^hubguard: /);
  }
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /hubguard login/);
  assert.match(help.stdout, /hubguard proxy/);
});

test('an error quoting a token-shaped argument prints it redacted', async () => {
  const r = await cli(['whoami', 'hf_pastedintothewrongplace0123'], { home: newHome() });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^hubguard: unexpected argument <redacted token>\n/);
  assert.ok(!r.stderr.includes('pastedintothewrongplace'), r.stderr);
});

test('an error quoting the token from HF_TOKEN prints it redacted, whatever its shape', async () => {
  const secret = 'an-odd-token-without-the-prefix';
  const r = await cli(['whoami', secret], { home: newHome(), env: { HF_TOKEN: secret } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^hubguard: unexpected argument <redacted token>\n/);
  assert.ok(!r.stderr.includes(secret), r.stderr);
});

// `script` runs the CLI on a pseudo-terminal, as a person would.
const hasScript = existsSync('/usr/bin/script');
test('download draws a progress bar on a terminal', { skip: !hasScript && 'needs util-linux script' }, async () => {
  const home = newHome();
  const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} download ${PUBLIC} tokenizer.json`;
  const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], { env: cleanEnv({ HF_ENDPOINT: local.hub.url, HF_HOME: home }) });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (output += d));
  child.stdin.end();
  const code = await new Promise((resolve) => child.on('close', resolve));
  assert.equal(code, 0, output);
  assert.match(output, /tokenizer\.json +\[#+\] 100%/);
  assert.ok(output.includes(path.join(home, 'hub')), output);
});
