import { readBootTime, wallClockMs } from '../proc/boottime.js';
import { type ProcessInfo, readContainer, type ReadFailure } from '../proc/read.js';
import { ProcfsSource } from '../resolve/source.js';
import type { RecordedProcess } from './history.js';
import type { Snapshot } from './json.js';

export interface TakenSnapshot extends Snapshot {
  /** One of the unreadable processes, to tell the user which file was denied. */
  unreadableSample?: { reason: ReadFailure; path: string };
}

/** Reads every process of a procfs mount once, with its container. */
export function takeSnapshot(procRoot: string, now = Date.now): TakenSnapshot {
  const bootTime = readBootTime(procRoot, now());
  const takenAtMs = now();
  const delta = new ProcfsSource(procRoot).scan(new Set());
  const processes = delta.added.map((info) => withTimes(procRoot, bootTime.ms, info));

  const snapshot: TakenSnapshot = { procRoot, takenAtMs, bootTimeMs: bootTime.ms, processes,
    unreadable: delta.failed.size };
  const sample = delta.failed.values().next().value;
  if (sample !== undefined) snapshot.unreadableSample = sample;
  return snapshot;
}

/** A process read from procfs, with its wall-clock start and its container. */
export function withTimes(procRoot: string, bootTimeMs: number, info: ProcessInfo) {
  const startedMs = wallClockMs(bootTimeMs, info.startTime);
  const recorded: RecordedProcess = { ...info, startedMs };
  const container = readContainer(procRoot, info.pid);
  if (container !== undefined) recorded.container = container;
  return recorded;
}
