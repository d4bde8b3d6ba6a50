'use strict';
// A small argument parser for the CLI: `--flag value`, `--flag=value`,
// repeatable flags, boolean switches and positional arguments.

class UsageError extends Error {}

/**
 * `spec`: { '--name': 'string' | 'list' | 'boolean' }. Returns
 * { positional: [], options: { name: value } } with camelCase keys.
 */
function parseArgs(argv, spec) {
  const positional = [];
  const options = {};
  const key = (flag) => flag.slice(2).replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const kind = spec[flag];
    if (!kind) throw new UsageError(`unknown option ${flag}`);
    if (kind === 'boolean') {
      if (eq > 0) throw new UsageError(`${flag} takes no value`);
      options[key(flag)] = true;
      continue;
    }
    let value;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    else throw new UsageError(`${flag} needs a value`);
    if (kind === 'list') (options[key(flag)] ??= []).push(value);
    else options[key(flag)] = value;
  }
  return { positional, options };
}

module.exports = { parseArgs, UsageError };
