// Types for hubguard (both entry points).

export type HubErrorCode =
  | 'INVALID_REPO_ID'
  | 'INVALID_REVISION'
  | 'INVALID_PATH'
  | 'INVALID_OPTION'
  | 'INVALID_ENDPOINT'
  | 'GATED_REPO'
  | 'REPO_NOT_FOUND'
  | 'ENTRY_NOT_FOUND'
  | 'REVISION_NOT_FOUND'
  | 'INVALID_TOKEN'
  | 'RATE_LIMITED'
  | 'NETWORK'
  | 'INSECURE_REDIRECT'
  | 'TOO_MANY_REDIRECTS'
  | 'HTTP_ERROR'
  | 'INVALID_TOKENIZER'
  | 'UNSUPPORTED_TOKENIZER'
  | 'CHAT_TEMPLATE'
  | 'TOKEN_REFUSED'
  | 'PROXY_REFUSED'
  | 'NOT_CACHED'
  | 'INTEGRITY'
  | 'CACHE_IO'
  | 'ABORTED';

/** Every error hubguard throws. Messages never contain a token or a signed URL. */
export declare class HubError extends Error {
  readonly name: 'HubError';
  /** Stable, machine-readable. */
  readonly code: HubErrorCode;
  /** The HTTP status, when the Hub answered. */
  readonly status?: number;
  readonly repoId?: string;
  readonly file?: string;
  /** Seconds to wait before retrying (RATE_LIMITED). */
  readonly retryAfter?: number;
}

/** Transformers.js-compatible progress events. */
export interface ProgressInfo {
  status: 'initiate' | 'download' | 'progress' | 'done';
  /** The repo id. */
  name: string;
  file: string;
  loaded?: number;
  total?: number;
  /** Percent, 0 to 100. */
  progress?: number;
}

export interface PretrainedOptions {
  /** Branch, tag or commit hash. Default "main". */
  revision?: string;
  /**
   * An access token (Node only). Default: HF_TOKEN, read at each request, then
   * the token file written by `hf auth login`. `false` sends no token.
   */
  token?: string | false;
  progress_callback?: (info: ProgressInfo) => void;
  /** Node: the cache's root. Default `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else `~/.cache/huggingface/hub`. */
  cache_dir?: string;
  /** No request at all: load from the cache (`NOT_CACHED` if it lacks the files). Also set by HF_HUB_OFFLINE=1. */
  local_files_only?: boolean;
  /** Cancels the load's requests (`ABORTED`). */
  signal?: AbortSignal;
}

/** `padding`: true/'longest' pads to the longest row, 'max_length' to `max_length` (else model_max_length). */
export type PaddingOption = boolean | 'longest' | 'max_length' | 'do_not_pad';
export type TruncationOption = boolean | 'longest_first' | 'only_first' | 'only_second' | 'do_not_truncate';

export interface TokenizerCallOptions {
  /** Second sequence(s): a string for a string `text`, an array of the same length for an array. */
  text_pair?: string | string[] | null;
  /** Default true. */
  add_special_tokens?: boolean;
  padding?: PaddingOption;
  /** `max_length` alone turns truncation on (as in transformers). */
  truncation?: TruncationOption | null;
  max_length?: number | null;
  pad_to_multiple_of?: number | null;
  /** Default: as the tokenizer's class (BERT-like ones, or `model_input_names` in the config). */
  return_token_type_ids?: boolean | null;
  return_attention_mask?: boolean | null;
  /** This call's padding side. Default: the tokenizer's `padding_side`. */
  padding_side?: 'left' | 'right' | null;
  /** Only `false` is accepted: hubguard always returns plain arrays. */
  return_tensor?: false;
}

/** Plain arrays: one row (`number[]`) for a string, rows (`number[][]`) for an array of strings. */
export interface BatchEncoding<Row> {
  input_ids: Row;
  attention_mask: Row;
  token_type_ids?: Row;
  /** `apply_chat_template` with `return_assistant_tokens_mask: true`. */
  assistant_masks?: Row;
}

export interface DecodeOptions {
  skip_special_tokens?: boolean;
  /** Default: the config's `clean_up_tokenization_spaces` (false if unset); never applied to BPE models, as in transformers v5. */
  clean_up_tokenization_spaces?: boolean | null;
}

export interface Message {
  role: string;
  content?: string | Array<Record<string, unknown>> | null;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  add_generation_prompt?: boolean;
  /** Default true: return ids (see `return_dict`); false returns the text. */
  tokenize?: boolean;
  /** Default true: `{ input_ids, attention_mask }`; false: the ids alone. */
  return_dict?: boolean;
  /** JSON schemas of tools, for templates that list them (picks a `tool_use` template if the repo has one). */
  tools?: Array<Record<string, unknown>> | null;
  documents?: Array<Record<string, unknown>> | null;
  /** A template's source, or the name of one of the repo's named templates. */
  chat_template?: string | null;
  padding?: PaddingOption;
  truncation?: TruncationOption;
  max_length?: number | null;
  tokenizer_kwargs?: TokenizerCallOptions;
  /**
   * Also return `assistant_masks`: 1 for the tokens inside the template's `{% generation %}` blocks
   * (the assistant's own text), as transformers does. Needs `tokenize` and `return_dict` (the defaults);
   * not with `continue_final_message`.
   */
  return_assistant_tokens_mask?: boolean;
  /** Leave the last message open (prefill): true for its `content`, or the name of the field to continue. */
  continue_final_message?: boolean | string;
  /** Any other key is a variable for the template (e.g. `enable_thinking`, `date_string`). */
  [variable: string]: unknown;
}

type Ids = Iterable<number | bigint> | ArrayLike<number>;

/** A Transformers.js Tensor of ids (a model's output): only `dims` and `data` are read. */
export interface IdsTensor {
  dims: number[];
  data: Uint32Array | Int32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array;
}

export declare class PreTrainedTokenizer {
  private constructor();
  encode(text: string, options?: { add_special_tokens?: boolean; text_pair?: string | null }): number[];
  /** Many texts in one call into wasm. */
  batch_encode(texts: string[], options?: { add_special_tokens?: boolean }): number[][];
  /** A tensor must have dims [length] or [1, length]. */
  decode(ids: Ids | IdsTensor, options?: DecodeOptions): string;
  /** A tensor must have dims [rows, length]. */
  batch_decode(batch: Ids[] | IdsTensor, options?: DecodeOptions): string[];
  /** Token strings; without special tokens unless asked. */
  tokenize(text: string, options?: { pair?: string | null; add_special_tokens?: boolean }): string[];
  convert_tokens_to_ids(token: string): number | undefined;
  convert_tokens_to_ids(tokens: string[]): Array<number | undefined>;
  /** token -> id, added tokens included (a new Map each call, as Transformers.js). */
  get_vocab(): Map<string, number>;
  apply_chat_template(conversation: Message[], options: ChatTemplateOptions & { tokenize: false }): string;
  apply_chat_template(conversation: Message[][], options: ChatTemplateOptions & { tokenize: false }): string[];
  apply_chat_template(conversation: Message[], options: ChatTemplateOptions & { return_dict: false }): number[];
  apply_chat_template(conversation: Message[], options?: ChatTemplateOptions): BatchEncoding<number[]>;
  apply_chat_template(conversation: Message[][], options?: ChatTemplateOptions): BatchEncoding<number[][]> | number[][];
  get_chat_template(options?: { chat_template?: string | null; tools?: unknown[] | null }): string;
  /** tokenizer_config.json ({} when the repo has none). */
  readonly config: Record<string, unknown>;
  /** chat_template.jinja when the repo has one (it wins, as in transformers), else tokenizer_config.json's `chat_template`: a string, named templates by name (the config's list of `{name, template}`), or null. */
  readonly chat_template: string | Record<string, string> | null;
  /** Special tokens from tokenizer_config.json (null when unset; `pad_token` falls back to `eos_token`). Only `pad_token` and `pad_token_id` can be set. */
  readonly bos_token: string | null;
  readonly bos_token_id: number | null;
  readonly eos_token: string | null;
  readonly eos_token_id: number | null;
  readonly unk_token: string | null;
  readonly unk_token_id: number | null;
  pad_token: string | null;
  /** Setting it makes the token with that id `pad_token` (`INVALID_OPTION` if there is none). */
  pad_token_id: number | null;
  readonly sep_token: string | null;
  readonly sep_token_id: number | null;
  readonly cls_token: string | null;
  readonly cls_token_id: number | null;
  readonly mask_token: string | null;
  readonly mask_token_id: number | null;
  /** The added tokens tokenizer.json marks special (what `skip_special_tokens` removes), by id. */
  readonly all_special_ids: number[];
  readonly all_special_tokens: string[];
  /** Infinity when the config sets no limit. */
  readonly model_max_length: number;
  /** Settable, as in transformers: `tokenizer.padding_side = 'left'`. */
  padding_side: 'left' | 'right';
  truncation_side: 'left' | 'right';
}

/** Tokenizers are callable, as in Transformers.js. */
export interface PreTrainedTokenizer {
  (text: string, options?: TokenizerCallOptions): BatchEncoding<number[]>;
  (text: string[], options?: TokenizerCallOptions): BatchEncoding<number[][]>;
}

export declare class AutoTokenizer {
  static from_pretrained(repoId: string, options?: PretrainedOptions): Promise<PreTrainedTokenizer>;
}

/** Settings shared by every load. */
export declare const env: {
  /** Hub origin; overrides HF_ENDPOINT (Node). Default https://huggingface.co. */
  endpoint?: string;
  /** Browser: the app's hubguard proxy, e.g. '/hf'. Gated and private repos go through it. */
  proxy?: string;
  /** Browser: send every request through the proxy. */
  proxyAll?: boolean;
  /**
   * Browser: the app's own credentials for the proxy's `authorize` (sent to the proxy only),
   * e.g. `{ Authorization: 'Bearer <app session>' }`, or a function returning them (called per load).
   * A value shaped like a Hugging Face token throws TOKEN_REFUSED.
   */
  proxyHeaders?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>);
  /** Browser: the credentials mode of requests to the proxy ('include' sends cookies to a same-site proxy). */
  proxyCredentials?: 'omit' | 'same-origin' | 'include';
};

export interface AllowRule {
  /** "org/name" or "datasets/org/name". */
  repo: string;
  /** Pin to these revisions (default: any). */
  revisions?: string[];
  /** Pin to these files (default: any). */
  files?: string[];
}

/** The file a proxied request names, as `authorize` and the access log see it. */
export interface ProxyTarget {
  repo: string;
  repoType: 'model' | 'dataset';
  revision: string;
  file: string;
}

/** One access-log entry: never a token, a signed URL or a query string. */
export interface ProxyAccessEntry {
  /** What `authorize` returned as the identity, else the client's address. */
  identity: string;
  method: string;
  /** null when the request named no file the proxy could parse. */
  repo: string | null;
  repoType: 'model' | 'dataset' | null;
  revision: string | null;
  file: string | null;
  status: number;
  /** Body bytes sent to the client. */
  bytes: number;
  ms: number;
  outcome: 'complete' | 'aborted' | 'timeout' | 'failed';
  /** Why `authorize` failed (scrubbed of the request's header values). */
  error?: string;
}

export interface HubProxyOptions {
  /** Exact repos the proxy serves. Nothing else is ever fetched. */
  allow: Array<string | AllowRule>;
  /** Exact page origins allowed to read answers (CORS). */
  origins?: string[];
  /** Hub origin (default HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Server-side token (default HF_TOKEN, then the token file; read per request). Edge runtimes: pass it, e.g. `env.HF_TOKEN`. */
  token?: string | false;
  /** Where the proxy is mounted, e.g. "/hf". */
  basePath?: string;
  /**
   * Host names the proxy serves besides the address a connection arrived on
   * (and `localhost` on loopback): "app.example" (any port) or "app.example:8443".
   * Any other Host header is refused (DNS rebinding).
   */
  hosts?: string[];
  /**
   * Called before anything goes upstream. `false`: 403; a Response: sent as
   * it is; a non-empty string: allowed, as that identity; `true`: allowed, as
   * the client's address. A throw: 500, and the error goes to the access log.
   */
  authorize?: (request: Request, target: ProxyTarget) => boolean | string | Response | Promise<boolean | string | Response>;
  /** The access log: called once per request, when its answer has ended. */
  onRequest?: (entry: ProxyAccessEntry) => void;
  /** 'stream' (default), or 'redirect': a 302 to the Hub's signed CDN URL for files stored there. */
  largeFiles?: 'stream' | 'redirect';
  /** Per-client token bucket (default 120 requests per 60 s). */
  rateLimit?: { requests: number; perSeconds: number };
  /** Upstream requests in flight, all clients (default 64). */
  maxConcurrent?: number;
  /** Upstream requests in flight for one client (default 8; half of a smaller maxConcurrent). */
  maxPerClient?: number;
  /** Milliseconds an answer may stall: nothing from upstream (`idle`), or the client not reading (`write`). Default 30 000 each. */
  timeouts?: { idle?: number; write?: number };
  /** Extra request headers a page may send for `authorize` (e.g. 'authorization'); never forwarded upstream. */
  allowHeaders?: string[];
  /** Send `Access-Control-Allow-Credentials: true` to the allowed origins (cookies for `authorize`). */
  allowCredentials?: boolean;
}

export interface ProxyContext {
  /** The request target as received (the Node adapter passes it). */
  rawTarget?: string;
  /** Rate-limit key, e.g. the client's IP address. */
  clientAddress?: string;
  /** The address and port the connection arrived on (the Host check's default). */
  localAddress?: string;
  localPort?: number;
  hasBody?: boolean;
}

/** A Fetch-API handler: drop it into a Next.js route or any Fetch runtime. */
export declare function createHubProxy(options: HubProxyOptions): (request: Request, context?: ProxyContext) => Promise<Response>;

/** Adapts a Fetch-API handler to `http.createServer`. */
export declare function toNodeHandler(
  handler: (request: Request, context?: ProxyContext) => Promise<Response>,
): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;

// ---- Hub API (Node build only; the browser build does not export these) ----

export type RepoType = 'model' | 'dataset' | 'space';

export interface HubCallOptions {
  /** "namespace/name". */
  repo: string;
  /** Branch, tag or commit hash. Default "main". */
  revision?: string;
  /** Default "model". */
  repoType?: RepoType;
  /** Default: HF_TOKEN, read at each request, then the token file. `false` sends none. */
  token?: string | false;
}

export interface DownloadOptions extends HubCallOptions {
  /** The cache root (default HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub). */
  cacheDir?: string;
  progress_callback?: (info: ProgressInfo) => void;
  /** Cancels the call: it rejects with a HubError whose code is ABORTED. */
  signal?: AbortSignal;
  /** Only the cache is read, no request is made (as HF_HUB_OFFLINE=1). */
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

/** Node only. Puts one file in the huggingface_hub cache; resolves to its snapshot path. */
export declare function downloadFile(options: DownloadFileOptions): Promise<string>;

/** Node only. Puts a revision's files (those the patterns select) in the cache; resolves to the snapshot folder. */
export declare function snapshotDownload(options: SnapshotDownloadOptions): Promise<string>;

/** Node only. One HEAD request: false when the file is not in the repo at that revision. */
export declare function fileExists(options: HubCallOptions & { path: string }): Promise<boolean>;

/** Node only. The Hub's `/api/models/{repo}` (or `/revision/{rev}`) JSON. */
export declare function modelInfo(
  options: HubCallOptions,
): Promise<{ id: string; sha: string; private?: boolean; gated?: false | 'auto' | 'manual'; siblings?: Array<{ rfilename: string }>; [key: string]: unknown }>;

/** Node only. The Hub's `/api/whoami-v2` JSON for the token (INVALID_TOKEN without a valid one). */
export declare function whoami(options?: {
  token?: string;
}): Promise<{ name: string; type: string; orgs?: Array<{ name: string }>; [key: string]: unknown }>;
