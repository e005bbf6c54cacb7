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

  const { pairs, hostOf } = resolvePids(found, ctx, timeMs);
  const tids = resolveTids(found, hostOf, ctx);
  return pairs.length === 0 && tids.length === 0 ? undefined : { pids: pairs, tids };
}

function resolvePids(found: readonly Found[], ctx: LineContext, timeMs: number | undefined) {
  const pairs: Pair[] = [];
  const hostOf = new Map<number, number | undefined>();
  for (const f of found) {
    if (f.kind !== 'pid' || hostOf.has(f.value)) continue;

    const hostPid = f.host ? f.value : resolveOne(f.value, ctx, timeMs);
    hostOf.set(f.value, hostPid);
    pairs.push({ vpid: f.value, hostPid });
  }

  if (pairs.length > 0) {
    ctx.stats.linesWithPids++;
    ctx.stats.pids += pairs.length;
  }
  return { pairs, hostOf };
}

/**
 * Thread ids of the message, each resolved once. A tid is looked for first
 * among the threads of the process whose PID the same rule captured just
 * before it (nginx `29#30`), then in the whole namespace.
 */
function resolveTids(
  found: readonly Found[],
  hostOf: ReadonlyMap<number, number | undefined>,
  ctx: LineContext,
): Pair[] {
  const tids: Pair[] = [];
  const seen = new Set<number>();

  for (const [i, f] of found.entries()) {
    if (f.kind !== 'tid' || seen.has(f.value)) continue;

    seen.add(f.value);
    tids.push({ vpid: f.value, hostPid: f.host ? f.value : resolveTid(found, i, hostOf, ctx) });
  }

  return tids;
}

function resolveTid(
  found: readonly Found[],
  at: number,
  hostOf: ReadonlyMap<number, number | undefined>,
  ctx: LineContext,
): number | undefined {
  const tid = found[at] as Found;
  let owner: Found | undefined;
  for (let i = at - 1; i >= 0 && owner === undefined; i--) {
    const f = found[i];
    if (f?.kind === 'pid' && f.rule === tid.rule) owner = f;
  }

  const hint = owner === undefined ? undefined : hostOf.get(owner.value);
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
