// Types shared by both builds of hubguard. Each build's own file (node.d.ts,
// browser.d.ts) re-exports these and adds what only it has; package.json's
// `exports` conditions pick the file for the build a project resolves to.

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
  | 'ABORTED'
  /** A trap (panic, out of memory, stack overflow) ended this tokenizer's wasm instance; others are unaffected. */
  | 'TOKENIZER_CRASHED'
  /** A trap ended the wasm instance the Hub API and the proxy share; the next call gets a new one. */
  | 'ENGINE_CRASHED';

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

/** Options of `from_pretrained` that both builds take. */
export interface LoadOptions {
  /** Branch, tag or commit hash. Default "main". */
  revision?: string;
  progress_callback?: (info: ProgressInfo) => void;
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

/** Options of `createHubFetch` and `configureTransformers` that both builds take; an unknown key is INVALID_OPTION. */
export interface FetchOptions {
  /** Instead of `env.endpoint` (and HF_ENDPOINT in Node). */
  endpoint?: string;
  /** Instead of `env.proxy`: the app's hubguard proxy, for gated and private repos. */
  proxy?: string;
  /** Instead of `env.proxyAll`. */
  proxyAll?: boolean;
  /** Progress of the files hubguard downloads (Transformers.js' event shape). */
  progress_callback?: (event: ProgressInfo) => void;
}

/**
 * A fetch for Transformers.js' `env.fetch`: Hub file URLs on hubguard's
 * endpoint (`/{repo}/resolve/{revision}/{path}`, datasets/ and spaces/ too)
 * are served through hubguard (Node: the token rule and the huggingface_hub
 * cache, streamed from disk; browser: straight from the Hub, or through
 * `env.proxy` for gated and private repos). Any other request goes to the
 * platform's fetch unchanged. A missing file is a 404; a refusal (GATED_REPO,
 * REPO_NOT_FOUND, INVALID_TOKEN, ...) is thrown as a HubError.
 */
export declare function hubFetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
