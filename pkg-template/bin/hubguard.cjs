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

/**
 * `text` as it may be printed: without any token this process knows of
 * (`extra`: those it was handed) and without anything shaped like a token
 * or a signed URL's query, by the engine's own redaction (core/redact.rs).
 * If the engine cannot run, the text is withheld rather than printed unchecked.
 */
function redacted(text, extra) {
  const secrets = [process.env.HF_TOKEN, process.env.HUGGING_FACE_HUB_TOKEN, ...extra].filter((s) => typeof s === 'string');
  try {
    return require('../node/runtime.cjs')
      .shared()
      .run((glue) => glue.redactOutput(String(text), secrets));
  } catch {
    return '(the error message is not shown: hubguard could not check it for secrets)';
  }
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
    console.error(`hubguard: ${redacted(message, secrets)}`);
    if (e instanceof UsageError) {
      console.error(usage());
      process.exitCode = 2;
    } else if (!process.exitCode) {
      process.exitCode = 1;
    }
  }
}

main();
