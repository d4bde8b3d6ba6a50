// Type-checked by `make test-types` (tsc --noEmit) against the packed
// package, resolved as a bundler resolves it for a page (`browser`
// condition, no Node types): what browser code may write, and, marked as
// expected errors, what it must not: a token, or a Node-only export.

// @ts-expect-error the Hub API writes to a disk cache: Node only
import { downloadFile } from 'hubguard';
// @ts-expect-error the proxy holds a token: Node only
import { createHubProxy } from 'hubguard';
import { AutoTokenizer, HubError, env, configureTransformers, createHubFetch, type HubErrorCode } from 'hubguard';

env.proxy = '/hf';
env.proxyAll = false;
env.useBrowserCache = true;
const tokenizer = await AutoTokenizer.from_pretrained('meta-llama/Llama-2-7b-hf', {
  revision: 'main',
  progress_callback: (info) => void info.loaded,
  signal: new AbortController().signal,
});
const ids: number[] = tokenizer.encode('Hello world!');
const batch = tokenizer(['Hello', 'world'], { padding: true });
const mask: number[][] = batch.attention_mask;
void [ids, mask, downloadFile, createHubProxy];

configureTransformers({ remoteHost: '' }, { proxy: '/hf', proxyAll: false });
// @ts-expect-error hubFetch never takes a token in a page
createHubFetch({ token: 'hf_x' });

try {
  // @ts-expect-error the browser build never takes a token
  await AutoTokenizer.from_pretrained('meta-llama/Llama-2-7b-hf', { token: 'hf_x' });
  // @ts-expect-error nor a disk cache
  await AutoTokenizer.from_pretrained('meta-llama/Llama-2-7b-hf', { cache_dir: '/tmp' });
} catch (e) {
  if (e instanceof HubError) {
    const code: HubErrorCode = e.code;
    void code;
  }
}
