// Who is calling: the emulator's accounts and their tokens, and who may see
// which repo. Raw tokens are never logged; logs keep only the classification.

export const TOKENS = {
  /** alice: accepted the gated repo's terms, member of the private repo's org. */
  accepted: 'hf_hubguard_accepted_0123456789abcdef',
  /** bob: a valid account with no access to gated or private repos. */
  noaccess: 'hf_hubguard_noaccess_0123456789abcdef',
};

/** `tokenName`: the token's display name, which `hf auth login` stores it under. */
const USERS = {
  [TOKENS.accepted]: { name: 'alice', access: true, orgs: ['hubguard-test'], tokenName: 'alice-read' },
  [TOKENS.noaccess]: { name: 'bob', access: false, orgs: [], tokenName: 'bob-read' },
};

/** The Hub's exact message; huggingface_hub compares against it. */
export const INVALID_CREDENTIALS = 'Invalid credentials in Authorization header';

/**
 * Authorization header → { kind: 'none' | 'accepted' | 'noaccess' | 'invalid', user? }.
 * Any header that is not `Bearer <known token>` is invalid, as on the Hub.
 */
export function identify(authorization) {
  if (authorization === undefined) return { kind: 'none' };
  const match = /^Bearer (\S+)$/.exec(authorization);
  const user = match && Object.hasOwn(USERS, match[1]) ? USERS[match[1]] : undefined;
  if (!user) return { kind: 'invalid' };
  return { kind: user.access ? 'accepted' : 'noaccess', user };
}

/**
 * What `who` may do with `repo`: 'files' (read everything), 'metadata'
 * (a gated repo's API info is public, its files are not), or 'none' (the
 * repo must look as if it did not exist). A missing repo is 'none'.
 */
export function accessTo(who, repo) {
  if (!repo) return 'none';
  if (repo.visibility === 'private') return who.kind === 'accepted' ? 'files' : 'none';
  if (repo.visibility === 'gated') return who.kind === 'accepted' ? 'files' : 'metadata';
  return 'files';
}
