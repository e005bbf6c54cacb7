import type { Numbers, Pair } from './formats/annotation.js';
import type { Resolver } from './resolve/resolver.js';
import { type Found, findAll } from './rules/match.js';
import type { Rule } from './rules/types.js';
import type { PidHistory } from './snapshot/history.js';
import type { RunStats } from './stats.js';

/** Text to add to a line, and the offset in the line where it goes. */
export interface Insertion {
  at: number;
  text: string;
}

export interface LineContext {
  rules: readonly Rule[];
  resolver: Resolver;
  /** Inode of the pid namespace the log's PIDs belong to. */
  ns: number;
  stats: RunStats;
  /**
   * Who had a PID when: a record's, or what a live run has seen. Lines that
   * carry a time resolve through it, so a process that started after the
   * line was written is never the answer.
   */
  history?: PidHistory;
}

/**
 * The distinct PIDs of a message and their host PIDs, and its thread ids
 * (rule groups named `tid...`) and their host tids, each list in order of
 * first appearance; undefined when the message names neither. Counts them in
 * ctx.stats. Every input format calls this on its message and writes the
 * pairs back its own way.
 */
export function findNumbers(
  message: string,
  ctx: LineContext,
  timeMs?: number,
): Numbers | undefined {
  const found = findAll(message, ctx.rules);
  if (found.length === 0) return undefined;

  const when = timeMs ?? ruleTime(found);
  const pairs = resolvePids(found, ctx, when);
  const tids = resolveTids(found, pairs, ctx);
  return pairs.length === 0 && tids.length === 0 ? undefined : { pids: pairs, tids };
}

/**
 * The time a rule's `time` group captured, for lines whose format carries
 * none (an app's own timestamp in a raw log). Only times that name their
 * zone or offset count: a zoneless one would be read in this host's zone,
 * which is a guess.
 */
function ruleTime(found: readonly Found[]): number | undefined {
  const text = found.find((f) => f.time !== undefined)?.time;
  if (text === undefined || !/(?:Z|[+-]\d\d:?\d\d|UTC|GMT)$/i.test(text.trim())) return undefined;

  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

// A line names a handful of numbers at most: searching its short list of
// pairs costs less than a Map or a Set made for every line.
function resolvePids(found: readonly Found[], ctx: LineContext, timeMs: number | undefined) {
  const pairs: Pair[] = [];
  for (const f of found) {
    if (f.kind !== 'pid' || pairs.some((p) => p.vpid === f.value)) continue;

    pairs.push({ vpid: f.value, hostPid: f.host ? f.value : resolveOne(f.value, ctx, timeMs) });
  }

  if (pairs.length > 0) {
    ctx.stats.linesWithPids++;
    ctx.stats.pids += pairs.length;
  }
  return pairs;
}

/**
 * Thread ids of the message, each resolved once. A tid is looked for first
 * among the threads of the process whose PID the same rule captured just
 * before it (nginx `29#30`), then in the whole namespace.
 */
function resolveTids(
  found: readonly Found[],
  pids: readonly Pair[],
  ctx: LineContext,
): Pair[] {
  const tids: Pair[] = [];
  for (const [i, f] of found.entries()) {
    if (f.kind !== 'tid' || tids.some((t) => t.vpid === f.value)) continue;

    tids.push({ vpid: f.value, hostPid: f.host ? f.value : resolveTid(found, i, pids, ctx) });
  }

  ctx.stats.tids += tids.length;
  for (const t of tids) if (t.hostPid !== undefined) ctx.stats.resolvedTids++;
  return tids;
}

function resolveTid(
  found: readonly Found[],
  at: number,
  pids: readonly Pair[],
  ctx: LineContext,
): number | undefined {
  const tid = found[at] as Found;
  let owner: Found | undefined;
  for (let i = at - 1; i >= 0 && owner === undefined; i--) {
    const f = found[i];
    if (f?.kind === 'pid' && f.rule === tid.rule) owner = f;
  }

  const ownerPid = owner?.value;
  const hint = pids.find((p) => p.vpid === ownerPid)?.hostPid;
  // A thread whose id is its process's PID is the main thread: same numbers
  // at every level, so its host tid is the host PID (nginx 29#29).
  if (ownerPid === tid.value && hint !== undefined) return hint;

  const answer = ctx.resolver.resolveThread(ctx.ns, tid.value, hint);
  return answer.ok ? answer.hostTid : undefined;
}

function resolveOne(vpid: number, ctx: LineContext, timeMs: number | undefined) {
  const answer = timeMs !== undefined && ctx.history !== undefined
    ? ctx.history.at(ctx.ns, vpid, timeMs)
    : ctx.resolver.resolve(ctx.ns, vpid);
  if (answer.ok) {
    ctx.stats.resolved++;
    return answer.hostPid;
  }

  ctx.stats.unresolved[answer.reason]++;
  return undefined;
}
