import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { errnoCode, HostpidError } from '../errors.js';

/**
 * Clock ticks per second of /proc/PID/stat field 22 (USER_HZ). The kernel
 * reports times to user space in USER_HZ, not in its internal HZ, and USER_HZ
 * is 100 on every Linux architecture Node runs on (x86, arm, arm64, ppc64,
 * s390x, riscv64, loong64), so sysconf(_SC_CLK_TCK), which Node cannot call,
 * would say the same.
 */
export const USER_HZ = 100;

const MS_PER_TICK = 1000 / USER_HZ;

/** The kernel's btime and /proc/uptime disagree by at most this when both are sound. */
const UPTIME_AGREEMENT_MS = 1_500;

/** /proc/uptime shows hundredths of a second, cut off, not rounded. */
const UPTIME_STEP_MS = 10;

export interface BootTime {
  /** Wall-clock time of boot, in milliseconds since the epoch. */
  ms: number;
  /**
   * `btime` alone is whole seconds, so a start built on it can be up to a
   * second early; `uptime` narrows that to 20 ms early, never late.
   */
  from: 'btime' | 'uptime';
}

/**
 * When the kernel of `procRoot` booted, for turning start ticks into
 * wall-clock time. btime (PROCROOT/stat) is cut to whole seconds; where
 * PROCROOT/uptime is there too, `now - uptime` gives the same instant to
 * 10 ms, and it is used when the two agree. Both err early, as start ticks
 * do, so a start worked out from them is never later than the real one and
 * a process is never taken for one that started after a line it wrote.
 */
export function readBootTime(procRoot: string, now = Date.now()): BootTime {
  const btime = readBtime(procRoot);
  const uptime = readUptimeMs(procRoot);
  if (uptime === undefined) return { ms: btime * 1000, from: 'btime' };

  const fromUptime = Math.round(now - uptime) - UPTIME_STEP_MS;
  if (Math.abs(fromUptime - btime * 1000) > UPTIME_AGREEMENT_MS) {
    return { ms: btime * 1000, from: 'btime' };
  }

  return { ms: fromUptime, from: 'uptime' };
}

/** Wall-clock start of a process, from its start time in ticks since boot. */
export function wallClockMs(bootTimeMs: number, startTime: number): number {
  return bootTimeMs + Math.round(startTime * MS_PER_TICK);
}

/** The `btime` line of /proc/stat (proc(5)): boot time in seconds since the epoch. */
export function parseBtime(text: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith('btime '));
  const value = line?.slice('btime '.length).trim();
  if (value === undefined || !/^\d+$/.test(value)) return undefined;

  return Number(value);
}

function readBtime(procRoot: string): number {
  const path = join(procRoot, 'stat');
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (err) {
    throw new HostpidError(`cannot read ${path} (${errnoCode(err) ?? String(err)}): ` +
      'the boot time is needed to turn start times into wall-clock times', { cause: err });
  }

  const btime = parseBtime(text);
  if (btime === undefined) throw new HostpidError(`no btime line in ${path}`);
  return btime;
}

function readUptimeMs(procRoot: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(procRoot, 'uptime'), 'latin1');
  } catch {
    return undefined;
  }

  const seconds = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
