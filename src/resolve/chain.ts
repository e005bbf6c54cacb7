import type { ContainerRef } from '../proc/cgroup.js';
import { readThread } from '../proc/read.js';
import type { Resolver } from './resolver.js';
import type { Task } from './table.js';

/** One level of the answer: the namespace there and the PID it gives. */
export interface LevelEntry {
  level: number;
  pid: number;
  ns: number | undefined;
  initPid: number | undefined;
  container: ContainerRef | undefined;
}

/** What `hostpid lookup` answers, in its text and its json form. */
export interface LookupAnswer {
  hostPid: number;
  /** Set when a thread id was looked up. */
  hostTid?: number;
  comm: string;
  /** The namespace the question was asked in, for container-side lookups. */
  target?: { ns: number | undefined; pid: number; via: string };
  levels: LevelEntry[];
}

/**
 * The task's PID (or its thread's tid, `ids`) at every level, with the
 * namespace the table worked out there, its init, and the container that
 * init is in.
 */
export function levelsOf(
  task: Task,
  resolver: Resolver,
  containerOf: (pid: number) => ContainerRef | undefined,
  ids: readonly number[] = task.info.nsPid,
): LevelEntry[] {
  return ids.map((pid, level) => {
    const ns = task.ancestry[level];
    const init = ns === undefined || level === 0 ? undefined : resolver.table.lookup(ns, 1);
    // The init of the procfs root's own namespace is PID 1 by definition.
    const initPid = level === 0 ? 1 : init?.info.pid;
    const container = initPid === undefined ? undefined : containerOf(initPid);
    return { level, pid, ns, initPid, container };
  });
}

/** The thread's tid at every level, or the task's PIDs when it is no thread of it. */
export function threadIds(procRoot: string, task: Task, hostTid: number | undefined): number[] {
  const thread = hostTid === undefined ? undefined : readThread(procRoot, task.info.pid, hostTid);
  return thread?.ok === true ? thread.thread.nsTid : task.info.nsPid;
}

