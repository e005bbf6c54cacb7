import { readBootTime, wallClockMs } from '../proc/boottime.js';
import type { Resolver } from '../resolve/resolver.js';
import { decide, type HistoryAnswer, type PidHistory } from './history.js';

/**
 * History from what a live Resolver has seen since it was made: the
 * process that holds a PID now (or held it until lately, within the
 * Resolver's rememberMs) answers for a time after its start. When a newer
 * process has the PID by now, the older one is not looked for: the answer
 * is "not-found", never the newer process.
 *
 * A time later than the last scan rescans first (at most every
 * minRescanMs), so a process that exited since is known to be gone and a
 * new holder of its PID is seen.
 *
 * Times later than now are taken as now: a log line stamped a little ahead
 * (clocks of a runtime and of this host differ) is still about the present.
 */
export class LiveHistory implements PidHistory {
  private readonly bootTimeMs: number;
  private readonly fromMs: number;
  private scannedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly resolver: Resolver,
    procRoot: string,
    private readonly now: () => number = Date.now,
    private readonly minRescanMs = 250,
  ) {
    this.fromMs = now();
    this.bootTimeMs = readBootTime(procRoot, this.fromMs).ms;
  }

  at(ns: number, vpid: number, timeMs: number): HistoryAnswer {
    const now = this.now();
    if (timeMs > this.scannedAt && now - this.scannedAt >= this.minRescanMs) {
      this.resolver.refresh();
      this.scannedAt = now;
    }

    const coverage = { fromMs: this.fromMs, toMs: Math.max(now, timeMs) };
    const found = this.resolver.resolve(ns, vpid);
    if (!found.ok) return decide(undefined, timeMs, coverage);

    const { info, exitedAt } = found.task;
    const candidate = { pid: info.pid, startedMs: wallClockMs(this.bootTimeMs, info.startTime) };
    return decide(exitedAt === undefined ? candidate : { ...candidate, exitedMs: exitedAt },
      timeMs, coverage);
  }
}
