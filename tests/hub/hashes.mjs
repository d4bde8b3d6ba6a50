// The Hub's content ids: git blob sha1 for regular files, sha256 for LFS.

import { createHash } from 'node:crypto';

export function gitBlobSha1(bytes) {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A stable, realistic 40-hex commit id for the n-th commit of a repo. */
export function commitSha(repoKey, n) {
  return createHash('sha1').update(`commit ${repoKey} ${n}`).digest('hex');
}
