'use strict';
// The proxy's JS half, shared by the server builds (Node, and the Fetch-API
// build for edge runtimes): `createHubProxy(options)` → a Fetch-API handler
// `(request, context?) => Promise<Response>`. wasm decides everything (the
// route, the policy, the answer: see the README's proxy section); this file
// makes Responses of its answers and streams upstream bodies with the idle
// and write timeouts. Every answer ends in exactly one `finish` call, which
// gives its concurrency slot back and yields its access-log entry, whatever
// happens to the body: completed, cancelled by a client that left, cut by a
// timeout, or broken upstream.
// `make pkg` also emits it as proxy.mjs (pkg-template/build/esm.mjs).

module.exports = function createProxyApi({ runtime }) {
  /** toNodeHandler's way to pipe a Node upstream body without web streams. */
  const NODE_BODY = Symbol.for('hubguard.proxy.nodeBody');
  const encoder = new TextEncoder();

  /** A last-resort answer, for a failure the wasm half could not describe. */
  function internalError() {
    return new Response(JSON.stringify({ error: 'The proxy failed to answer; retry.' }), {
      status: 500,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' },
    });
  }

  /** Calls `onRequest`; what it throws or rejects with is ignored. */
  function report(onRequest, entry) {
    if (typeof onRequest !== 'function' || entry === undefined) return;
    try {
      const r = onRequest(entry);
      if (r && typeof r.then === 'function') r.then(undefined, () => {});
    } catch {
      // The access log must never break an answer.
    }
  }

  /** The context fields the wasm half reads; anything else (Next.js' params) is left out. */
  function innerContext(context, signal) {
    const c = context !== null && typeof context === 'object' ? context : {};
    const pick = (key, type) => {
      try {
        return typeof c[key] === type ? c[key] : undefined;
      } catch {
        return undefined; // a getter that throws: as if absent
      }
    };
    return {
      rawTarget: pick('rawTarget', 'string'),
      clientAddress: pick('clientAddress', 'string'),
      localAddress: pick('localAddress', 'string'),
      localPort: pick('localPort', 'number'),
      hasBody: pick('hasBody', 'boolean'),
      signal,
    };
  }

  /**
   * The request's own signal aborts the upstream request while the answer
   * is being prepared, and only then: some runtimes (Deno) fire it once a
   * Response is returned, when only a cancelled body may stop the download.
   */
  function linkUntilAnswered(request, upstream) {
    let signal;
    try {
      signal = request?.signal;
    } catch {
      signal = undefined;
    }
    if (!signal || typeof signal.addEventListener !== 'function') return () => {};
    const abort = () => upstream.abort();
    if (signal.aborted) abort();
    signal.addEventListener('abort', abort, { once: true });
    return () => signal.removeEventListener('abort', abort);
  }

  /**
   * The upstream body as the client's: a web ReadableStream that reads
   * upstream only when the client pulls (so a client that stops reading
   * stops the download), with a watchdog: no client pull for `write` ms, or
   * no upstream bytes for `idle` ms, cuts the answer. `node` lets
   * toNodeHandler pipe a Node upstream body straight into its response
   * instead, under the same watchdog, if the web stream was never read.
   */
  function streamBody(source, { idle, write, upstream, finish }) {
    let bytes = 0;
    let ended = false;
    let started = false;
    let waitingOnClient = true;
    let since = Date.now();
    let cancelSource = () => {};
    let onTimeout = () => {};
    let clientWaits = () => waitingOnClient;
    const tick = Math.min(1000, Math.max(25, Math.floor(Math.min(idle, write) / 4)));
    const timer = setInterval(() => {
      const limit = clientWaits() ? write : idle;
      if (Date.now() - since > limit) onTimeout();
    }, tick);
    if (typeof timer === 'object' && typeof timer?.unref === 'function') timer.unref();

    function end(outcome) {
      if (ended) return;
      ended = true;
      clearInterval(timer);
      if (outcome !== 'complete') {
        upstream.abort();
        cancelSource();
      }
      finish(bytes, outcome);
    }

    const isWeb = typeof source.getReader === 'function';
    let next;
    function wire() {
      if (isWeb) {
        const reader = source.getReader();
        next = () => reader.read();
        cancelSource = () => reader.cancel().catch(() => {});
      } else {
        const iterator = source[Symbol.asyncIterator]();
        next = () => iterator.next();
        cancelSource = () => {
          source.destroy?.();
          iterator.return?.().catch?.(() => {});
        };
      }
    }
    // Until the stream is read (or taken by toNodeHandler), cancelling it
    // must still release the upstream body.
    cancelSource = () => (isWeb ? source.cancel().catch(() => {}) : source.destroy?.());

    let controller;
    const stream = new ReadableStream(
      {
        start(c) {
          controller = c;
        },
        async pull(c) {
          if (ended) return;
          if (!started) {
            started = true;
            wire();
          }
          waitingOnClient = false;
          since = Date.now();
          let step;
          try {
            step = await next();
          } catch (e) {
            if (!ended) {
              end('failed');
              c.error(e);
            }
            return;
          }
          if (ended) return;
          if (step.done) {
            end('complete');
            c.close();
            return;
          }
          bytes += step.value.byteLength;
          since = Date.now();
          waitingOnClient = true;
          c.enqueue(step.value);
        },
        cancel() {
          end('aborted');
        },
      },
      // Read upstream only on demand: nothing is fetched ahead of the client.
      { highWaterMark: 0 },
    );
    onTimeout = () => {
      end('timeout');
      try {
        controller.error(new Error('hubguard proxy: the answer stalled and was cut'));
      } catch {
        // Already closed.
      }
    };

    const node =
      !isWeb && typeof source.pipe === 'function'
        ? {
            /** Pipes into a Node ServerResponse (headers already written); false if too late. */
            take(res) {
              if (started || ended) return false;
              started = true;
              clientWaits = () => res.writableNeedDrain === true;
              const progress = () => {
                since = Date.now();
              };
              source.on('data', (chunk) => {
                bytes += chunk.length;
                progress();
              });
              res.on('drain', progress);
              source.on('error', () => {
                end('failed');
                res.destroy();
              });
              source.on('close', () => {
                if (!source.readableEnded && !ended) {
                  end('failed');
                  res.destroy();
                }
              });
              res.on('close', () => end(res.writableFinished ? 'complete' : 'aborted'));
              cancelSource = () => source.destroy();
              onTimeout = () => {
                end('timeout');
                res.destroy();
              };
              if (res.destroyed) end('aborted');
              else source.pipe(res);
              return true;
            },
          }
        : undefined;
    return { stream, node };
  }

  /**
   * The token proxy for browser apps, as a Fetch-API handler. It holds the
   * server's token and serves only `allow`ed repos. Options: see index.d.ts.
   */
  function createHubProxy(options) {
    // The proxy lives in the runtime's shared wasm instance. If that instance
    // dies (a trap), the answers under way end, and the next request makes
    // the proxy again in a new one. Bad options throw here, at creation.
    let instance = runtime.shared();
    let proxy = instance.run((glue) => new glue.HubProxy(options));
    const live = () => {
      if (instance.dead) {
        instance = runtime.shared();
        proxy = instance.run((glue) => new glue.HubProxy(options));
      }
      return { instance, proxy };
    };
    const onRequest = options?.onRequest;
    const { idle, write } = instance.run(() => proxy.timeouts());
    if (!proxy.hasAuthorize) {
      console.warn(
        'hubguard proxy: no `authorize` option, so any client that can reach this proxy gets the allowed files, ' +
          'on your token. Check your users in `authorize` (or, for the CLI, --require-bearer-env) unless the files are public.',
      );
    }

    function respond(out, current) {
      let finished = false;
      const finish = (bytes, outcome) => {
        if (finished) return;
        finished = true;
        let entry;
        try {
          entry = current.instance.run(() => current.proxy.finish(out.ticket, bytes, outcome));
        } catch {
          entry = undefined; // its instance died: the slot went with it
        }
        report(onRequest, entry);
      };
      try {
        if (out.app !== undefined) {
          finish(0, 'complete');
          return out.app;
        }
        const init = { status: out.status, headers: new Headers(out.headers) };
        if (typeof out.body === 'string') {
          const response = new Response(out.body, init);
          finish(encoder.encode(out.body).byteLength, 'complete');
          return response;
        }
        if (out.body === null || out.body === undefined) {
          finish(0, 'complete');
          return new Response(null, init);
        }
        const upstream = out.abort;
        const { stream, node } = streamBody(out.body, { idle, write, upstream, finish });
        const response = new Response(stream, init);
        if (node) response[NODE_BODY] = node;
        return response;
      } catch {
        out.abort?.abort();
        finish(0, 'failed');
        return internalError();
      }
    }

    return async function hubProxyHandler(request, context) {
      const upstream = new AbortController();
      let unlink = () => {};
      try {
        unlink = linkUntilAnswered(request, upstream);
        const current = live();
        const out = await current.instance.runAsync(() => current.proxy.handle(request, innerContext(context, upstream.signal)));
        unlink();
        out.abort = upstream;
        return respond(out, current);
      } catch {
        unlink();
        upstream.abort();
        return internalError();
      }
    };
  }

  return { createHubProxy };
};
