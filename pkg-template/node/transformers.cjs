'use strict';
// The Node half of hubFetch and configureTransformers: answers stream from
// the huggingface_hub cache on disk (opened only when read, in 1 MiB
// reads, never the whole file in memory), and Transformers.js' custom cache
// (`env.customCache`) reads that cache, so each model file is on disk once.
// ONNX models and their external data are handed over as file paths:
// ONNX Runtime then reads them itself, with no copy through JS.

const { open } = require('node:fs/promises');
const HubError = require('../shared/errors.cjs');

const READ_BYTES = 1 << 20;

/** Bytes [start, end) of the file at `path`, as a web stream. */
function fileBody({ path, start, end }) {
  let handle;
  let position = start;
  const close = async () => {
    const h = handle;
    handle = undefined;
    await h?.close();
  };
  return new ReadableStream(
    {
      async pull(controller) {
        try {
          handle ??= await open(path, 'r');
          const want = Math.min(READ_BYTES, end - position);
          const buffer = Buffer.allocUnsafe(want);
          const { bytesRead } = want > 0 ? await handle.read(buffer, 0, want, position) : { bytesRead: 0 };
          if (bytesRead === 0 && position < end) throw new Error(`${path} is shorter than the cache recorded`);
          position += bytesRead;
          if (bytesRead > 0) controller.enqueue(new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead));
          if (position >= end) {
            await close();
            controller.close();
          }
        } catch (error) {
          await close().catch(() => {});
          controller.error(error);
        }
      },
      cancel: close,
    },
    // Nothing is read before someone asks: a Response that is never
    // consumed never opens the file.
    { highWaterMark: 0 },
  );
}

/** What hub-fetch.cjs needs from the Node build. */
module.exports = function nodeFetchParts({ runtime, env }) {
  const shared = (call) => runtime.shared().run(call);
  return {
    fileBody,
    /** Options are checked when the fetch is made (INVALID_OPTION names a bad key). */
    checkOptions: (options) => shared((glue) => glue.checkFetchOptions(options, env)),
    /** The endpoint hubguard serves (option, env.endpoint, HF_ENDPOINT), as Transformers.js' remoteHost. */
    remoteHost: (options) => shared((glue) => glue.fetchRemoteHost(options, env)),
    /** Transformers.js' cache interface over the huggingface_hub cache. */
    customCache: (options) => ({
      async match(key) {
        const hit = await runtime.shared().runAsync((glue) => glue.hubCacheMatch(key, options, env));
        if (hit === undefined) return undefined;
        if (hit.asPath) return hit.path;
        const size = Number(new Headers(hit.headers).get('content-length'));
        return new Response(fileBody({ path: hit.path, start: 0, end: size }), { status: 200, headers: hit.headers });
      },
      // Files reach the cache through hubFetch, which stores them before it
      // answers, so Transformers.js finds them and never calls this. If it
      // does, the answer came from another fetch (env.fetch replaced, or a
      // repo served through env.proxy), and storing it would copy a model
      // past the hash check.
      async put(key, response) {
        await response?.body?.cancel().catch(() => {});
        throw new HubError(
          `hubguard's Transformers.js cache stores only what hubguard's fetch downloaded, and ${key} came from elsewhere. ` +
            'Keep env.fetch as configureTransformers set it, and leave env.proxy unset in Node (the server holds the token).',
          { code: 'INVALID_OPTION' },
        );
      },
      // The huggingface_hub cache is shared with Python: hubguard never
      // deletes from it (use `hf cache delete`).
      async delete() {
        return false;
      },
    }),
  };
};
