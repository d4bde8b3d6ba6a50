#!/usr/bin/env node
'use strict';
// hubguard command line. Commands live in ../node/cli/.
//   hubguard login | logout | whoami | auth | download | proxy
// Errors print `hubguard: <message>` and exit 1 (2 for wrong usage). No
// output ever contains a token: HubError messages are scrubbed at the
// source, and any token this process was handed is masked again here.

const { UsageError } = require('../node/cli/args.cjs');

const COMMANDS = {
  login: () => require('../node/cli/auth.cjs').login,
  logout: () => require('../node/cli/auth.cjs').logout,
  whoami: () => require('../node/cli/auth.cjs').whoami,
  auth: () => require('../node/cli/auth.cjs').auth,
  download: () => require('../node/cli/download.cjs').download,
  proxy: () => require('../node/cli/proxy.cjs').proxy,
};

function usage() {
  return [
    'usage: ' + require('../node/cli/auth.cjs').USAGE,
    '       ' + require('../node/cli/download.cjs').USAGE,
    '       ' + require('../node/cli/proxy.cjs').USAGE,
  ].join('\n');
}

/** Every token this process knows of, to mask in anything it prints. */
function knownSecrets(extra) {
  return [process.env.HF_TOKEN, process.env.HUGGING_FACE_HUB_TOKEN, ...extra].filter((s) => typeof s === 'string' && s.trim().length >= 8).map((s) => s.trim());
}

function mask(text, secrets) {
  let out = String(text);
  for (const s of secrets) out = out.split(s).join('<redacted token>');
  return out;
}

async function main() {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(usage());
    return;
  }
  const load = COMMANDS[command];
  if (!load) {
    console.error(`hubguard: unknown command ${command}\n${usage()}`);
    process.exitCode = 2;
    return;
  }
  const secrets = [];
  try {
    await load()(rest, secrets);
  } catch (e) {
    const message = e && typeof e === 'object' && 'message' in e ? e.message : String(e);
    console.error(`hubguard: ${mask(message, knownSecrets(secrets))}`);
    if (e instanceof UsageError) {
      console.error(usage());
      process.exitCode = 2;
    } else if (!process.exitCode) {
      process.exitCode = 1;
    }
  }
}

main();
