import { errnoCode, usageError } from '../errors.js';
import type { ContainerRef } from '../proc/cgroup.js';
import {
  listPids,
  type PartialProcess,
  readCmdline,
  readContainer,
  readProcessPartial,
} from '../proc/read.js';

/**
 * One pid namespace below (or at) the root of a procfs mount. A namespace is
 * identified by its init (the process whose last NSpid entry is 1), because
 * NSpid is readable without privileges while the inode of /proc/PID/ns/pid
 * is not; `ns` is filled in wherever some member's link could be read.
 */
export interface PidNamespace {
  /** Inode of the namespace; undefined when no member's link was readable. */
  ns: number | undefined;
  /** Level relative to the procfs root's namespace (0 for the root). */
  level: number;
  /** PID of the init as the procfs root numbers it. */
  initPid: number;
  initComm: string;
  initCmdline?: string;
  /** Undefined for the root, and where the PPid chain could not tell. */
  parent: PidNamespace | undefined;
  /** Processes that live in this namespace itself (not in nested ones). */
  processes: number;
  /** The container its init belongs to, from /proc/INIT/cgroup. */
  container?: ContainerRef;
  children: PidNamespace[];
}

export interface Hierarchy {
  root: PidNamespace;
  /** Every namespace below the root, sorted by init PID. */
  below: PidNamespace[];
  /** Processes whose namespace could not be told: counted, never guessed. */
  unplaced: number;
  /** Processes whose ns/pid link was denied, with one example. */
  denied: { count: number; sample?: { path: string; code?: string } };
}

/** What the tree needs besides the processes: command lines and cgroups. */
export interface HierarchyProbe {
  containerOf(pid: number): ContainerRef | undefined;
  cmdlineOf(pid: number): string | undefined;
}

/** Reads every process of a procfs mount and builds its namespace tree. */
export function readHierarchy(procRoot: string): Hierarchy {
  return buildHierarchy(readPartialProcesses(procRoot), {
    containerOf: (pid) => readContainer(procRoot, pid),
    cmdlineOf: (pid) => readCmdline(procRoot, pid),
  });
}

/** Every process of a procfs mount, as far as the reader may see it. */
export function readPartialProcesses(procRoot: string): PartialProcess[] {
  const processes: PartialProcess[] = [];
  for (const pid of listProcfs(procRoot)) {
    const read = readProcessPartial(procRoot, pid);
    if (read.ok) processes.push(read.process);
  }
  return processes;
}

/** Lists PIDs, or says clearly that `procRoot` is no procfs. */
function listProcfs(procRoot: string): number[] {
  try {
    return listPids(procRoot).sort((a, b) => a - b);
  } catch (err) {
    throw usageError(`cannot list processes in ${procRoot} (${errnoCode(err) ?? String(err)}): ` +
      'give --proc the mount point of a procfs', err);
  }
}

/**
 * Builds the tree from processes already read. Pure apart from `probe`, so
 * tests can feed it any shape of process list.
 */
export function buildHierarchy(
  processes: readonly PartialProcess[],
  probe: HierarchyProbe,
): Hierarchy {
  const places = new Placement(processes);
  const root = newNamespace(places.rootInit(), 0, places.rootInode(), probe);
  const byInit = new Map<number, PidNamespace>();

  for (const init of places.inits()) {
    byInit.set(init.pid, newNamespace(init, init.nsPid.length - 1, places.inodeOf(init), probe));
  }

  for (const ns of byInit.values()) {
    const parentInit = ns.level === 1 ? undefined : places.parentInitOf(ns.initPid);
    ns.parent = ns.level === 1 ? root : byInit.get(parentInit ?? -1);
    ns.parent?.children.push(ns);
  }

  let unplaced = 0;
  for (const p of processes) {
    const init = places.initOf(p);
    const ns = p.nsPid.length === 1 ? root : byInit.get(init ?? -1);
    if (ns === undefined) unplaced++;
    else ns.processes++;
  }

  const below = [...byInit.values()].sort((a, b) => a.initPid - b.initPid);
  for (const ns of [root, ...below]) ns.children.sort((a, b) => a.initPid - b.initPid);
  const denied = processes.filter((p) => p.nsDenied !== undefined);
  const sample = denied[0]?.nsDenied;
  return {
    root,
    below,
    unplaced,
    denied: sample === undefined ? { count: 0 } : { count: denied.length, sample },
  };
}

function newNamespace(
  init: PartialProcess | undefined,
  level: number,
  ns: number | undefined,
  probe: HierarchyProbe,
): PidNamespace {
  const initPid = init?.pid ?? 1;
  const container = probe.containerOf(initPid);
  const cmdline = probe.cmdlineOf(initPid);
  return {
    ns,
    level,
    initPid,
    initComm: init?.comm ?? '?',
    ...(cmdline === undefined || cmdline === '' ? {} : { initCmdline: cmdline }),
    parent: undefined,
    processes: 0,
    ...(container === undefined ? {} : { container }),
    children: [],
  };
}

/**
 * Works out which namespace each process lives in, by the rules of
 * DESIGN.md: a parent at the same level shares the child's namespace, a
 * known inode names it outright, and anything else stays unknown.
 */
export class Placement {
  private readonly byPid = new Map<number, PartialProcess>();
  private readonly initByInode = new Map<number, number>();
  private readonly memo = new Map<number, number | undefined>();

  constructor(processes: readonly PartialProcess[]) {
    for (const p of processes) this.byPid.set(p.pid, p);
    for (const p of processes) {
      if (isInit(p) && p.pidNs !== undefined) this.initByInode.set(p.pidNs, p.pid);
    }
  }

  get(pid: number): PartialProcess | undefined {
    return this.byPid.get(pid);
  }

  /**
   * The init of the namespace that holds `p` at `level` (1 for level 0):
   * the first process up the PPid chain at that level names it, or else the
   * chain of the init of p's own namespace does.
   */
  initAt(p: PartialProcess, level: number): number | undefined {
    const own = p.nsPid.length - 1;
    if (level > own) return undefined;
    if (level === 0) return 1;
    if (level === own) return this.initOf(p);

    const outer = this.firstAncestorBelow(p, level + 1);
    if (outer !== undefined && outer.nsPid.length - 1 === level) return this.initOf(outer);

    const init = this.byPid.get(this.initOf(p) ?? -1);
    return init === undefined || init === p ? undefined : this.initAt(init, level);
  }

  /**
   * The process with PID `vpid` in the namespace whose init is `initPid`,
   * found from NSpid and PPid alone: for readers the ns/pid links refuse.
   */
  lookupByInit(initPid: number, vpid: number): PartialProcess | undefined {
    const init = this.byPid.get(initPid);
    if (init === undefined) return undefined;

    const level = init.nsPid.length - 1;
    for (const p of this.byPid.values()) {
      if (p.nsPid[level] === vpid && this.initAt(p, level) === initPid) return p;
    }
    return undefined;
  }

  *inits(): Generator<PartialProcess> {
    for (const p of this.byPid.values()) if (isInit(p)) yield p;
  }

  rootInit(): PartialProcess | undefined {
    const one = this.byPid.get(1);
    return one?.nsPid.length === 1 ? one : undefined;
  }

  rootInode(): number | undefined {
    for (const p of this.byPid.values()) {
      if (p.nsPid.length === 1 && p.pidNs !== undefined) return p.pidNs;
    }
    return undefined;
  }

  /** Inode of the namespace of an init: its own link, or any member's. */
  inodeOf(init: PartialProcess): number | undefined {
    if (init.pidNs !== undefined) return init.pidNs;

    for (const p of this.byPid.values()) {
      if (p.pidNs !== undefined && p !== init && this.initOf(p) === init.pid) return p.pidNs;
    }
    return undefined;
  }

  /** PID of the init of the namespace `p` lives in; undefined at level 0. */
  initOf(p: PartialProcess): number | undefined {
    if (this.memo.has(p.pid)) return this.memo.get(p.pid);

    this.memo.set(p.pid, undefined);
    const init = this.findInit(p);
    this.memo.set(p.pid, init);
    return init;
  }

  /**
   * The init of the parent namespace of the namespace whose init is `initPid`:
   * the first process up its PPid chain one level out names it. A chain that
   * skips that level (setns into a nested namespace) gives no answer.
   */
  parentInitOf(initPid: number): number | undefined {
    const init = this.byPid.get(initPid);
    if (init === undefined) return undefined;

    const outer = this.firstAncestorBelow(init, init.nsPid.length - 1);
    if (outer === undefined || outer.nsPid.length !== init.nsPid.length - 1) return undefined;
    return this.initOf(outer);
  }

  private findInit(p: PartialProcess): number | undefined {
    if (p.nsPid.length === 1) return undefined;
    if (isInit(p)) return p.pid;
    if (p.pidNs !== undefined && this.initByInode.has(p.pidNs)) {
      return this.initByInode.get(p.pidNs);
    }

    const parent = this.byPid.get(p.ppid);
    if (parent === undefined || parent.nsPid.length !== p.nsPid.length) return undefined;
    return this.initOf(parent);
  }

  private firstAncestorBelow(p: PartialProcess, level: number): PartialProcess | undefined {
    const visited = new Set<number>([p.pid]);
    let current = this.byPid.get(p.ppid);

    while (current !== undefined && !visited.has(current.pid)) {
      if (current.nsPid.length - 1 < level) return current;
      visited.add(current.pid);
      current = this.byPid.get(current.ppid);
    }
    return undefined;
  }
}

function isInit(p: PartialProcess): boolean {
  return p.nsPid.length > 1 && p.nsPid[p.nsPid.length - 1] === 1;
}

/** The seed's /proc/pidns_hierarchy form: `<init_PID> <parent_of_init_PID> <level>`. */
export function formatTable(hierarchy: Hierarchy): string {
  return hierarchy.below
    .map((ns) => `${ns.initPid} ${ns.parent?.initPid ?? '?'} ${ns.level}\n`)
    .join('');
}

/** `docker 0123456789ab`, `kubernetes 0123456789ab pod UID`: a container in a few words. */
export function describeContainer(container: ContainerRef | undefined): string | undefined {
  if (container === undefined) return undefined;

  const pod = container.podUid === undefined ? '' : ` pod ${container.podUid}`;
  return `${container.runtime} ${container.id.slice(0, 12)}${pod}`;
}
