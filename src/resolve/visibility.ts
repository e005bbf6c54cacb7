import type { Logger } from '../log.js';
import { hidingOption } from '../proc/mount.js';

export const PRIVILEGE_FIX = 'run as root or with CAP_SYS_PTRACE';

/** What a command could not see, to be told once each on stderr. */
export interface Blind {
  /** Processes whose /proc/PID/ns/pid could not be read, with one example. */
  denied?: { count: number; sample?: { path: string; code?: string } };
  /** Processes whose namespace could not be told from what was readable. */
  unplaced?: number;
}

/**
 * Warns once per cause about processes the reader could not see or place.
 * The tool never fills such gaps in: the output says `?` and this says why.
 */
export function warnBlind(log: Logger, procRoot: string, blind: Blind): void {
  const denied = blind.denied;
  if (denied !== undefined && denied.count > 0) {
    log.warn({ count: denied.count, path: denied.sample?.path, code: denied.sample?.code },
      `cannot read the pid namespace link of ${processes(denied.count)}, so their ` +
      `namespace inodes show as "?": ${privilegeFix()}`);
  }

  if (blind.unplaced !== undefined && blind.unplaced > 0) {
    log.warn({ count: blind.unplaced },
      `${processes(blind.unplaced)} could not be placed in a namespace and are not counted: ` +
      privilegeFix());
  }

  const hiding = hidingOption(procRoot);
  if (hiding !== undefined && process.getuid?.() !== 0) {
    log.warn({ path: procRoot, option: hiding },
      `${procRoot} is mounted with ${hiding}: processes of other users are hidden; ` +
      'run as root, or mount it with hidepid=0 or gid= a group you are in');
  }
}

/** Root can still be refused (another user namespace, Yama, an LSM): say so then. */
export function privilegeFix(): string {
  return process.getuid?.() === 0
    ? 'they refuse ptrace-read even to root (another user namespace, Yama or an LSM)'
    : PRIVILEGE_FIX;
}

/** "1 process", "2 processes". */
export function processes(count: number): string {
  return `${count} ${count === 1 ? 'process' : 'processes'}`;
}
