'use strict';
// `hubguard login | logout | whoami`: the token file huggingface_hub reads
// ($HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token),
// written with mode 0600 only after the Hub accepted the token. The token
// itself is never printed.

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const { whoami } = require('../index.cjs');
const runtime = require('../runtime.cjs');
const { parseArgs, UsageError } = require('./args.cjs');
const { readSecret } = require('./prompt.cjs');

const USAGE = `hubguard login [--token TOKEN]     (else the token is read from stdin, hidden on a terminal)
       hubguard logout
       hubguard whoami`;

class CliError extends Error {}

function tokenFile() {
  const file = runtime.shared().run((glue) => glue.tokenFilePath());
  if (!file) throw new CliError('no home folder was found: set HF_HOME or HF_TOKEN_PATH');
  return file;
}

function describe(user) {
  const orgs = (user.orgs ?? []).map((o) => o.name).filter(Boolean);
  return { name: user.name, orgs };
}

/** Write `token` to `file` all at once, readable by its owner only. */
function writeToken(file, token) {
  const partial = `${file}.${crypto.randomBytes(4).toString('hex')}.incomplete`;
  try {
    makeDirs(path.dirname(file), 0o700);
    fs.writeFileSync(partial, token, { mode: 0o600, flag: 'wx' });
    fs.renameSync(partial, file);
    fs.chmodSync(file, 0o600);
  } catch (e) {
    fs.rmSync(partial, { force: true });
    throw new CliError(`could not write the token file ${file} (${e.code ?? e.message})`);
  }
}

/**
 * `dir` and any missing folders above it. Not `mkdirSync(…, { recursive })`:
 * where a folder exists but cannot hold children (a dangling symlink, a path
 * under /proc) the kernel answers ENOENT, and Node's recursive mkdir retries
 * that forever. Here a folder is retried once, after its parent was made.
 */
function makeDirs(dir, mode) {
  const make = () => {
    try {
      fs.mkdirSync(dir, { mode });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
  };
  try {
    make();
  } catch (e) {
    const up = path.dirname(dir);
    if (e.code !== 'ENOENT' || up === dir) throw e;
    makeDirs(up, mode);
    make();
  }
}

/** Returns the token it handled, so the caller can keep it out of any error text. */
async function login(argv, secrets) {
  const { positional, options } = parseArgs(argv, { '--token': 'string' });
  if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
  const token = (options.token ?? (await readSecret('Hugging Face token (input hidden): '))).trim();
  secrets.push(token);
  if (!token) throw new CliError('no token given: pass --token, or type or pipe it in');
  // Checked before anything is written: a bad token never lands on disk.
  const user = describe(await whoami({ token }));
  const file = tokenFile();
  writeToken(file, token);
  console.log(`Logged in as ${user.name}${user.orgs.length ? ` (orgs: ${user.orgs.join(', ')})` : ''}.`);
  console.log(`Token saved to ${file}.`);
  if (process.env.HF_TOKEN) console.error('hubguard: note: HF_TOKEN is set, and takes precedence over the token file.');
}

async function logout(argv) {
  const { positional } = parseArgs(argv, {});
  if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
  const file = tokenFile();
  try {
    fs.unlinkSync(file);
    console.log(`Logged out: removed ${file}.`);
  } catch (e) {
    if (e.code !== 'ENOENT') throw new CliError(`could not remove the token file ${file} (${e.code ?? e.message})`);
    console.log(`Not logged in: there is no token file at ${file}.`);
  }
  if (process.env.HF_TOKEN) console.error('hubguard: note: HF_TOKEN is still set in the environment.');
}

async function whoamiCommand(argv) {
  const { positional } = parseArgs(argv, {});
  if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
  const user = describe(await whoami({}));
  console.log(user.name);
  if (user.orgs.length) console.log(`orgs: ${user.orgs.join(', ')}`);
}

module.exports = { login, logout, whoami: whoamiCommand, CliError, USAGE };
