// The emulator's repositories: commits (immutable file trees), refs
// (branches, tags, refs/pr/N) and visibility ('public' | 'gated' | 'private').

import { Content } from './content.mjs';
import { commitSha } from './hashes.mjs';

/** Paths stored in LFS unless said otherwise (as a Hub repo's .gitattributes does). */
const LFS_DEFAULT = /\.(bin|safetensors|onnx|model|h5|msgpack|gguf|pt|pth)$|(^|\/)tokenizer\.json$/;

/**
 * A file spec → Content:
 *   string | Buffer                  stored by `lfsRule`
 *   { content, lfs, xet }            explicit storage (xet: Xet-backed, see xet.mjs)
 *   { size, generated: true, seed?, xet? } a large deterministic LFS file
 *   Content                          as is
 */
function toContent(path, spec, lfsRule) {
  if (spec instanceof Content) return spec;
  if (spec && spec.generated) return new Content(spec);
  if (spec && !Buffer.isBuffer(spec) && typeof spec === 'object') {
    return new Content(spec.content, { lfs: spec.lfs ?? lfsRule.test(path), xet: spec.xet });
  }
  return new Content(spec, { lfs: lfsRule.test(path) });
}

export class Repo {
  constructor({ id, type = 'model', visibility = 'public', files = {}, lfs = LFS_DEFAULT }) {
    if (!/^[\w.-]+\/[\w.-]+$/.test(id)) throw new Error(`repo id must be org/name: ${id}`);
    this.id = id;
    this.type = type;
    this.visibility = visibility;
    this.lfsRule = lfs;
    this.commits = new Map(); // sha → Map(path → Content)
    this.refs = new Map(); // name → sha
    this.commitCount = 0;
    this.commit('main', files);
  }

  get key() {
    return `${this.type}s/${this.id}`;
  }

  /**
   * A new commit on `branch` (created if missing) on top of `parent` (a
   * revision; defaults to the branch itself) that sets `files`; null deletes
   * a path. Returns the new sha.
   */
  commit(branch, files, { parent = branch } = {}) {
    const base = this.commits.get(this.resolve(parent)) ?? new Map();
    const tree = new Map(base);
    for (const [path, spec] of Object.entries(files)) {
      if (spec === null) tree.delete(path);
      else tree.set(path, toContent(path, spec, this.lfsRule));
    }
    const sha = commitSha(this.key, this.commitCount++);
    this.commits.set(sha, tree);
    this.refs.set(branch, sha);
    return sha;
  }

  tag(name, sha) {
    this.refs.set(name, sha);
  }

  /** A branch, tag, refs/pr/N or full 40-hex commit sha → the commit sha, or undefined. */
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
    if (this.repos.has(repo.key)) throw new Error(`repo exists: ${repo.key}`);
    this.repos.set(repo.key, repo);
    return repo;
  }

  get(type, id) {
    return this.repos.get(`${type}s/${id}`);
  }

  /** Like get, but throws for a repo that does not exist (a test's typo). */
  must(type, id) {
    const repo = this.get(type, id);
    if (!repo) throw new Error(`no such repo in the emulator: ${type} ${id}`);
    return repo;
  }
}
