import type { ReadFailure } from '../proc/read.js';
import { ProcfsSource, type ProcessSource } from './source.js';
import { ProcessTable, type Task } from './table.js';
import { ThreadResolver, type ThreadResolution } from './threads.js';

/** Why a PID got `?`: counted in the summary under these names. */
export type Unresolved =
  | 'not-found'
  | 'unreadable'
  | 'unknown-namespace'
  | 'namespace-gone'
  /** A line's time before what the record or the live run saw began. */
  | 'before-record'
  /** A line's time after the record ended. */
  | 'after-record';

export type Resolution =
  | { ok: true; hostPid: number; task: Task }
  | { ok: false; reason: Unresolved };

export interface ResolverOptions {
  /** Mount point of the procfs to read; ignored when `source` is given. */
  procRoot?: string;
  source?: ProcessSource;
  /** Misses rescan at most this often on average (in bursts of RESCAN_BURST). */
  minRescanMs?: number;
  /** How long an exited process still answers for its PID. */
  rememberMs?: number;
  /** Told once per cause when processes could not be read. */
  onUnreadable?: (count: number, sample: { reason: ReadFailure; path: string }) => void;
  now?: () => number;
}

export interface ResolverStats {
  scans: number;
  lookups: number;
  misses: number;
}

/**
 * Maps a PID as a namespace sees it to the PID the procfs root shows (the
 * host PID when that is the host's /proc). Answers come from an index per
 * namespace inode. A miss rescans the source, from a budget that refills
 * one rescan per minRescanMs and holds at most RESCAN_BURST: a process that
 * logs right after it started is found at once, while a flood of unknown
 * PIDs costs a few rescans a second, not one per line.
 */
/** Rescans a burst of misses may cost before the budget runs dry. */
export const RESCAN_BURST = 4;
/** How often a miss may check every known process's start time. */
export const VERIFY_EVERY_MS = 2_000;

export class Resolver {
  readonly table: ProcessTable;
  readonly stats: ResolverStats = { scans: 0, lookups: 0, misses: 0 };
  private readonly minRescanMs: number;
  private readonly now: () => number;
  private readonly onUnreadable: ResolverOptions['onUnreadable'];
  private rescanBudget = RESCAN_BURST;
  private verifiedAt = Number.NEGATIVE_INFINITY;
  private budgetAt = Number.NEGATIVE_INFINITY;
  private warnedUnreadable = false;
  private readonly procRoot: string | undefined;
  private threads: ThreadResolver | undefined;
  private readonly pins = new Map<number, number | undefined>();

  constructor(options: ResolverOptions = {}) {
    const source = options.source ?? new ProcfsSource(options.procRoot ?? '/proc');
    this.table = new ProcessTable(source, options.rememberMs);
    this.minRescanMs = options.minRescanMs ?? 250;
    this.now = options.now ?? Date.now;
    this.onUnreadable = options.onUnreadable;
    this.procRoot = source instanceof ProcfsSource ? source.procRoot : undefined;
  }

  /**
   * The host tid of thread `vtid` in namespace `ns`; `hintPid` is the host
   * PID of the process the same line names. Only a procfs source has threads:
   * elsewhere only thread group leaders (tid = PID) resolve.
   */
  resolveThread(ns: number, vtid: number, hintPid?: number): ThreadResolution {
    if (this.procRoot === undefined) {
      const answer = this.resolve(ns, vtid);
      return answer.ok ? { ok: true, hostTid: answer.hostPid, hostPid: answer.hostPid,
        task: answer.task } : answer;
    }

    this.threads ??= new ThreadResolver(this, { procRoot: this.procRoot,
      minRescanMs: Math.max(this.minRescanMs, 1_000), now: this.now });
    return this.threads.resolve(ns, vtid, hintPid);
  }

  /** Scans now, whatever the rate limit says. */
  refresh(): void {
    const now = this.now();
    this.table.scan(now);
    this.stats.scans++;

    const sample = this.table.unreadableSample();
    if (sample !== undefined && !this.warnedUnreadable && this.onUnreadable !== undefined) {
      this.warnedUnreadable = true;
      this.onUnreadable(this.table.unreadableCount(), sample);
    }
  }

  /**
   * Ties `ns` to the namespace that has that inode now. If every process of
   * it exits and the kernel hands the inode to a new namespace, PIDs of the
   * old one are answered 'namespace-gone', never looked up in the new one.
   */
  pin(ns: number): void {
    if (!this.table.hasScanned) this.refresh();
    this.pins.set(ns, this.table.birthOf(ns));
  }

  /** The host PID of PID `vpid` in pid namespace `ns`. */
  resolve(ns: number, vpid: number): Resolution {
    this.stats.lookups++;
    if (!this.table.hasScanned) this.refresh();
    if (this.isGone(ns)) return { ok: false, reason: 'namespace-gone' };

    const hit = this.table.lookup(ns, vpid);
    if (hit !== undefined) return { ok: true, hostPid: hit.info.pid, task: hit };

    this.stats.misses++;
    if (this.takeRescan()) {
      this.refresh();
      const retry = this.table.lookup(ns, vpid) ?? this.verifiedLookup(ns, vpid);
      if (retry !== undefined && !this.isGone(ns)) {
        return { ok: true, hostPid: retry.info.pid, task: retry };
      }
    }

    return { ok: false, reason: this.missReason(ns) };
  }

  /** True when some process of the source lives in (or below) namespace `ns`. */
  knowsNamespace(ns: number): boolean {
    if (!this.table.hasScanned) this.refresh();
    return this.table.knowsNamespace(ns);
  }

  /**
   * A PID missing after a rescan may belong to a process whose host PID was
   * reused between two scans: the rescan took it for one it knew. A procfs
   * whose last PID can be read catches that in every scan (ProcfsSource);
   * otherwise every start time is checked, at a read per process, so at
   * most every VERIFY_EVERY_MS.
   */
  private verifiedLookup(ns: number, vpid: number) {
    const now = this.now();
    if (now - this.verifiedAt < VERIFY_EVERY_MS) return undefined;
    if (this.table.catchesReuse) return undefined;

    this.verifiedAt = now;
    this.table.scan(now, true);
    this.stats.scans++;
    return this.table.lookup(ns, vpid);
  }

  private takeRescan(): boolean {
    const now = this.now();
    const earned = this.budgetAt === Number.NEGATIVE_INFINITY
      ? RESCAN_BURST
      : (now - this.budgetAt) / this.minRescanMs;
    this.rescanBudget = Math.min(RESCAN_BURST, this.rescanBudget + earned);
    this.budgetAt = now;
    if (this.rescanBudget < 1) return false;

    this.rescanBudget -= 1;
    return true;
  }

  /** A pinned namespace that died, whether or not its inode was reused. */
  private isGone(ns: number): boolean {
    return this.pins.has(ns) && this.pins.get(ns) !== this.table.birthOf(ns);
  }

  private missReason(ns: number): Unresolved {
    if (this.isGone(ns)) return 'namespace-gone';
    if (!this.table.knowsNamespace(ns)) return 'unknown-namespace';
    const hidden = this.table.unreadableFrom(this.table.levelOf(ns) ?? 0);
    return hidden > 0 ? 'unreadable' : 'not-found';
  }
}
