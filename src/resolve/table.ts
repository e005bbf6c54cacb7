import type { ProcessInfo, ReadFailure } from '../proc/read.js';
import type { ProcessSource } from './source.js';

/**
 * A process as the table keeps it. `ancestry[k]` is the inode of the pid
 * namespace at level k that holds the process (its own namespace at its own
 * level); undefined where the PPid chain could not tell. Namespaces of a
 * process never change, so ancestry is worked out once, while its parents
 * are still there to ask.
 */
export interface Task {
  readonly info: ProcessInfo;
  readonly level: number;
  readonly ancestry: ReadonlyArray<number | undefined>;
  /** Milliseconds since the epoch when a scan first missed it. */
  exitedAt?: number;
}

/** How long a process that failed to read is tried again on each scan. */
export const RETRY_UNREADABLE_MS = 2_000;

export interface ScanStats {
  added: number;
  gone: number;
  unreadable: number;
}

/**
 * The processes of one source, with their namespace ancestry and, for every
 * namespace someone asked about, an index from the PID at that namespace's
 * level to the task. Exited tasks stay indexed for `rememberMs` so a line
 * about a process that just died still resolves, unless a newer process took
 * its PID.
 */
export class ProcessTable {
  private readonly tasks = new Map<number, Task>();
  private readonly unreadable = new Map<number,
    { reason: ReadFailure; path: string; nsPid?: number[]; since: number }>();
  private readonly exited = new Map<number, Task>();
  private readonly nsAncestry = new Map<number, Array<number | undefined>>();
  private readonly indexes = new Map<number, Map<number, Task>>();
  private scanned = false;
  /** Failed reads over the table's life, by errno: for the run's summary. */
  readonly readErrors = new Map<string, number>();
  /**
   * A serial number per namespace, given when it is first seen. An inode
   * that comes back after its namespace died is a new namespace (the kernel
   * reuses inode numbers) and gets a new number, so a caller that pinned
   * the old one can tell.
   */
  private readonly births = new Map<number, number>();
  private nextBirth = 1;
  /** The init (last NSpid 1) of each namespace: a namespace dies with it. */
  private readonly inits = new Map<number, Task>();

  constructor(
    private readonly source: ProcessSource,
    private readonly rememberMs = 60_000,
  ) {}

  get description(): string {
    return this.source.description;
  }

  /** Whether every scan already catches PIDs reused between scans. */
  get catchesReuse(): boolean {
    return this.source.catchesReuse === true;
  }

  /**
   * Reads what changed since the last scan and updates every built index.
   * The source checks the start times of known PIDs it suspects were handed
   * out again; with `verify`, of every live task, at a read per task.
   */
  scan(now = Date.now(), verify = false): ScanStats {
    const known = new Set([...this.tasks.keys(), ...this.unreadable.keys()]);
    const retried = this.freshlyUnreadable(now);
    for (const pid of retried) known.delete(pid);
    const check = {
      startTimeOf: (pid: number) => this.tasks.get(pid)?.info.startTime,
      all: verify,
    };
    const delta = this.source.scan(known, check);
    const byPid = new Map(delta.added.map((info) => [info.pid, info]));

    for (const [code, count] of delta.errors ?? []) {
      this.readErrors.set(code, (this.readErrors.get(code) ?? 0) + count);
    }
    for (const pid of delta.gone) this.forget(pid, now);
    for (const pid of retried) if (!delta.failed.has(pid)) this.unreadable.delete(pid);
    for (const [pid, failure] of delta.failed) {
      this.unreadable.set(pid, { ...failure, since: this.unreadable.get(pid)?.since ?? now });
    }
    for (const info of delta.added) this.admit(info, byPid);
    this.expire(now);
    this.scanned = true;

    return { added: delta.added.length, gone: delta.gone.length, unreadable: delta.failed.size };
  }

  /**
   * Processes that failed to read only lately are read again: a process in
   * the middle of execve refuses its ns link for a moment. Ones that keep
   * failing (another user's, without CAP_SYS_PTRACE) are left alone after
   * RETRY_UNREADABLE_MS, so an unprivileged rescan does not reread them all.
   */
  private freshlyUnreadable(now: number): number[] {
    const pids: number[] = [];
    for (const [pid, failure] of this.unreadable) {
      if (now - failure.since < RETRY_UNREADABLE_MS) pids.push(pid);
    }
    return pids;
  }

  get hasScanned(): boolean {
    return this.scanned;
  }

  get(pid: number): Task | undefined {
    return this.tasks.get(pid) ?? this.exited.get(pid);
  }

  /** Live tasks, in no particular order. */
  live(): IterableIterator<Task> {
    return this.tasks.values();
  }

  unreadableCount(): number {
    return this.unreadable.size;
  }

  /**
   * Unreadable processes that could live in a namespace at `level`: those
   * that deep or deeper, and those whose depth is unknown too.
   */
  unreadableFrom(level: number): number {
    let count = 0;
    for (const failure of this.unreadable.values()) {
      if (failure.nsPid === undefined || failure.nsPid.length - 1 >= level) count++;
    }
    return count;
  }

  unreadableSample(): { reason: ReadFailure; path: string } | undefined {
    return this.unreadable.values().next().value;
  }

  /** The task with PID `vpid` in namespace `ns`, live or recently exited. */
  lookup(ns: number, vpid: number): Task | undefined {
    return this.index(ns)?.get(vpid);
  }

  /** Level of a namespace, from any task that lives in it. */
  levelOf(ns: number): number | undefined {
    return this.nsAncestry.get(ns)?.length === undefined
      ? undefined
      : (this.nsAncestry.get(ns)?.length ?? 0) - 1;
  }

  /** The namespaces at each level that hold namespace `ns`, outermost first. */
  ancestryOf(ns: number): ReadonlyArray<number | undefined> | undefined {
    return this.nsAncestry.get(ns);
  }

  /** The serial number of the namespace now known under inode `ns`. */
  birthOf(ns: number): number | undefined {
    return this.births.get(ns);
  }

  knowsNamespace(ns: number): boolean {
    return this.nsAncestry.has(ns);
  }

  namespaces(): IterableIterator<number> {
    return this.nsAncestry.keys();
  }

  /** Tasks held: live ones and exited ones still remembered. */
  size(): number {
    return this.tasks.size + this.exited.size;
  }

  indexCount(): number {
    return this.indexes.size;
  }

  private index(ns: number): Map<number, Task> | undefined {
    const built = this.indexes.get(ns);
    if (built !== undefined) return built;

    const level = this.levelOf(ns);
    if (level === undefined) return undefined;

    const index = new Map<number, Task>();
    for (const task of [...this.exited.values(), ...this.tasks.values()]) {
      if (task.ancestry[level] === ns) place(index, task.info.nsPid[level], task);
    }
    this.indexes.set(ns, index);
    return index;
  }

  private admit(info: ProcessInfo, fresh: ReadonlyMap<number, ProcessInfo>): Task {
    const existing = this.tasks.get(info.pid);
    if (existing !== undefined && existing.info === info) return existing;

    const task = { info, level: info.nsPid.length - 1, ancestry: this.ancestryFor(info, fresh) };
    const previous = this.exited.get(info.pid);
    if (previous !== undefined) this.purge(previous);
    this.tasks.set(info.pid, task);
    this.learnNamespace(task);

    for (let level = 0; level <= task.level; level++) {
      const ns = task.ancestry[level];
      const index = ns === undefined ? undefined : this.indexes.get(ns);
      if (index !== undefined) place(index, info.nsPid[level], task);
    }

    return task;
  }

  /**
   * Walks the PPid chain to the first ancestor at a lower level: its
   * namespaces are ours from its level up. Levels the chain skipped come from
   * other tasks of our namespace, or stay unknown.
   */
  private ancestryFor(
    info: ProcessInfo,
    fresh: ReadonlyMap<number, ProcessInfo>,
  ): Array<number | undefined> {
    const level = info.nsPid.length - 1;
    const ancestry: Array<number | undefined> = new Array(level + 1).fill(undefined);
    ancestry[level] = info.pidNs;

    const outer = this.firstOuterAncestor(info, fresh);
    if (outer !== undefined) {
      for (let k = 0; k <= outer.level; k++) ancestry[k] = outer.ancestry[k];
    }

    const known = this.nsAncestry.get(info.pidNs);
    for (let k = 0; k < level; k++) ancestry[k] ??= known?.[k];

    return ancestry;
  }

  private firstOuterAncestor(
    info: ProcessInfo,
    fresh: ReadonlyMap<number, ProcessInfo>,
  ): Task | undefined {
    const level = info.nsPid.length - 1;
    const visited = new Set<number>([info.pid]);
    let ppid = info.ppid;

    while (ppid > 0 && !visited.has(ppid)) {
      visited.add(ppid);
      const parent = this.tasks.get(ppid)
        ?? (fresh.has(ppid) ? this.admit(fresh.get(ppid) as ProcessInfo, fresh) : undefined);
      if (parent === undefined) return undefined;
      if (parent.level < level) return parent;

      ppid = parent.info.ppid;
    }

    return undefined;
  }

  /** Keeps, per namespace, the most complete ancestry any of its tasks knew. */
  private learnNamespace(task: Task): void {
    const ns = task.info.pidNs;
    if (task.info.nsPid.at(-1) === 1) this.learnInit(ns, task);

    const known = this.nsAncestry.get(ns);
    if (known === undefined) {
      this.nsAncestry.set(ns, [...task.ancestry]);
      this.births.set(ns, this.nextBirth++);
      return;
    }

    for (let k = 0; k < known.length; k++) known[k] ??= task.ancestry[k];
  }

  /**
   * A second init under the same inode means the namespace died (with its
   * init) and the kernel gave the inode to a new one: the old one's
   * remembered tasks are dropped and the inode gets a new serial number.
   */
  private learnInit(ns: number, init: Task): void {
    const previous = this.inits.get(ns);
    this.inits.set(ns, init);
    if (previous === undefined || previous === init) return;

    for (const task of [...this.exited.values()]) {
      if (task.ancestry.includes(ns)) this.purge(task);
    }
    this.indexes.delete(ns);
    this.births.set(ns, this.nextBirth++);
  }

  private forget(pid: number, now: number): void {
    this.unreadable.delete(pid);
    const task = this.tasks.get(pid);
    if (task === undefined) return;

    this.tasks.delete(pid);
    task.exitedAt = now;
    this.exited.set(pid, task);
  }

  /** Drops exited tasks older than rememberMs, and namespaces left empty. */
  private expire(now: number): void {
    for (const task of this.exited.values()) {
      if (now - (task.exitedAt ?? now) < this.rememberMs) continue;

      this.purge(task);
    }

    this.dropEmptyNamespaces();
  }

  /** Removes an exited task from the table and from every index. */
  private purge(task: Task): void {
    this.exited.delete(task.info.pid);

    for (let level = 0; level <= task.level; level++) {
      const ns = task.ancestry[level];
      const index = ns === undefined ? undefined : this.indexes.get(ns);
      const vpid = task.info.nsPid[level];
      if (index !== undefined && vpid !== undefined && index.get(vpid) === task) {
        index.delete(vpid);
      }
    }
  }

  private dropEmptyNamespaces(): void {
    const inUse = new Set<number>();
    for (const task of [...this.tasks.values(), ...this.exited.values()]) {
      for (const ns of task.ancestry) if (ns !== undefined) inUse.add(ns);
    }

    for (const ns of this.nsAncestry.keys()) {
      if (inUse.has(ns)) continue;
      this.nsAncestry.delete(ns);
      this.indexes.delete(ns);
      this.births.delete(ns);
      this.inits.delete(ns);
    }
  }
}

/** A live task wins over an exited one; among equals the newer start wins. */
function place(index: Map<number, Task>, vpid: number | undefined, task: Task): void {
  if (vpid === undefined) return;

  const current = index.get(vpid);
  if (current === undefined || current === task) {
    index.set(vpid, task);
    return;
  }

  const currentLive = current.exitedAt === undefined;
  const taskLive = task.exitedAt === undefined;
  if (currentLive && !taskLive) return;
  if (taskLive && !currentLive) {
    index.set(vpid, task);
    return;
  }
  if (task.info.startTime >= current.info.startTime) index.set(vpid, task);
}
