'use strict';
// Reading a token without echoing it: hidden input on a terminal, the
// first line of standard input otherwise (`echo $T | hubguard login`).

/** Resolves to the text typed or piped, trimmed ('' if none). */
function readSecret(prompt) {
  const input = process.stdin;
  if (!input.isTTY) {
    return new Promise((resolve, reject) => {
      let text = '';
      input.setEncoding('utf8');
      input.on('data', (d) => (text += d));
      input.on('end', () => resolve(text.split(/\r?\n/).find((l) => l.trim() !== '')?.trim() ?? ''));
      input.on('error', reject);
    });
  }
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    let text = '';
    input.setRawMode(true);
    input.setEncoding('utf8');
    const done = (value) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      resolve(value.trim());
    };
    const onData = (chunk) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(text);
        if (ch === '\u0003') {
          input.setRawMode(false);
          process.stderr.write('\n');
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
    };
    input.on('data', onData);
    input.resume();
  });
}

module.exports = { readSecret };
