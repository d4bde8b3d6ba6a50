// The emulator over TLS, as huggingface.co is: a self-signed certificate for
// 127.0.0.1 and localhost, made when asked (openssl, from Debian; .ci/run
// installs it), and the servers (Hub, LFS CDN, Xet bridge) on https. Clients
// trust it through NODE_EXTRA_CA_CERTS=<certFile>. Plain http otherwise.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** → { key, cert, certFile }: a fresh self-signed P-256 certificate, valid two days. */
export function makeCertificate() {
  const dir = mkdtempSync(path.join(tmpdir(), 'hubguard-tls-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=hubguard test hub', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', keyFile, '-out', certFile,
    ], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`openssl could not make the test certificate (apt-get install openssl; .ci/run does): ${e.stderr ?? e.message}`);
  }
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}

/** An http server, or an https one when `tls` ({ key, cert }) is given. */
export function createServer(tls, handler) {
  return tls ? https.createServer({ key: tls.key, cert: tls.cert }, handler) : http.createServer(handler);
}

/** `http` or `https`, for the server's URL. */
export const schemeOf = (tls) => (tls ? 'https' : 'http');
