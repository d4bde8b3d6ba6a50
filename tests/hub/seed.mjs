// The emulator's standard repos, built from the Llama-2 fixture files:
// one per visibility, each with an older tagged commit (v1.0) so that
// revisions are observable, a gated repo whose large files are Xet-backed,
// plus a small public dataset.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { buildLlama2, defaultFixtureDir } from '../fixtures/llama2.mjs';
import { CHAT_TEMPLATE_REPOS, chatTemplateRepoFiles } from '../fixtures/chat-template-files.mjs';

export const REPOS = {
  gated: 'meta-llama/Llama-2-7b-hf',
  private: 'hubguard-test/private-llama',
  public: 'hubguard-test/public-llama',
  dataset: 'hubguard-test/public-data',
  chatJinja: CHAT_TEMPLATE_REPOS.jinjaOnly,
  chatBoth: CHAT_TEMPLATE_REPOS.both,
  xet: 'hubguard-test/xet-llama',
};

/** The Xet repo's weights: large enough to be cut and resumed mid-file. */
export const XET_MODEL = { path: 'model.safetensors', size: 3 * 1024 * 1024 + 123, seed: 11 };

/**
 * Reads the fixture files from `dir`. The default directory is (re)built
 * whenever its content is stale; a directory the caller names is built only
 * if it has no tokenizer.json, so a hand-made fixture is served as is.
 */
export async function loadFixture(dir = defaultFixtureDir) {
  if (dir === defaultFixtureDir || !existsSync(path.join(dir, 'tokenizer.json'))) await buildLlama2(dir);
  const read = (name) => readFile(path.join(dir, name));
  return {
    'tokenizer.json': await read('tokenizer.json'),
    'tokenizer_config.json': await read('tokenizer_config.json'),
    'config.json': await read('config.json'),
  };
}

/** v1.0's tokenizer_config.json: the same file with an older model_max_length. */
function olderConfig(current) {
  const config = JSON.parse(current);
  return `${JSON.stringify({ ...config, model_max_length: 4096 }, null, 2)}\n`;
}

export function seedRepos(store, files) {
  for (const visibility of ['gated', 'private', 'public']) {
    const id = REPOS[visibility];
    const repo = store.add({ id, visibility, files: { ...files, 'tokenizer_config.json': olderConfig(files['tokenizer_config.json']) } });
    repo.tag('v1.0', repo.refs.get('main'));
    repo.commit('main', files);
  }
  // An open pull request: a ref with slashes, sent URL-encoded (refs%2Fpr%2F1).
  store.get('model', REPOS.public).commit('refs/pr/1', { 'README.md': '# public-llama\n\nA pull request.\n' }, { parent: 'main' });

  store.add({
    id: REPOS.dataset,
    type: 'dataset',
    files: { 'README.md': '# public-data\n', 'data/train.csv': 'text,label\nhello,1\nworld,0\n' },
  });
  // Gated, with tokenizer.json and the weights stored with Xet (as the Hub
  // now stores most large files): served through the Xet bridge.
  store.add({
    id: REPOS.xet,
    visibility: 'gated',
    files: {
      ...files,
      'tokenizer.json': { content: files['tokenizer.json'], xet: true },
      [XET_MODEL.path]: { size: XET_MODEL.size, seed: XET_MODEL.seed, generated: true, xet: true },
    },
  });
  // Public repos whose chat template is in chat_template.jinja.
  for (const [id, repoFiles] of Object.entries(chatTemplateRepoFiles(files))) store.add({ id, files: repoFiles });
}
