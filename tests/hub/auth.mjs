// Who is calling: the emulator's accounts and their tokens.
// Raw tokens are never logged; logs keep only the classification.

export const TOKENS = {
  /** alice: accepted the gated repo's terms, member of the private repo's org. */
  accepted: 'hf_hubguard_accepted_0123456789abcdef',
  /** bob: a valid account with no access to gated or private repos. */
  noaccess: 'hf_hubguard_noaccess_0123456789abcdef',
};

const USERS = {
  [TOKENS.accepted]: { name: 'alice', access: true },
  [TOKENS.noaccess]: { name: 'bob', access: false },
};

export const INVALID_CREDENTIALS = 'Invalid credentials in Authorization header';

/** 'none' | 'accepted' | 'noaccess' | 'invalid', plus the user if any. */
export function identify(authorization) {
  if (authorization === undefined) return { kind: 'none' };
  const match = /^Bearer (\S+)$/.exec(authorization);
  const user = match && USERS[match[1]];
  if (!user) return { kind: 'invalid' };
  return { kind: user.access ? 'accepted' : 'noaccess', user };
}
