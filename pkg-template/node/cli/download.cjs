'use strict';
// `hubguard download REPO [FILES...]`: files (or a whole snapshot) into the
// huggingface_hub cache; prints the local path(s) on stdout. A progress bar
// is drawn on stderr only when stderr is a terminal.

const { downloadFile, snapshotDownload } = require('../index.cjs');
const { parseArgs, UsageError } = require('./args.cjs');
const { ProgressBar } = require('./progress-bar.cjs');

const USAGE = `hubguard download REPO [FILES...] [--revision R] [--repo-type model|dataset|space]
                         [--cache-dir DIR] [--include PATTERN ...] [--exclude PATTERN ...]
                         [--max-workers N] [--local-files-only]`;

const SPEC = {
  '--revision': 'string',
  '--repo-type': 'string',
  '--cache-dir': 'string',
  '--include': 'list',
  '--exclude': 'list',
  '--max-workers': 'string',
  '--local-files-only': 'boolean',
};

async function download(argv) {
  const { positional, options } = parseArgs(argv, SPEC);
  const [repo, ...files] = positional;
  if (!repo) throw new UsageError('download needs a REPO');
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  // Ctrl-C cancels the downloads cleanly (partial files are the engine's to tidy).
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const common = {
    repo,
    revision: options.revision,
    repoType: options.repoType,
    cacheDir: options.cacheDir,
    local_files_only: options.localFilesOnly ?? false,
    signal: controller.signal,
    progress_callback: bar && ((event) => bar.update(event)),
  };
  try {
    if (files.length) {
      if (options.include || options.exclude) {
        console.error('hubguard: note: --include/--exclude are ignored when FILES are given.');
      }
      const paths = [];
      for (const path of files) paths.push(await downloadFile({ ...common, path }));
      bar?.finish();
      for (const p of paths) console.log(p);
    } else {
      const maxWorkers = options.maxWorkers === undefined ? undefined : Number(options.maxWorkers);
      const folder = await snapshotDownload({
        ...common,
        allowPatterns: options.include,
        ignorePatterns: options.exclude,
        maxWorkers,
      });
      bar?.finish();
      console.log(folder);
    }
  } catch (e) {
    bar?.finish();
    if (e.code === 'ABORTED') process.exitCode = 130;
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

module.exports = { download, USAGE };
