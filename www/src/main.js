// The demo page. Where the Hub and the proxy are comes from the query string
// (`?hub=...&proxy=...`, as `make www` and the browser test open it), else
// from the build's VITE_* variables, else the defaults: huggingface.co and a
// proxy mounted at /hf on this site.

import { AutoTokenizer, HubError, env } from 'hubguard';

const params = new URLSearchParams(location.search);
env.endpoint = params.get('hub') ?? import.meta.env.VITE_HUB_ENDPOINT ?? undefined;
env.proxy = params.get('proxy') ?? import.meta.env.VITE_HUBGUARD_PROXY ?? '/hf';

const $ = (id) => document.getElementById(id);
const loaded = new Map();

function showError(error) {
  $('result').hidden = true;
  $('error').hidden = false;
  $('error').textContent = error instanceof HubError ? `${error.code}: ${error.message}` : String(error);
  $('status').textContent = '';
}

function onProgress(event) {
  if (event.status === 'progress' && event.file === 'tokenizer.json' && event.total) {
    $('progress').hidden = false;
    $('progress').value = event.progress;
  }
  if (event.status === 'initiate') $('status').textContent = `Loading ${event.file} of ${event.name}…`;
}

async function tokenizerFor(repo) {
  if (!loaded.has(repo)) {
    // Keep the promise, so two clicks share one download.
    loaded.set(repo, AutoTokenizer.from_pretrained(repo, { progress_callback: onProgress }));
  }
  try {
    return await loaded.get(repo);
  } catch (error) {
    loaded.delete(repo);
    throw error;
  } finally {
    $('progress').hidden = true;
  }
}

$('run').addEventListener('click', async () => {
  $('error').hidden = true;
  try {
    const repo = $('repo').value;
    const tokenizer = await tokenizerFor(repo);
    const text = $('text').value;
    const ids = tokenizer.encode(text);
    $('ids').textContent = ids.join(', ');
    $('pieces').replaceChildren(
      ...tokenizer.tokenize(text).map((piece) => Object.assign(document.createElement('span'), { textContent: piece })),
    );
    $('result').hidden = false;
    $('status').textContent = `${ids.length} tokens from ${repo}`;
  } catch (error) {
    showError(error);
  }
});

$('worker').addEventListener('click', () => {
  $('error').hidden = true;
  const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data }) => {
    worker.terminate();
    if (data.error) return showError(data.error);
    $('ids').textContent = data.ids.join(', ');
    $('pieces').replaceChildren();
    $('result').hidden = false;
    $('status').textContent = `${data.ids.length} tokens, computed in a Web Worker`;
  };
  // A relative proxy path is resolved against the page, not the worker script.
  const proxy = env.proxy && new URL(env.proxy, location.href).href;
  worker.postMessage({ repo: $('repo').value, text: $('text').value, endpoint: env.endpoint, proxy });
});

// What happens when someone tries to put a token in a web page.
$('token-demo').addEventListener('click', async () => {
  try {
    await AutoTokenizer.from_pretrained($('repo').value, { token: 'hf_this_would_leak_to_every_visitor' });
  } catch (error) {
    showError(error);
  }
});
