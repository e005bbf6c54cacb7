import { readdirSync } from 'node:fs';

import { errnoCode, usageError } from '../errors.js';

/**
 * Checks at start-up that `procRoot` can be listed, so a wrong --proc is a
 * usage error (exit 2) rather than a failure in the middle of a run.
 */
export function checkProcRoot(procRoot: string): void {
  try {
    readdirSync(procRoot);
  } catch (err) {
    throw usageError(`cannot list ${procRoot} (${errnoCode(err) ?? String(err)}): ` +
      'give --proc the mount point of a procfs, such as /proc or /host/proc', err);
  }
}
