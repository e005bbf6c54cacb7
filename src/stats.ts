import type { Unresolved } from './resolve/resolver.js';

/** Counts of one run, logged as its summary and exposed to embedders. */
export interface RunStats {
  lines: number;
  linesWithPids: number;
  /** Distinct PIDs per line, added up over lines. */
  pids: number;
  resolved: number;
  unresolved: Record<Unresolved, number>;
  /** Distinct thread ids per line, added up, and how many of them mapped. */
  tids: number;
  resolvedTids: number;
  /** Lines longer than the scan limit, matched on their head only. */
  longLines: number;
}

export function newStats(): RunStats {
  return {
    lines: 0,
    linesWithPids: 0,
    pids: 0,
    resolved: 0,
    unresolved: {
      'not-found': 0,
      unreadable: 0,
      'unknown-namespace': 0,
      'namespace-gone': 0,
      'before-record': 0,
      'after-record': 0,
    },
    tids: 0,
    resolvedTids: 0,
    longLines: 0,
  };
}

/** Adds the counts of `more` into `total`. */
export function addStats(total: RunStats, more: RunStats): void {
  total.lines += more.lines;
  total.linesWithPids += more.linesWithPids;
  total.pids += more.pids;
  total.resolved += more.resolved;
  total.tids += more.tids;
  total.resolvedTids += more.resolvedTids;
  total.longLines += more.longLines;
  for (const reason of Object.keys(total.unresolved) as Array<keyof RunStats['unresolved']>) {
    total.unresolved[reason] += more.unresolved[reason];
  }
}
