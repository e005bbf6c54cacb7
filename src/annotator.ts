import { formatJsonMember, formatSuffix, jsonInsertPoint, type Pair } from './formats/annotation.js';
import type { Resolver } from './resolve/resolver.js';
import { findAll } from './rules/match.js';
import type { Rule } from './rules/types.js';
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
}

/**
 * Works out the annotation of one line (without its line ending): the PIDs
 * the rules find, each resolved once, as a JSON member for a JSON object line
 * and as a text suffix otherwise. Lines without PIDs get nothing.
 */
export function annotateLine(line: string, ctx: LineContext): Insertion | undefined {
  ctx.stats.lines++;
  const pairs = findPairs(line, ctx);
  if (pairs === undefined) return undefined;

  const json = jsonInsertPoint(line);
  return json === undefined
    ? { at: line.length, text: formatSuffix(pairs) }
    : { at: json.at, text: formatJsonMember(pairs, json.empty) };
}

/**
 * The distinct PIDs of a message and their host PIDs, in order of first
 * appearance, or undefined when it names none. Counts them in ctx.stats;
 * input formats that carry the message inside a record (Docker json-file,
 * CRI) call this on the message and write the pairs back their own way.
 */
export function findPairs(message: string, ctx: LineContext): Pair[] | undefined {
  const found = findAll(message, ctx.rules);
  if (found.length === 0) return undefined;

  const pairs: Pair[] = [];
  const seen = new Set<number>();
  for (const f of found) {
    if (f.kind !== 'pid' || seen.has(f.value)) continue;

    seen.add(f.value);
    pairs.push({ vpid: f.value, hostPid: f.host ? f.value : resolveOne(f.value, ctx) });
  }
  if (pairs.length === 0) return undefined;

  ctx.stats.linesWithPids++;
  ctx.stats.pids += pairs.length;
  return pairs;
}

function resolveOne(vpid: number, ctx: LineContext): number | undefined {
  const answer = ctx.resolver.resolve(ctx.ns, vpid);
  if (answer.ok) {
    ctx.stats.resolved++;
    return answer.hostPid;
  }

  ctx.stats.unresolved[answer.reason]++;
  return undefined;
}
