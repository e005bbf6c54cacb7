import type { ContainerRef } from '../proc/cgroup.js';
import { usageError } from '../errors.js';
import { wallClockMs } from '../proc/boottime.js';
import type { RecordedProcess } from './history.js';

export const SNAPSHOT_FORMAT = 'hostpid-snapshot';
export const SNAPSHOT_VERSION = 1;

/** The process table of one procfs at one instant. */
export interface Snapshot {
  procRoot: string;
  takenAtMs: number;
  bootTimeMs: number;
  processes: RecordedProcess[];
  /** Processes that were there but could not be read (no ptrace access). */
  unreadable: number;
}

/** One process as the file holds it; `started` is for people, startTime for programs. */
interface ProcessJson {
  pid: number;
  ppid: number;
  nsPid: number[];
  pidNs: number;
  startTime: number;
  started: string;
  comm: string;
  container: ContainerRef | null;
}

/** The file's text: one JSON document, processes sorted by PID. */
export function snapshotJson(snapshot: Snapshot): string {
  const processes: ProcessJson[] = [...snapshot.processes]
    .sort((a, b) => a.pid - b.pid)
    .map((p) => ({ pid: p.pid, ppid: p.ppid, nsPid: p.nsPid, pidNs: p.pidNs,
      startTime: p.startTime, started: new Date(p.startedMs).toISOString(), comm: p.comm,
      container: p.container ?? null }));
  const body = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    takenAt: new Date(snapshot.takenAtMs).toISOString(),
    takenAtMs: snapshot.takenAtMs,
    bootTime: new Date(snapshot.bootTimeMs).toISOString(),
    bootTimeMs: snapshot.bootTimeMs,
    procRoot: snapshot.procRoot,
    unreadable: snapshot.unreadable,
    processes,
  };
  // One process a line: a snapshot of thousands stays easy to grep and diff.
  const lines = processes.map((p) => `  ${JSON.stringify(p)}`);
  const head = JSON.stringify({ ...body, processes: [] }, null, 1).replace(/\[\]\n}$/, '');
  return `${head}[\n${lines.join(',\n')}\n ]\n}\n`;
}

/**
 * Reads a snapshot back. Wall-clock starts are worked out again from the
 * start ticks and the boot time, so they match what the recorder computes;
 * `started` in the file is only for people.
 */
export function parseSnapshot(text: string, file: string): Snapshot {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw notASnapshot(file, 'not JSON', err);
  }

  if (!isObject(body) || body['format'] !== SNAPSHOT_FORMAT) throw notASnapshot(file, 'no format');
  if (body['version'] !== SNAPSHOT_VERSION) {
    throw notASnapshot(file, `version ${String(body['version'])}, this hostpid reads ` +
      `${SNAPSHOT_VERSION}`);
  }

  const takenAtMs = body['takenAtMs'];
  const bootTimeMs = body['bootTimeMs'];
  const list = body['processes'];
  if (!isNumber(takenAtMs) || !isNumber(bootTimeMs) || !Array.isArray(list)) {
    throw notASnapshot(file, 'takenAtMs, bootTimeMs or processes missing');
  }

  const processes = list.map((p, i) => parseProcess(p, bootTimeMs, file, i));
  const procRoot = typeof body['procRoot'] === 'string' ? body['procRoot'] : '?';
  const unreadable = isNumber(body['unreadable']) ? body['unreadable'] : 0;
  return { procRoot, takenAtMs, bootTimeMs, processes, unreadable };
}

function parseProcess(p: unknown, bootTimeMs: number, file: string, i: number): RecordedProcess {
  const ok = isObject(p) && isNumber(p['pid']) && isNumber(p['ppid']) &&
    isNumber(p['pidNs']) && isNumber(p['startTime']) && typeof p['comm'] === 'string' &&
    Array.isArray(p['nsPid']) && p['nsPid'].length > 0 && p['nsPid'].every(isNumber);
  if (!ok) {
    throw notASnapshot(file, `process ${i} lacks pid, ppid, nsPid, pidNs, startTime or comm`);
  }

  const startTime = p['startTime'] as number;
  const process: RecordedProcess = { pid: p['pid'] as number, ppid: p['ppid'] as number,
    nsPid: p['nsPid'] as number[], pidNs: p['pidNs'] as number, startTime,
    comm: p['comm'] as string, startedMs: wallClockMs(bootTimeMs, startTime) };
  const container = p['container'];
  if (isObject(container)) process.container = container as unknown as ContainerRef;
  return process;
}

function notASnapshot(file: string, why: string, cause?: unknown) {
  return usageError(`${file} is not a hostpid snapshot (${why}): make one with ` +
    '"hostpid snapshot --out FILE"', cause);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}
