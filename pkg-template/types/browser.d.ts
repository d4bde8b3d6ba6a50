// Types of hubguard's browser build (bundlers pick it through the `browser`
// condition). It never holds a token: there is no `token` option, and gated
// repos go through the app's proxy (`env.proxy`). The proxy itself, the
// disk cache and the Hub API are Node-only (node.d.ts).

import type { FetchOptions, LoadOptions, PreTrainedTokenizer, hubFetch } from './common';

export * from './common';

export type PretrainedOptions = LoadOptions;

export declare class AutoTokenizer {
  static from_pretrained(repoId: string, options?: PretrainedOptions): Promise<PreTrainedTokenizer>;
}

/** Settings shared by every load. */
export declare const env: {
  /** The app's hubguard proxy, e.g. '/hf' (relative to the page, or absolute). Gated and private repos go through it. */
  proxy?: string;
  /** Send every request through the proxy, public ones too. */
  proxyAll?: boolean;
  /** Hub origin for public files. Default https://huggingface.co. */
  endpoint?: string;
  /** Keep fetched files in the Cache API (cache `hubguard-v1`). Default true. */
  useBrowserCache?: boolean;
  /**
   * The app's own credentials for the proxy's `authorize` (sent to the proxy only),
   * e.g. `{ Authorization: 'Bearer <app session>' }`, or a function returning them (called per load).
   * A value shaped like a Hugging Face token throws TOKEN_REFUSED.
   */
  proxyHeaders?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** The credentials mode of requests to the proxy ('include' sends cookies to a same-site proxy on another origin). */
  proxyCredentials?: 'omit' | 'same-origin' | 'include';
};

/** Options of `createHubFetch` and `configureTransformers` in the browser (never a token). */
export type HubFetchOptions = FetchOptions;

/** A `hubFetch` with its own options. */
export declare function createHubFetch(options?: HubFetchOptions): typeof hubFetch;

/**
 * Sets Transformers.js' `env.fetch` and `env.remoteHost` (hubguard's
 * endpoint); Transformers.js keeps its own Cache API. Returns the `env` it
 * was given.
 */
export declare function configureTransformers<E extends object>(env: E, options?: HubFetchOptions): E;
