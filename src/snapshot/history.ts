import type { ContainerRef } from '../proc/cgroup.js';
import type { ProcessInfo } from '../proc/read.js';

/** Why history could not name a process. */
export type HistoryMiss = 'not-found' | 'before-record' | 'after-record';

export type HistoryAnswer =
  | { ok: true; hostPid: number; startedMs: number; exitedMs?: number }
  | { ok: false; reason: HistoryMiss };

/**
 * Who had a PID at a given time. `ns` is the inode of the pid namespace the
 * PID belongs to, at that namespace's own level, so a container's namespace
 * and the host's both work; `timeMs` is wall-clock milliseconds since the
 * epoch. A process that started after `timeMs` is never the answer.
 */
export interface PidHistory {
  at(ns: number, vpid: number, timeMs: number): HistoryAnswer;
}

/** A process as a snapshot or a record keeps it. */
export interface RecordedProcess extends ProcessInfo {
  /** Wall-clock start, from the start ticks and the boot time. */
  startedMs: number;
  /**
   * When the recorder first missed it: the exit happened before this, and
   * after the scan before (at most one interval earlier).
   */
  exitedMs?: number;
  container?: ContainerRef;
}

/** The stretch of time a file saw: one instant for a snapshot. */
export interface Coverage {
  fromMs: number;
  toMs: number;
}

/**
 * Decides from the latest process that started at or before `timeMs` with
 * that PID (if any). Before the coverage began, only a process that was
 * already running then can answer: one that ran and exited earlier was never
 * seen. After it ended, anything may have happened.
 */
export function decide(
  candidate: Pick<RecordedProcess, 'pid' | 'startedMs' | 'exitedMs'> | undefined,
  timeMs: number,
  coverage: Coverage,
): HistoryAnswer {
  if (timeMs > coverage.toMs) return { ok: false, reason: 'after-record' };

  const missing = timeMs < coverage.fromMs ? 'before-record' : 'not-found';
  if (candidate === undefined || candidate.startedMs > timeMs) {
    return { ok: false, reason: missing };
  }
  if (candidate.exitedMs !== undefined && candidate.exitedMs <= timeMs) {
    return { ok: false, reason: missing };
  }

  const answer = { ok: true as const, hostPid: candidate.pid, startedMs: candidate.startedMs };
  return candidate.exitedMs === undefined ? answer : { ...answer, exitedMs: candidate.exitedMs };
}
