'use strict';
// Node build: frees the memory of a response body as it is read, so that a
// large download stays small without any collection being forced.
//
// node:http hands every socket read over in a fresh buffer, and copies each
// piece of body out of it into another fresh buffer. Both are garbage once
// read, but they live outside V8's heap, so V8 frees them only when it next
// collects, which it does rarely while its own heap barely grows. Here each
// buffer is detached once nobody needs it: detaching an ArrayBuffer frees
// its memory at once. A transfer through a closed MessagePort is the way to
// detach one on every Node version hubguard supports (as the HTML spec and
// Node's MessagePort want, a closed port still detaches what it is given;
// ArrayBuffer.prototype.transfer came later). Only buffers wholly owned by
// one chunk are detached, never a slice of a larger one (Buffer's pool).
// wasm-bindgen copies this file into the package (snippets/).

let sink;

/** Frees `chunk`'s memory now; `chunk` reads as empty afterwards. */
function release(chunk) {
  const buffer = chunk && chunk.buffer;
  if (!(buffer instanceof ArrayBuffer) || chunk.byteOffset !== 0 || chunk.byteLength !== buffer.byteLength) return;
  if (sink === undefined) {
    sink = new MessageChannel().port1;
    sink.close();
  }
  try {
    sink.postMessage(null, [buffer]);
  } catch {
    // Not detachable (already detached, or wasm memory): left to V8.
  }
}

/**
 * Frees each socket read of `message`'s connection once node:http has parsed
 * it: this listener runs after node:http's own, which copies the body out
 * and keeps nothing of the read (an upgrade or CONNECT would, and is never
 * read this way). It stops at the read that completes the message, before
 * the socket can serve another request, and with the returned function.
 */
function releaseSocketReads(message) {
  const socket = message.socket;
  // Complete already: the socket may serve another request next.
  if (message.complete || !socket || typeof socket.on !== 'function') return () => {};
  const stop = () => {
    socket.removeListener('data', onData);
    message.removeListener('close', stop);
  };
  function onData(read) {
    release(read);
    if (message.complete) stop();
  }
  socket.on('data', onData);
  message.once('close', stop);
  return stop;
}

module.exports = { release, releaseSocketReads };
