import { HostpidError } from '../errors.js';
import { type PartialProcess, readContainer, readProcessPartial } from '../proc/read.js';
import type { LevelEntry, LookupAnswer } from './chain.js';
import { Placement, readPartialProcesses } from './hierarchy.js';
import { isContainerId } from './target.js';
import { type Blind, privilegeFix } from './visibility.js';

/*
 * Lookups for a reader the ns/pid links refuse (no root, no CAP_SYS_PTRACE):
 * NSpid and PPid in /proc/PID/status are readable by anyone, and tell a
 * namespace by its init. Only what those chains prove is answered; inodes
 * stay unknown.
 */

/** The process of `--pid H` when its ns/pid link is refused. */
export function pidHolder(procRoot: string, pid: number): PartialProcess | undefined {
  const read = readProcessPartial(procRoot, pid);
  return read.ok && read.process.nsDenied !== undefined ? read.process : undefined;
}

/**
 * The outermost process of `--container ID` (its cgroup names it, and
 * cgroup files are world-readable) when none of their ns/pid links can be read.
 */
export function containerHolder(procRoot: string, container: string): PartialProcess | undefined {
  if (!isContainerId(container)) return undefined;

  const prefix = container.toLowerCase();
  const members = readPartialProcesses(procRoot).filter((p) =>
    readContainer(procRoot, p.pid)?.id.startsWith(prefix) === true);
  if (members.length === 0 || members.some((p) => p.nsDenied === undefined)) return undefined;

  return members.reduce((a, b) => (b.nsPid.length < a.nsPid.length ? b : a));
}

/**
 * `--pid H` when the ns/pid links cannot be read: the namespace of H is told
 * by its init, found from NSpid and PPid, which anyone may read. Only an
 * answer that chain proves is given; inodes stay unknown.
 */
export function lookupInChains(
  procRoot: string,
  holder: PartialProcess,
  vpid: number,
  blind: Blind,
): LookupAnswer {
  const places = partialView(procRoot, blind);
  const level = holder.nsPid.length - 1;
  const initPid = places.initAt(holder, level);
  const found = initPid === undefined ? undefined : places.lookupByInit(initPid, vpid);
  if (found === undefined) {
    const where = initPid === undefined ? `the namespace of pid ${holder.pid}` :
      `the namespace of init ${initPid}`;
    throw new HostpidError(`no pid ${vpid} found in ${where} from what an unprivileged ` +
      `reader may see: ${privilegeFix()}`);
  }

  const target = { ns: holder.pidNs, pid: vpid, via: `the namespace of init ${initPid}` };
  return { hostPid: found.pid, comm: found.comm, target,
    levels: partialLevels(procRoot, found, places) };
}

/**
 * A process whose ns/pid link could not be read: its NSpid (from status,
 * readable by anyone) still gives its PID at every level; the namespaces
 * stay unknown rather than guessed.
 */
export function hostInChains(
  procRoot: string,
  hostPid: number,
  thread: { tid: number; nsTid: number[] } | undefined,
  blind: Blind,
): LookupAnswer {
  const read = readProcessPartial(procRoot, hostPid);
  if (!read.ok) {
    const why = read.reason === 'denied' ? ` (${read.path}: ${privilegeFix()})` : '';
    throw new HostpidError(`no process ${hostPid} under ${procRoot}${why}`);
  }

  const places = partialView(procRoot, blind);
  const levels = partialLevels(procRoot, read.process, places, thread?.nsTid);
  return { hostPid, ...(thread === undefined ? {} : { hostTid: thread.tid }),
    comm: read.process.comm, levels };
}

/** What NSpid and PPid tell; notes in `blind` how many links were refused. */
function partialView(procRoot: string, blind: Blind): Placement {
  const processes = readPartialProcesses(procRoot);
  const denied = processes.filter((p) => p.nsDenied !== undefined);
  const sample = denied[0]?.nsDenied;
  if (sample !== undefined) blind.denied = { count: denied.length, sample };
  return new Placement(processes);
}

function partialLevels(
  procRoot: string,
  process: PartialProcess,
  places: Placement,
  nsTid?: number[],
): LevelEntry[] {
  const ids = nsTid ?? process.nsPid;
  const own = ids.length - 1;
  return ids.map((pid, level) => {
    const initPid = places.initAt(process, level);
    const init = initPid === undefined ? undefined : places.get(initPid);
    const ns = level === own ? process.pidNs : init?.pidNs;
    const container = initPid === undefined ? undefined : readContainer(procRoot, initPid);
    return { level, pid, ns, initPid, container };
  });
}

