'use strict';
// `hubguard login | logout | whoami` and `hubguard auth list | switch`: the
// token file and the named tokens (`stored_tokens`) that `hf auth` keeps,
// so either tool sees what the other wrote. Where they live, their format,
// which token is active and how they are written (0600) are decided in
// Rust (hub/auth_files.rs, core/stored_tokens.rs); this file only asks and
// prints. No token is ever printed: `auth list` shows masked ones.

const { env, whoami } = require('../index.cjs');
const runtime = require('../runtime.cjs');
const { parseArgs, UsageError } = require('./args.cjs');
const { readSecret } = require('./prompt.cjs');

const USAGE = `hubguard login [--token TOKEN]     (else the token is read from stdin, hidden on a terminal)
       hubguard logout [--token-name NAME] (all tokens, or the one named)
       hubguard whoami
       hubguard auth list | switch NAME | login | logout | whoami`;

class CliError extends Error {}

function noArguments(positional) {
  if (positional.length) throw new UsageError(`unexpected argument ${positional[0]}`);
}

/** The environment variable that overrides the token files, on stderr. */
function noteOverride(variable, what) {
  if (variable) console.error(`hubguard: note: ${variable} is set in the environment, and requests send it, not ${what}.`);
}

/** Returns the token it handled, so the caller can keep it out of any error text. */
async function login(argv, secrets) {
  const { positional, options } = parseArgs(argv, { '--token': 'string' });
  noArguments(positional);
  const token = (options.token ?? (await readSecret('Hugging Face token (input hidden): '))).trim();
  secrets.push(token);
  if (!token) throw new CliError('no token given: pass --token, or type or pipe it in');
  // Checked with the Hub before anything is written: a bad token never lands on disk.
  const done = await runtime.shared().runAsync((glue) => glue.authLogin({ token }, env));
  console.log(`Logged in as ${done.user}${done.orgs.length ? ` (orgs: ${done.orgs.join(', ')})` : ''}.`);
  console.log(`Token stored as "${done.tokenName}" in ${done.storedTokensFile}, and active: saved to ${done.tokenFile}.`);
  noteOverride(done.environmentVariable, 'the token just saved');
}

async function logout(argv) {
  const { positional, options } = parseArgs(argv, { '--token-name': 'string' });
  noArguments(positional);
  const done = await runtime.shared().runAsync((glue) => glue.authLogout(options.tokenName));
  switch (done.outcome) {
    case 'not-logged-in':
      console.log('Not logged in: there is no token file and no stored token.');
      break;
    case 'all':
      console.log(`Logged out of every token: removed ${done.tokenFile} and ${done.storedTokensFile}.`);
      break;
    case 'named':
      console.log(
        `Logged out of "${options.tokenName}": removed from ${done.storedTokensFile}` +
          (done.wasActive ? `; it was the active token, so ${done.tokenFile} was removed too.` : '.'),
      );
      break;
    default:
      console.log(`There is no stored token named "${options.tokenName}": nothing was removed.`);
  }
  if (done.environmentVariable && done.outcome !== 'not-logged-in') {
    throw new CliError(
      `the token files are removed, but ${done.environmentVariable} is still set and requests still send it; unset HF_TOKEN and HUGGING_FACE_HUB_TOKEN to log out`,
    );
  }
}

async function whoamiCommand(argv) {
  noArguments(parseArgs(argv, {}).positional);
  // `token: true`: the current token even with HF_HUB_DISABLE_IMPLICIT_TOKEN, as `hf auth whoami`.
  const user = await whoami({ token: true });
  const orgs = (user.orgs ?? []).map((o) => o.name).filter(Boolean);
  console.log(user.name);
  if (orgs.length) console.log(`orgs: ${orgs.join(', ')}`);
}

/** Left-aligned columns under a dashed rule, as `hf auth list` prints them. */
function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join(' ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join(' '), ...rows.map(line)].join('\n');
}

async function list(argv) {
  noArguments(parseArgs(argv, {}).positional);
  const done = await runtime.shared().runAsync((glue) => glue.authList());
  if (done.tokens.length === 0) {
    console.log(`No stored tokens (${done.storedTokensFile}).`);
  } else {
    console.log(table([' ', 'name', 'token'], done.tokens.map((t) => [t.active ? '*' : '', t.name, t.masked])));
  }
  if (done.environmentVariable) {
    console.error(`hubguard: note: ${done.environmentVariable} is set in the environment, and is the active token whatever is listed here.`);
  } else if (done.tokens.length && !done.tokens.some((t) => t.active)) {
    console.error('hubguard: note: no stored token is active; `hubguard auth switch NAME` picks one.');
  }
}

async function switchCommand(argv) {
  const { positional, options } = parseArgs(argv, { '--token-name': 'string' });
  const name = options.tokenName ?? positional.shift();
  noArguments(positional);
  if (!name) throw new UsageError('auth switch needs the token name: hubguard auth switch NAME (see hubguard auth list)');
  const done = await runtime.shared().runAsync((glue) => glue.authSwitch(name));
  console.log(`Switched to "${name}": it is now in ${done.tokenFile}.`);
  noteOverride(done.environmentVariable, `"${name}"`);
}

const AUTH = { list, ls: list, switch: switchCommand, login, logout, whoami: whoamiCommand };

/** `hubguard auth SUBCOMMAND ...`, as `hf auth`. */
async function auth(argv, secrets) {
  const [sub, ...rest] = argv;
  const command = AUTH[sub];
  if (!command) throw new UsageError(sub ? `unknown auth command ${sub}` : 'auth needs a command: list, switch, login, logout or whoami');
  return command(rest, secrets);
}

module.exports = { login, logout, whoami: whoamiCommand, auth, CliError, USAGE };
