import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode } from '../errors.js';
import { type ContainerRef, parseCgroup } from './cgroup.js';
import { parseNsInode } from './nslink.js';
import { parseStartTime } from './stat.js';
import { parseStatus } from './status.js';

/**
 * One process as a procfs mount shows it. PIDs are those of the pid namespace
 * the procfs was mounted from: `pid` is the directory name and `nsPid[0]`.
 */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** PID at every level, outermost first; its length - 1 is the level. */
  nsPid: number[];
  /** Inode of /proc/PID/ns/pid: the namespace the process lives in. */
  pidNs: number;
  /** Clock ticks since boot (stat field 22): tells a reused PID apart. */
  startTime: number;
  comm: string;
}

/**
 * Why a process could not be read. `gone` is normal (it exited between
 * readdir and read); `denied` needs root or CAP_SYS_PTRACE; `malformed` means
 * the files did not look like procfs at all.
 */
export type ReadFailure = 'gone' | 'denied' | 'malformed';

export type ProcRead =
  | { ok: true; process: ProcessInfo }
  | { ok: false; reason: ReadFailure; path: string; code?: string; nsPid?: number[] };

/** Numeric directory names under a procfs root: the PIDs it shows. */
export function listPids(procRoot: string): number[] {
  const pids: number[] = [];

  for (const name of readdirSync(procRoot)) {
    const code = name.charCodeAt(0);
    if (code >= 48 && code <= 57 && /^\d+$/.test(name)) pids.push(Number(name));
  }

  return pids;
}

/**
 * Reads status, ns/pid and stat of one process (or of one thread, given
 * `tid`). Nothing here throws for a process that vanished or is hidden.
 */
export function readProcess(procRoot: string, pid: number, tid?: number): ProcRead {
  const dir = tid === undefined
    ? join(procRoot, String(pid))
    : join(procRoot, String(pid), 'task', String(tid));

  const status = readText(join(dir, 'status'));
  if (typeof status !== 'string') return status;
  const parsed = parseStatus(status);
  if (parsed === undefined) return malformed(join(dir, 'status'));

  // Past status, a failure still says how deep the process lives, which tells
  // whether it could hide a PID of a given namespace.
  const link = readLink(join(procRoot, String(pid), 'ns', 'pid'));
  if (typeof link !== 'string') return { ...link, nsPid: parsed.nsPid };
  const pidNs = parseNsInode(link);
  if (pidNs === undefined) return malformed(join(procRoot, String(pid), 'ns', 'pid'));

  const stat = readText(join(dir, 'stat'));
  if (typeof stat !== 'string') return { ...stat, nsPid: parsed.nsPid };
  const startTime = parseStartTime(stat);
  if (startTime === undefined) return malformed(join(dir, 'stat'));

  const process = { pid: tid ?? pid, ppid: parsed.ppid, nsPid: parsed.nsPid, pidNs,
    startTime, comm: parsed.name };
  return { ok: true, process };
}

/** Start time (stat field 22) of a process, or undefined when it cannot be read. */
export function readStartTime(procRoot: string, pid: number): number | undefined {
  const text = readText(join(procRoot, String(pid), 'stat'));
  return typeof text === 'string' ? parseStartTime(text) : undefined;
}

/** The container a process belongs to, from /proc/PID/cgroup, if any. */
export function readContainer(procRoot: string, pid: number): ContainerRef | undefined {
  const text = readText(join(procRoot, String(pid), 'cgroup'));
  return typeof text === 'string' ? parseCgroup(text) : undefined;
}

/** Thread ids of a process, from /proc/PID/task. Empty when it is gone. */
export function listTids(procRoot: string, pid: number): number[] {
  try {
    return listPids(join(procRoot, String(pid), 'task'));
  } catch {
    return [];
  }
}

/** The command line, NUL-separated arguments joined by spaces. */
export function readCmdline(procRoot: string, pid: number): string | undefined {
  const text = readText(join(procRoot, String(pid), 'cmdline'));
  if (typeof text !== 'string') return undefined;

  return text.replace(/\0+$/, '').replaceAll('\0', ' ');
}

type Failure = Extract<ProcRead, { ok: false }>;

function readText(path: string): string | Failure {
  try {
    return readFileSync(path, 'latin1');
  } catch (err) {
    return failure(path, err);
  }
}

function readLink(path: string): string | Failure {
  try {
    return readlinkSync(path);
  } catch (err) {
    return failure(path, err);
  }
}

function failure(path: string, err: unknown): Failure {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') return { ok: false, reason: 'denied', path, code };
  if (code === 'ENOENT' || code === 'ESRCH') return { ok: false, reason: 'gone', path, code };
  // Any other errno (EINVAL, EIO, EISDIR, ELOOP...) means this entry is not a
  // readable process: counted and skipped, never fatal to a run.
  if (code !== undefined) return { ok: false, reason: 'malformed', path, code };

  throw err;
}

function malformed(path: string): Failure {
  return { ok: false, reason: 'malformed', path };
}

/**
 * A process as far as an unprivileged reader can see it: status and stat are
 * world-readable (unless /proc is mounted with hidepid=), but the ns/pid link
 * needs ptrace-read access, so `pidNs` is undefined when it was denied.
 */
export interface PartialProcess extends Omit<ProcessInfo, 'pidNs'> {
  pidNs: number | undefined;
  /** Why pidNs is missing: the link that could not be read. */
  nsDenied?: { path: string; code?: string };
}

export type PartialRead = { ok: true; process: PartialProcess } | Failure;

/** Like readProcess, but a denied ns/pid link leaves pidNs undefined. */
export function readProcessPartial(procRoot: string, pid: number): PartialRead {
  const full = readProcess(procRoot, pid);
  if (full.ok) return full;
  if (full.reason !== 'denied' || !full.path.endsWith(join('ns', 'pid'))) return full;

  const dir = join(procRoot, String(pid));
  const status = readText(join(dir, 'status'));
  if (typeof status !== 'string') return status;
  const parsed = parseStatus(status);
  if (parsed === undefined) return malformed(join(dir, 'status'));

  const stat = readText(join(dir, 'stat'));
  const startTime = typeof stat === 'string' ? parseStartTime(stat) : undefined;
  const nsDenied = full.code === undefined ? { path: full.path } : { path: full.path,
    code: full.code };
  const process = { pid, ppid: parsed.ppid, nsPid: parsed.nsPid, pidNs: undefined,
    startTime: startTime ?? 0, comm: parsed.name, nsDenied };
  return { ok: true, process };
}

/** One thread as /proc/PID/task/TID/status shows it. */
export interface ThreadInfo {
  tid: number;
  /** The process it belongs to (Tgid), in the procfs root's numbering. */
  tgid: number;
  /** The thread id at every level, outermost first. */
  nsTid: number[];
  comm: string;
}

export type ThreadRead = { ok: true; thread: ThreadInfo } | Failure;

/**
 * Reads one thread. `pid` may be the tid itself: the kernel answers
 * /proc/TID/... for any thread although readdir lists thread group leaders only.
 */
export function readThread(procRoot: string, pid: number, tid: number): ThreadRead {
  const path = join(procRoot, String(pid), 'task', String(tid), 'status');
  const text = readText(path);
  if (typeof text !== 'string') return text;

  const parsed = parseStatus(text);
  if (parsed === undefined) return malformed(path);
  return { ok: true, thread: { tid, tgid: parsed.tgid, nsTid: parsed.nsPid, comm: parsed.name } };
}
