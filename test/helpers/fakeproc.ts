import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One process of a fake procfs tree; PIDs are those of the tree's root ns. */
export interface FakeProcess {
  /** NSpid, outermost first; the first entry is the directory name. */
  nsPid: number[];
  ppid: number;
  /** Inode of its pid namespace, written as the ns/pid link. */
  ns: number;
  comm?: string;
  startTime?: number;
  /** Text of /proc/PID/cgroup. */
  cgroup?: string;
  cmdline?: string;
  /** Threads other than the main one: NSpid of each, outermost first. */
  threads?: number[][];
}

export function statusText(p: FakeProcess, tgid: number, nsPid = p.nsPid): string {
  return [
    `Name:\t${p.comm ?? 'proc'}`,
    'Umask:\t0022',
    'State:\tS (sleeping)',
    `Tgid:\t${tgid}`,
    `Ngid:\t0`,
    `Pid:\t${nsPid[0]}`,
    `PPid:\t${p.ppid}`,
    'TracerPid:\t0',
    'Uid:\t0\t0\t0\t0',
    `NStgid:\t${p.nsPid.join('\t')}`,
    `NSpid:\t${nsPid.join('\t')}`,
    `NSpgid:\t${p.nsPid.join('\t')}`,
    `NSsid:\t${p.nsPid.join('\t')}`,
    'VmRSS:\t    1024 kB',
    '',
  ].join('\n');
}

/** A stat line whose field 22 is the start time; the comm may hold ") (". */
export function statText(p: FakeProcess, pid: number): string {
  const fields = ['S', String(p.ppid), ...Array.from({ length: 17 }, () => '0'),
    String(p.startTime ?? 100 + pid), '0', '0'];
  return `${pid} (${p.comm ?? 'proc'}) ${fields.join(' ')}\n`;
}

/** Writes a procfs-shaped tree and returns its root; `cleanup` removes it. */
export function makeFakeProc(processes: FakeProcess[], root?: string) {
  const dir = root ?? mkdtempSync(join(tmpdir(), 'hostpid-proc-'));

  for (const p of processes) writeProcess(dir, p);
  return { root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeProcess(root: string, p: FakeProcess): void {
  const pid = p.nsPid[0] ?? 0;
  const dir = join(root, String(pid));
  mkdirSync(join(dir, 'ns'), { recursive: true });
  writeFileSync(join(dir, 'status'), statusText(p, pid));
  writeFileSync(join(dir, 'stat'), statText(p, pid));
  writeFileSync(join(dir, 'cgroup'), p.cgroup ?? '0::/\n');
  writeFileSync(join(dir, 'cmdline'), `${(p.cmdline ?? p.comm ?? 'proc').split(' ').join('\0')}\0`);
  symlinkSync(`pid:[${p.ns}]`, join(dir, 'ns', 'pid'));

  for (const nsPid of [p.nsPid, ...(p.threads ?? [])]) {
    const tid = nsPid[0] ?? 0;
    const task = join(dir, 'task', String(tid));
    mkdirSync(task, { recursive: true });
    writeFileSync(join(task, 'status'), statusText(p, pid, nsPid));
    writeFileSync(join(task, 'stat'), statText(p, tid));
  }
}

export const INIT_NS = 4026531836;


/** Writes PROCROOT/stat with the boot time (btime, seconds since the epoch). */
export function writeBootTime(root: string, btimeSec: number): void {
  writeFileSync(join(root, 'stat'), `cpu  1 2 3 4\nbtime ${btimeSec}\nprocesses 1\n`);
}

/** A fixture tree with a boot time, for what turns start ticks into wall-clock time. */
export function makeBootedProc(processes: FakeProcess[], btimeSec: number) {
  const made = makeFakeProc(processes);
  writeBootTime(made.root, btimeSec);
  return made;
}

/** The namespace of SMALL_CONTAINER: its pid 1 is host 16263, its pid 3 host 16268. */
export const SMALL_NS = 4026532388;

/** The smallest tree most CLI tests need: the host's init and a two-process container. */
export const SMALL_CONTAINER: FakeProcess[] = [
  { nsPid: [1], ppid: 0, ns: INIT_NS },
  { nsPid: [16263, 1], ppid: 1, ns: SMALL_NS },
  { nsPid: [16268, 3], ppid: 16263, ns: SMALL_NS },
];
