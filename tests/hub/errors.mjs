// Error answers in the Hub's shape: X-Error-Code (when the Hub sets one) and
// X-Error-Message headers, and a JSON body {"error": message}. Clients key
// on these: huggingface_hub maps X-Error-Code to its exception classes, and
// treats a 401 without a code as RepositoryNotFound unless the message is
// exactly INVALID_CREDENTIALS.

export function sendError(res, status, code, message, extra = {}) {
  const headers = { 'Content-Type': 'application/json; charset=utf-8', 'X-Error-Message': message, ...extra };
  if (code) headers['X-Error-Code'] = code;
  const body = JSON.stringify({ error: message });
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const PAGE_PREFIX = { model: '', dataset: 'datasets/', space: 'spaces/' };

/** The real Hub's answers when a repo cannot be shown to this caller. */
export const deny = {
  /** Missing and private repos look the same: 401 anonymous, 404 with a valid token. */
  notFound(res, who) {
    sendError(res, who.kind === 'none' ? 401 : 404, 'RepoNotFound', 'Repository not found');
  },
  gated(res, who, repo) {
    if (who.kind === 'none') {
      sendError(res, 401, 'GatedRepo',
        `Access to ${repo.type} ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    } else {
      sendError(res, 403, 'GatedRepo',
        `Access to ${repo.type} ${repo.id} is restricted and you are not in the authorized list. ` +
          `Visit https://huggingface.co/${PAGE_PREFIX[repo.type]}${repo.id} to ask for access.`);
    }
  },
};
