import { HostpidError, errnoCode } from '../errors.js';
import {
  listPids,
  type ProcessInfo,
  readProcess,
  type ReadFailure,
  readStartTime,
} from '../proc/read.js';

/** What one scan found compared with the PIDs the caller already knows. */
export interface ScanDelta {
  added: ProcessInfo[];
  /** Known PIDs that are no longer there. */
  gone: number[];
  /** PIDs seen but not readable this time, by reason. */
  failed: Map<number, { reason: ReadFailure; path: string; nsPid?: number[] }>;
  /** Failed reads by errno (ENOENT, ESRCH, EACCES...) or 'malformed', vanished ones too. */
  errors?: Map<string, number>;
}

/**
 * Where processes come from: a live procfs mount, or (for old logs) a
 * recorded table. A source reports changes against what the caller knows, so
 * a rescan reads only processes it has not seen before.
 */
export interface ProcessSource {
  readonly description: string;
  /**
   * `startTimes`, when given, asks the source to check that the known PIDs
   * still belong to the processes that had them (a PID reused between two
   * scans looks known): one that changed is reported gone and read anew.
   */
  scan(known: ReadonlySet<number>, startTimes?: ReadonlyMap<number, number>): ScanDelta;
}

/** Processes of a procfs mount, read with synchronous calls: see README. */
export class ProcfsSource implements ProcessSource {
  readonly description: string;

  constructor(readonly procRoot: string) {
    this.description = `procfs at ${procRoot}`;
  }

  scan(known: ReadonlySet<number>, startTimes?: ReadonlyMap<number, number>): ScanDelta {
    const present = this.list();
    const errors = new Map<string, number>();
    const delta: ScanDelta = { added: [], gone: [], failed: new Map(), errors };

    for (const pid of present) {
      if (known.has(pid) && !this.reused(pid, startTimes)) continue;
      if (known.has(pid)) delta.gone.push(pid);

      const read = readProcess(this.procRoot, pid);
      if (read.ok) {
        delta.added.push(read.process);
        continue;
      }

      const code = read.code ?? 'malformed';
      errors.set(code, (errors.get(code) ?? 0) + 1);
      if (read.reason !== 'gone') delta.failed.set(pid, read);
    }

    const seen = new Set(present);
    for (const pid of known) if (!seen.has(pid)) delta.gone.push(pid);

    return delta;
  }

  private reused(pid: number, startTimes: ReadonlyMap<number, number> | undefined): boolean {
    const recorded = startTimes?.get(pid);
    if (recorded === undefined) return false;

    const now = readStartTime(this.procRoot, pid);
    return now !== undefined && now !== recorded;
  }

  private list(): number[] {
    try {
      return listPids(this.procRoot);
    } catch (err) {
      throw new HostpidError(
        `cannot list processes in ${this.procRoot} (${errnoCode(err) ?? String(err)}): ` +
          'give --proc the mount point of a procfs',
        { cause: err },
      );
    }
  }
}
