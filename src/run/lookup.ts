import type { Writable } from 'node:stream';


import { HostpidError, usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatNs } from '../proc/nslink.js';
import { readContainer, readThread } from '../proc/read.js';
import { levelsOf, type LookupAnswer, threadIds } from '../resolve/chain.js';
import { describeContainer } from '../resolve/hierarchy.js';
import { containerHolder, hostInChains, lookupInChains, pidHolder } from '../resolve/partial.js';
import { Resolver } from '../resolve/resolver.js';
import { resolveTarget, type Target, type TargetSpec } from '../resolve/target.js';
import { type Blind, privilegeFix, processes, warnBlind } from '../resolve/visibility.js';
import { openRecordedSource } from '../snapshot/source.js';
import { recordedTarget } from '../snapshot/target.js';

export type { LevelEntry, LookupAnswer } from '../resolve/chain.js';

export interface LookupOptions extends TargetSpec {
  /** The PID (or tid) to look up: in the target namespace, or a host PID. */
  id: number;
  host: boolean;
  tid: boolean;
  format: 'text' | 'json';
  procRoot: string;
  /** A file of `hostpid snapshot` or `hostpid record` to ask instead of procRoot. */
  snapshot?: string;
  output: Writable;
  log: Logger;
}

/** `lookup`: a PID of a namespace to the host's, or a host PID to every level. */
export async function runLookup(options: LookupOptions): Promise<LookupAnswer> {
  const { log, procRoot } = options;
  if (options.snapshot !== undefined) {
    const answer = lookupRecorded(options, options.snapshot);
    options.output.write(options.format === 'json' ? renderJson(answer) : renderAnswer(answer));
    return answer;
  }

  const resolver = new Resolver({
    procRoot,
    onUnreadable: () => undefined,
  });

  const blind: Blind = {};
  const answer = options.host
    ? lookupHost(options, resolver, blind)
    : await lookupInNamespace(options, resolver, blind);

  const denied = resolver.table.unreadableCount();
  const sample = resolver.table.unreadableSample();
  if (blind.denied === undefined && denied > 0 && sample?.reason === 'denied') {
    blind.denied = { count: denied, sample };
  }
  warnBlind(log, procRoot, blind);

  options.output.write(options.format === 'json' ? renderJson(answer) : renderAnswer(answer));
  return answer;
}

async function lookupInNamespace(
  options: LookupOptions,
  resolver: Resolver,
  blind: Blind,
): Promise<LookupAnswer> {
  const { id, procRoot } = options;
  const pid = options.tid ? undefined : options.pid;
  const holder = pid === undefined ? undefined : pidHolder(procRoot, pid);
  if (holder !== undefined) return lookupInChains(procRoot, holder, id, blind);

  let target: Target;
  try {
    target = await resolveTarget(options, procRoot, resolver);
  } catch (err) {
    // Its processes may all be there, only their ns/pid links refused.
    const member = options.tid || options.container === undefined
      ? undefined
      : containerHolder(procRoot, options.container);
    if (member === undefined) throw err;
    return lookupInChains(procRoot, member, id, blind);
  }
  const kind = options.tid ? 'tid' : 'pid';

  const answer = options.tid
    ? resolver.resolveThread(target.ns, id)
    : resolver.resolve(target.ns, id);
  if (!answer.ok) {
    const unreadable = resolver.table.unreadableCount();
    const why = answer.reason === 'unreadable'
      ? `; ${processes(unreadable)} could not be read and may be it: ${privilegeFix()}`
      : '';
    throw new HostpidError(`no ${kind} ${id} in ${formatNs(target.ns)} (${target.via})${why}`);
  }

  const hostTid = 'hostTid' in answer ? (answer.hostTid as number) : undefined;
  const levels = levelsOf(answer.task, resolver, (p) => readContainer(procRoot, p),
    threadIds(procRoot, answer.task, hostTid));
  return {
    hostPid: answer.task.info.pid,
    ...(options.tid && hostTid !== undefined ? { hostTid } : {}),
    comm: answer.task.info.comm,
    target: { ns: target.ns, pid: id, via: target.via },
    levels,
  };
}

/**
 * `--snapshot FILE`: the same answers from the processes a snapshot or
 * record saw running last. Files keep processes, not threads, and a
 * container name needs a running engine, so those are usage errors here.
 */
function lookupRecorded(options: LookupOptions, file: string): LookupAnswer {
  if (options.tid) throw usageError('--tid needs a live procfs: snapshots keep no threads');

  const source = openRecordedSource(file);
  try {
    const resolver = new Resolver({ source });
    resolver.refresh();
    const containerOf = (pid: number) => source.containerOf(pid);
    if (options.host) {
      const task = resolver.table.get(options.id);
      if (task === undefined) {
        throw new HostpidError(`no process ${options.id} in ${source.description}`);
      }
      return { hostPid: task.info.pid, comm: task.info.comm,
        levels: levelsOf(task, resolver, containerOf) };
    }

    const target = recordedTarget(options, source, resolver);
    const answer = resolver.resolve(target.ns, options.id);
    if (!answer.ok) {
      throw new HostpidError(`no pid ${options.id} in ${formatNs(target.ns)} (${target.via}) ` +
        `in ${source.description}`);
    }
    return { hostPid: answer.hostPid, comm: answer.task.info.comm,
      target: { ns: target.ns, pid: options.id, via: target.via },
      levels: levelsOf(answer.task, resolver, containerOf) };
  } finally {
    source.close();
  }
}

function lookupHost(options: LookupOptions, resolver: Resolver, blind: Blind): LookupAnswer {
  const { id, procRoot } = options;
  resolver.refresh();

  // A thread other than a group's leader is not in readdir, yet /proc/TID answers.
  const thread = readThread(procRoot, id, id);
  const hostPid = thread.ok ? thread.thread.tgid : id;
  if (thread.ok && hostPid !== id && !options.tid) {
    throw new HostpidError(`${id} is a thread of process ${hostPid}, not a process: ` +
      'add --tid to look up a thread');
  }

  const task = resolver.table.get(hostPid);
  if (task !== undefined) {
    const levels = levelsOf(task, resolver, (p) => readContainer(procRoot, p),
      threadIds(procRoot, task, options.tid ? id : undefined));
    return { hostPid, ...(options.tid ? { hostTid: id } : {}), comm: task.info.comm, levels };
  }

  const asThread = options.tid && thread.ok ? { tid: id, nsTid: thread.thread.nsTid } : undefined;
  return hostInChains(procRoot, hostPid, asThread, blind);
}

/** JSON with every field present: null where the text form prints `?`. */
export function renderJson(answer: LookupAnswer): string {
  const levels = answer.levels.map((e) => ({ level: e.level, pid: e.pid, ns: e.ns ?? null,
    initPid: e.initPid ?? null, container: e.container ?? null }));
  const target = answer.target === undefined
    ? {}
    : { target: { ...answer.target, ns: answer.target.ns ?? null } };
  return `${JSON.stringify({ ...answer, ...target, levels }, null, 2)}\n`;
}

/** A heading line, then one row per level, outermost first. */
export function renderAnswer(answer: LookupAnswer): string {
  const what = answer.hostTid === undefined
    ? `host pid ${answer.hostPid} (${answer.comm})`
    : `host tid ${answer.hostTid} of pid ${answer.hostPid} (${answer.comm})`;
  const asked = answer.target === undefined
    ? ''
    : `: ${answer.hostTid === undefined ? 'pid' : 'tid'} ${answer.target.pid} in ` +
      (answer.target.ns === undefined ? answer.target.via : formatNs(answer.target.ns));

  const rows = [['LEVEL', answer.hostTid === undefined ? 'PID' : 'TID', 'NAMESPACE', 'INIT',
    'CONTAINER']];
  for (const entry of answer.levels) {
    rows.push([String(entry.level), String(entry.pid),
      entry.ns === undefined ? 'pid:[?]' : formatNs(entry.ns), String(entry.initPid ?? '?'),
      describeContainer(entry.container) ?? '-']);
  }

  return `${what}${asked}\n${columns(rows)}`;
}

function columns(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) => r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd())
    .join('\n') + '\n';
}

/** `hostpid lookup PID` and `hostpid lookup --host PID`. */
