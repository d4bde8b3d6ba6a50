// Error answers in the Hub's shape: X-Error-Code / X-Error-Message headers
// and a JSON body.

export function sendError(res, status, code, message, extra = {}) {
  const headers = { 'Content-Type': 'application/json', 'X-Error-Message': message, ...extra };
  if (code) headers['X-Error-Code'] = code;
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: message }));
}

/** The real Hub's answers when a repo cannot be shown to this caller. */
export const deny = {
  notFound(res, who) {
    // Anonymous callers get 401 for missing and private repos alike.
    sendError(res, who.kind === 'none' ? 401 : 404, 'RepoNotFound', 'Repository not found');
  },
  gated(res, who, repo) {
    const kind = repo.type === 'model' ? 'model' : repo.type;
    if (who.kind === 'none') {
      sendError(res, 401, 'GatedRepo',
        `Access to ${kind} ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    } else {
      sendError(res, 403, 'GatedRepo',
        `Access to ${kind} ${repo.id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${repo.id} to ask for access.`);
    }
  },
};
