// Type-checked by `make test-types` (tsc --noEmit) against the packed
// package, resolved as Node resolves it (`node` condition): what Node code
// may write, and, under @ts-expect-error, what it must not.

import http from 'node:http';
import {
  AutoTokenizer,
  HubError,
  env,
  createHubProxy,
  toNodeHandler,
  downloadFile,
  snapshotDownload,
  fileExists,
  modelInfo,
  whoami,
  hubFetch,
  createHubFetch,
  configureTransformers,
  type HubErrorCode,
  type ProgressInfo,
} from 'hubguard';

env.endpoint = 'http://127.0.0.1:8080';
env.tokenizerImages = false;
const progress = (info: ProgressInfo): void => void info.status;
const tokenizer = await AutoTokenizer.from_pretrained('meta-llama/Llama-2-7b-hf', {
  revision: 'main',
  token: process.env.HF_TOKEN ?? false,
  cache_dir: '/tmp/hf',
  local_files_only: false,
  progress_callback: progress,
  signal: AbortSignal.timeout(10_000),
});
const ids: number[] = tokenizer.encode('Hello world!');
const rows: number[][] = tokenizer(['Hello', 'world'], { padding: true, truncation: true, max_length: 8 }).input_ids;
const text: string = tokenizer.decode(ids, { skip_special_tokens: true });
const chat: string = tokenizer.apply_chat_template([{ role: 'user', content: 'Hi' }], { tokenize: false });
tokenizer.padding_side = 'left';
void [rows, text, chat];

try {
  await downloadFile({ repo: 'meta-llama/Llama-2-7b-hf', path: 'tokenizer.json', cacheDir: '/tmp/hf' });
  await snapshotDownload({ repo: 'meta-llama/Llama-2-7b-hf', allowPatterns: ['*.json'], maxWorkers: 4 });
  const exists: boolean = await fileExists({ repo: 'meta-llama/Llama-2-7b-hf', path: 'README.md' });
  const info = await modelInfo({ repo: 'meta-llama/Llama-2-7b-hf' });
  const user = await whoami();
  void [exists, info.sha, user.name];
} catch (e) {
  if (e instanceof HubError) {
    const code: HubErrorCode = e.code;
    void code;
  }
}

const handler = createHubProxy({ allow: ['meta-llama/Llama-2-7b-hf'], origins: ['http://localhost:5173'], basePath: '/hf' });
http.createServer(toNodeHandler(handler));

const transformersEnv = configureTransformers({ fetch: globalThis.fetch }, { cache_dir: '/tmp/hf', local_files_only: true });
const ownFetch: typeof fetch = createHubFetch({ token: false, endpoint: 'http://127.0.0.1:8080' });
const answer: Response = await hubFetch('http://127.0.0.1:8080/a/b/resolve/main/config.json');
void [transformersEnv.fetch, ownFetch, answer.status];

// @ts-expect-error a misspelled option
await AutoTokenizer.from_pretrained('a/b', { revison: 'main' });
// @ts-expect-error `padding` has no such value
tokenizer('Hello', { padding: 'yes' });
// @ts-expect-error not an error code
const wrong: HubErrorCode = 'NOT_A_CODE';
void wrong;
