// The same tokenizer in a Web Worker: hubguard's browser build uses the
// global `fetch`, never `window`, so it runs here unchanged.

import { AutoTokenizer, HubError, env } from 'hubguard';

self.onmessage = async ({ data: { repo, text, endpoint, proxy } }) => {
  env.endpoint = endpoint;
  env.proxy = proxy;
  try {
    const tokenizer = await AutoTokenizer.from_pretrained(repo);
    self.postMessage({ ids: tokenizer.encode(text) });
  } catch (error) {
    self.postMessage({ error: error instanceof HubError ? `${error.code}: ${error.message}` : String(error) });
  }
};
