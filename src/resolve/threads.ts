import { listTids, readThread } from '../proc/read.js';
import type { Resolver, Unresolved } from './resolver.js';
import type { Task } from './table.js';

export type ThreadResolution =
  | { ok: true; hostTid: number; hostPid: number; task: Task }
  | { ok: false; reason: Unresolved };

interface Known {
  hostTid: number;
  owner: Task;
}

export interface ThreadResolverOptions {
  procRoot: string;
  /** A namespace's threads are read again at most this often on a miss. */
  minRescanMs?: number;
  now?: () => number;
}

/**
 * Maps thread ids as a namespace sees them to the procfs root's. Threads
 * other than a group's leader are not listed by readdir of /proc, so they are
 * found under /proc/PID/task: first of the process the line names, if any,
 * then of every process in the namespace, at most once per minRescanMs. A hit
 * in the cache costs no read of /proc.
 */
export class ThreadResolver {
  private readonly known = new Map<number, Map<number, Known>>();
  private readonly lastScan = new Map<number, number>();
  private readonly lastHint = new Map<number, number>();
  private readonly minRescanMs: number;
  private readonly now: () => number;

  constructor(
    private readonly resolver: Resolver,
    private readonly options: ThreadResolverOptions,
  ) {
    this.minRescanMs = options.minRescanMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The host tid of thread `vtid` of namespace `ns`. `hintPid` is the host
   * PID of the process the same line names, where the thread most likely is.
   */
  resolve(ns: number, vtid: number, hintPid?: number): ThreadResolution {
    const table = this.resolver.table;
    if (!table.hasScanned) this.resolver.refresh();

    const cached = this.cached(ns, vtid);
    if (cached !== undefined) return cached;

    // A thread group leader's tid is its PID, and PIDs and tids share one space.
    const leader = table.lookup(ns, vtid);
    if (leader !== undefined) return found(leader.info.pid, leader);

    const level = table.levelOf(ns);
    if (level === undefined) return { ok: false, reason: 'unknown-namespace' };

    const hinted = hintPid === undefined ? undefined : this.readHint(ns, vtid, level, hintPid);
    if (hinted !== undefined) return hinted;

    return this.rescan(ns, vtid, level);
  }

  private rescan(ns: number, vtid: number, level: number): ThreadResolution {
    const now = this.now();
    if (now - (this.lastScan.get(ns) ?? Number.NEGATIVE_INFINITY) < this.minRescanMs) {
      return { ok: false, reason: this.missReason(ns) };
    }

    this.lastScan.set(ns, now);
    const answer = this.resolver.resolve(ns, vtid);
    if (answer.ok) return found(answer.hostPid, answer.task);

    // Threads of exited processes go with them, so the map is rebuilt, not grown.
    this.known.set(ns, new Map());
    for (const task of this.resolver.table.live()) {
      if (task.ancestry[level] === ns) this.readTasks(ns, level, task);
    }

    return this.cached(ns, vtid) ?? { ok: false, reason: this.missReason(ns) };
  }

  /** Reads the tasks of the process a line names, at most once per minRescanMs. */
  private readHint(ns: number, vtid: number, level: number, hintPid: number) {
    const owner = this.resolver.table.get(hintPid);
    const now = this.now();
    const last = this.lastHint.get(hintPid) ?? Number.NEGATIVE_INFINITY;
    if (owner === undefined || now - last < this.minRescanMs) return undefined;

    if (this.lastHint.size > 4096) this.lastHint.clear();
    this.lastHint.set(hintPid, now);
    this.readTasks(ns, level, owner);
    return this.cached(ns, vtid);
  }

  private readTasks(ns: number, level: number, owner: Task): void {
    let threads = this.known.get(ns);
    if (threads === undefined) {
      threads = new Map();
      this.known.set(ns, threads);
    }

    for (const tid of listTids(this.options.procRoot, owner.info.pid)) {
      const read = readThread(this.options.procRoot, owner.info.pid, tid);
      const vtid = read.ok ? read.thread.nsTid[level] : undefined;
      if (vtid !== undefined) threads.set(vtid, { hostTid: tid, owner });
    }
  }

  /** A remembered thread whose process is still the one the table knows. */
  private cached(ns: number, vtid: number): ThreadResolution | undefined {
    const known = this.known.get(ns)?.get(vtid);
    if (known === undefined || this.resolver.table.get(known.owner.info.pid) !== known.owner) {
      return undefined;
    }

    return found(known.hostTid, known.owner);
  }

  private missReason(ns: number): Unresolved {
    const table = this.resolver.table;
    if (!table.knowsNamespace(ns)) return 'unknown-namespace';
    return table.unreadableCount() > 0 ? 'unreadable' : 'not-found';
  }
}

function found(hostTid: number, task: Task): ThreadResolution {
  return { ok: true, hostTid, hostPid: task.info.pid, task };
}
