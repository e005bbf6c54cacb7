import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

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
   * A PID reused between two scans looks known. `check`, when given, lets
   * the source tell: it compares the start time of known PIDs that may have
   * been handed out again (all of them with `all`) and reports one that
   * changed as gone and read anew.
   */
  scan(known: ReadonlySet<number>, check?: ReuseCheck): ScanDelta;
  /** True when every scan already catches reused PIDs (see ProcfsSource). */
  readonly catchesReuse?: boolean;
}

export interface ReuseCheck {
  startTimeOf(pid: number): number | undefined;
  all: boolean;
}

/** Processes of a procfs mount, read with synchronous calls: see README. */
export class ProcfsSource implements ProcessSource {
  readonly description: string;
  /** The kernel's last PID at the previous scan, when it can be read. */
  private lastPid: number | undefined;

  constructor(readonly procRoot: string) {
    this.description = `procfs at ${procRoot}`;
  }

  /**
   * The kernel hands out PIDs upward and starts again from the bottom only
   * past pid_max, so between two scans a known PID can have been given out
   * again only if the counter wrapped, or if it lies between the last PID
   * seen at the previous scan and now (a process born during that scan's
   * listing). Only those are checked, which costs a few reads, not one per
   * process. This needs ns_last_pid of the procfs's own namespace, which
   * the reader sees only when it lives in that namespace.
   */
  get catchesReuse(): boolean {
    return readLastPid(this.procRoot) !== undefined;
  }

  scan(known: ReadonlySet<number>, check?: ReuseCheck): ScanDelta {
    const previous = this.lastPid;
    this.lastPid = readLastPid(this.procRoot);
    const last = this.lastPid;
    // Without the last PID nothing can be told from a plain scan: the
    // resolver then asks for every start time (check.all), at most every
    // VERIFY_EVERY_MS, instead of paying a read per process on every rescan.
    const suspect = check === undefined || (!check.all && last === undefined)
      ? () => false
      : check.all || previous === undefined || last === undefined || last < previous
        ? () => true
        : (pid: number) => pid > previous && pid <= last;

    const present = this.list();
    const errors = new Map<string, number>();
    const delta: ScanDelta = { added: [], gone: [], failed: new Map(), errors };

    for (const pid of present) {
      if (known.has(pid) && !(suspect(pid) && this.reused(pid, check))) continue;
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

  private reused(pid: number, check: ReuseCheck | undefined): boolean {
    const recorded = check?.startTimeOf(pid);
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

/**
 * PROCROOT/sys/kernel/ns_last_pid, when it speaks for the procfs's own
 * namespace: the file answers for the reader's namespace, which is the same
 * only when PROCROOT/self names this very process (its PID there is ours).
 */
function readLastPid(procRoot: string): number | undefined {
  try {
    if (readlinkSync(join(procRoot, 'self')) !== String(process.pid)) return undefined;

    const text = readFileSync(join(procRoot, 'sys', 'kernel', 'ns_last_pid'), 'latin1').trim();
    return /^\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}
