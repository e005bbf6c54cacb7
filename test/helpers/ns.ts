import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Whether the real-namespace tests run: always, unless HOSTPID_SKIP_REAL=1
 * says to leave them out on purpose (test/global-setup.ts fails the run when
 * they cannot run, rather than letting them skip).
 */
export const canUnshare = process.env['HOSTPID_SKIP_REAL'] !== '1';

export interface RunningNamespace {
  /** Host PID of the namespace's init (pid 1 inside). */
  initPid: number;
  /** Inode of the namespace, as readlink /proc/PID/ns/pid shows it. */
  ns: number;
  child: ChildProcess;
  /** Kills the init with SIGKILL (an init ignores SIGTERM) and waits. */
  stop: () => Promise<void>;
}

/**
 * Runs `sh -c script` as pid 1 of a fresh pid namespace (under the host's
 * /proc, so host tools still see everything). Add `--mount-proc` through
 * `extra` when the programs inside must see their own /proc.
 */
export async function startNamespace(script: string,
  extra: string[] = []): Promise<RunningNamespace> {
  const args = ['--pid', '--fork', '--kill-child', ...extra, 'sh', '-c', script];
  const child = spawn('unshare', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const unsharePid = child.pid ?? 0;
  const initPid = await waitFor(() => childrenOf(unsharePid)[0], `init of unshare ${unsharePid}`);
  const ns = nsOf(initPid);

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      process.kill(initPid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exited;
  };

  return { initPid, ns, child, stop };
}

export function nsOf(pid: number): number {
  return Number(/\[(\d+)\]/.exec(readlinkSync(`/proc/${pid}/ns/pid`))?.[1]);
}

export function nsPidOf(pid: number, tid = pid): number[] {
  const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'latin1');
  return (/^NSpid:\s*(.*)$/m.exec(status)?.[1] ?? '').trim().split(/\s+/).map(Number);
}

/** NSpid of a process, or [] once it has exited. */
export function nsPidIfAlive(pid: number): number[] {
  try {
    return nsPidOf(pid);
  } catch {
    return [];
  }
}

/** Host PIDs whose PPid is `pid`. */
export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(`/proc/${name}/status`, 'latin1');
      if (/^PPid:\s*(\d+)$/m.exec(status)?.[1] === String(pid)) kids.push(Number(name));
    } catch {
      // It exited between readdir and read: not a child any more.
    }
  }
  return kids.sort((a, b) => a - b);
}

/** Host PIDs of every process in the namespace of `initPid` and below it. */
export function descendantsOf(pid: number): number[] {
  const all: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.shift() as number;
    for (const kid of childrenOf(next)) {
      all.push(kid);
      queue.push(kid);
    }
  }
  return all;
}

/** Polls `probe` until it returns a value (every 20 ms, up to `ms`). */
export async function waitFor<T>(probe: () => T | undefined, what: string,
  ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
