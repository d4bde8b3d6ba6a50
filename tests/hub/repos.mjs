// The emulator's repositories: commits, refs and files, with the Hub's
// visibility rules (public, gated, private).

import { Content } from './content.mjs';
import { commitSha } from './hashes.mjs';

/** Paths the Hub would store in LFS (by extension, as .gitattributes does). */
const LFS_DEFAULT = /\.(bin|safetensors|onnx|model|h5|msgpack|gguf)$|^tokenizer\.json$/;

export class Repo {
  constructor({ id, type = 'model', visibility = 'public', files = {}, lfs = LFS_DEFAULT }) {
    this.id = id;
    this.type = type;
    this.visibility = visibility;
    this.lfsRule = lfs;
    this.commits = new Map();
    this.refs = new Map();
    this.commitCount = 0;
    this.commit('main', files);
  }

  get key() {
    return `${this.type}s/${this.id}`;
  }

  /** A new commit on `branch` that sets `files` (null deletes a path). */
  commit(branch, files) {
    const parent = this.refs.has(branch) ? this.commits.get(this.refs.get(branch)) : new Map();
    const tree = new Map(parent);
    for (const [path, spec] of Object.entries(files)) {
      if (spec === null) tree.delete(path);
      else tree.set(path, spec instanceof Content ? spec : new Content(spec, { lfs: this.lfsRule.test(path) }));
    }
    const sha = commitSha(this.key, this.commitCount++);
    this.commits.set(sha, tree);
    this.refs.set(branch, sha);
    return sha;
  }

  tag(name, sha) {
    this.refs.set(name, sha);
  }

  /** A branch, tag or full commit sha → the commit sha, or undefined. */
  resolve(revision) {
    if (this.refs.has(revision)) return this.refs.get(revision);
    if (this.commits.has(revision)) return revision;
    return undefined;
  }

  file(sha, path) {
    return this.commits.get(sha)?.get(path);
  }

  paths(sha) {
    return [...(this.commits.get(sha)?.keys() ?? [])];
  }
}

export class RepoStore {
  constructor() {
    this.repos = new Map();
  }

  add(spec) {
    const repo = new Repo(spec);
    this.repos.set(repo.key, repo);
    return repo;
  }

  get(type, id) {
    return this.repos.get(`${type}s/${id}`);
  }
}
