// Types of hubguard's Node build (`import` or `require` under the `node`
// condition). The browser build's file, browser.d.ts, lacks the token, the
// cache, the proxy and the Hub API, which exist only here.

import type { FetchOptions, LoadOptions, PreTrainedTokenizer, ProgressInfo, hubFetch } from './common';

export * from './common';
export * from './proxy';
import type { ProxyContext } from './proxy';

export interface PretrainedOptions extends LoadOptions {
  /**
   * An access token. Default: HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then the
   * token file written by `hf auth login`, read at each request (none with
   * HF_HUB_DISABLE_IMPLICIT_TOKEN=1). `false` sends no token; `true` looks
   * one up even then, and fails if there is none.
   */
  token?: string | boolean;
  /** The cache's root. Default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cache_dir?: string;
  /** No request at all: load from the cache (`NOT_CACHED` if it lacks the files). Also set by HF_HUB_OFFLINE=1. */
  local_files_only?: boolean;
}

export declare class AutoTokenizer {
  static from_pretrained(repoId: string, options?: PretrainedOptions): Promise<PreTrainedTokenizer>;
}

/** Settings shared by every load. */
export declare const env: {
  /** Hub origin; overrides HF_ENDPOINT. Default https://huggingface.co. */
  endpoint?: string;
  /**
   * Keep an image of each built tokenizer in the disk cache, and restore it
   * instead of building (README, "The cache"). Default true; false neither
   * writes nor reads images.
   */
  tokenizerImages?: boolean;
};

/** Adapts a Fetch-API handler to `http.createServer`. */
export declare function toNodeHandler(
  handler: (request: Request, context?: ProxyContext) => Promise<Response>,
): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;

// ---- Hub API ----

export type RepoType = 'model' | 'dataset' | 'space';

export interface HubCallOptions {
  /** "namespace/name". */
  repo: string;
  /** Branch, tag or commit hash. Default "main". */
  revision?: string;
  /** Default "model". */
  repoType?: RepoType;
  /** Default: HF_TOKEN, then HUGGING_FACE_HUB_TOKEN, then the token file, read at each request. `false` sends none; `true` requires one. */
  token?: string | boolean;
  /** Cancels the call: it rejects with a HubError whose code is ABORTED. */
  signal?: AbortSignal;
}

// `cacheDir` / `cache_dir` and `localFilesOnly` / `local_files_only`: both
// spellings are taken (huggingface.js' and Transformers.js'), one at a time.
export interface DownloadOptions extends HubCallOptions {
  /** The cache root (default HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  /** The same as `cacheDir`. */
  cache_dir?: string;
  progress_callback?: (info: ProgressInfo) => void;
  /** Only the cache is read, no request is made (as HF_HUB_OFFLINE=1). */
  localFilesOnly?: boolean;
  /** The same as `localFilesOnly`. */
  local_files_only?: boolean;
}

export interface DownloadFileOptions extends DownloadOptions {
  /** The file's path in the repo, e.g. "tokenizer.json". */
  path: string;
}

export interface SnapshotDownloadOptions extends DownloadOptions {
  /** fnmatch patterns as huggingface_hub's (`*` also matches `/`; "dir/" means "dir/*"). */
  allowPatterns?: string | string[];
  ignorePatterns?: string | string[];
  /** Files downloaded at once. Default 8. */
  maxWorkers?: number;
}

/** Puts one file in the huggingface_hub cache; resolves to its snapshot path. */
export declare function downloadFile(options: DownloadFileOptions): Promise<string>;

/** Puts a revision's files (those the patterns select) in the cache; resolves to the snapshot folder. */
export declare function snapshotDownload(options: SnapshotDownloadOptions): Promise<string>;

/** One HEAD request: false when the file is not in the repo at that revision. */
export declare function fileExists(options: HubCallOptions & { path: string }): Promise<boolean>;

/** The Hub's `/api/models/{repo}` (or `/revision/{rev}`) JSON. */
export declare function modelInfo(
  options: HubCallOptions,
): Promise<{ id: string; sha: string; private?: boolean; gated?: false | 'auto' | 'manual'; siblings?: Array<{ rfilename: string }>; [key: string]: unknown }>;

/** The Hub's `/api/whoami-v2` JSON for the token (INVALID_TOKEN without a valid one). */
export declare function whoami(options?: {
  token?: string | boolean;
  signal?: AbortSignal;
}): Promise<{ name: string; type: string; orgs?: Array<{ name: string }>; [key: string]: unknown }>;

/** Options of `createHubFetch` and `configureTransformers` in Node. */
export interface HubFetchOptions extends FetchOptions {
  /** Default HF_TOKEN, then the token file; `false` sends none. */
  token?: string | false;
  /** The huggingface_hub cache folder (default HF_HUB_CACHE, HF_HOME/hub, ...). */
  cache_dir?: string;
  /** The same as `cache_dir`. */
  cacheDir?: string;
  /** Answer from the cache only (as HF_HUB_OFFLINE=1). */
  local_files_only?: boolean;
  /** The same as `local_files_only`. */
  localFilesOnly?: boolean;
}

/** A `hubFetch` with its own options. */
export declare function createHubFetch(options?: HubFetchOptions): typeof hubFetch;

/**
 * Sets Transformers.js' `env.fetch` and `env.remoteHost` (hubguard's
 * endpoint), and `env.useCustomCache` / `env.customCache` over the
 * huggingface_hub cache, so every file is stored once and ONNX files are
 * loaded by path. Returns the `env` it was given.
 */
export declare function configureTransformers<E extends object>(env: E, options?: HubFetchOptions): E;
