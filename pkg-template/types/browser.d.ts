// Types of hubguard's browser build (bundlers pick it through the `browser`
// condition). It never holds a token: there is no `token` option, and gated
// repos go through the app's proxy (`env.proxy`). The proxy itself, the
// disk cache and the Hub API are Node-only (node.d.ts).

import type { LoadOptions, PreTrainedTokenizer } from './common';

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
};
