// Types of hubguard's edge build (the `workerd` and `edge-light` conditions:
// Cloudflare Workers, Vercel Edge): the token proxy alone.

export { HubError, type HubErrorCode } from './common';
export * from './proxy';
