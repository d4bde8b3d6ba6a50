// Types of the token proxy, `createHubProxy`: in the Node build (node.d.ts)
// and the edge build for Fetch-API servers (edge.d.ts).

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
  /** Hub origin (Node: default HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** Server-side token (Node: default HF_TOKEN, then the token file; read per request). Edge: pass it, e.g. `env.HF_TOKEN`. */
  token?: string | boolean;
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
