#!/usr/bin/env node
// Writes a procfs-shaped tree for the bench: one container whose PIDs 1..300
// are host PIDs 40001..40300, plus optional bystander processes so that a
// rescan costs what it costs on a busy host.
// Usage: make-fixture.mjs DIR [EXTRA]   (prints the container's pid ns inode)
// The file layout mirrors test/helpers/fakeproc.ts, which src/proc/read.ts reads.

import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Inode of the host's (initial) pid namespace, as the kernel numbers it. */
export const HOST_NS = 4026531836;
/** The container whose PIDs the corpus names. */
export const CONTAINER_NS = 4026532388;
export const CONTAINER_PIDS = 300;
/** Host PID of the container's PID 1: its PID N is host HOST_BASE + N. */
export const HOST_BASE = 40000;

// Bystanders live in containers of this many processes each, so a rescan
// also works out namespace ancestry, not only level-0 processes.
const BYSTANDERS_PER_NS = 100;
const BYSTANDER_BASE = 100000;
const SHIM_PID = 39999;

/** One process: NSpid outermost first (nsPid[0] is the directory name). */
function statusText(p) {
  const pid = p.nsPid[0];
  const all = p.nsPid.join('\t');
  return [
    `Name:\t${p.comm}`, 'Umask:\t0022', 'State:\tS (sleeping)', `Tgid:\t${pid}`, 'Ngid:\t0',
    `Pid:\t${pid}`, `PPid:\t${p.ppid}`, 'TracerPid:\t0', 'Uid:\t0\t0\t0\t0',
    `NStgid:\t${all}`, `NSpid:\t${all}`, `NSpgid:\t${all}`, `NSsid:\t${all}`,
    'VmRSS:\t    1024 kB', '',
  ].join('\n');
}

/** proc(5) stat: field 22 (starttime) is the 20th after the ") ". */
function statText(p) {
  const pid = p.nsPid[0];
  const fields = ['S', String(p.ppid), ...Array(17).fill('0'), String(p.startTime), '0', '0'];
  return `${pid} (${p.comm}) ${fields.join(' ')}\n`;
}

/** Writes one process directory, with its main thread under task/. */
export function writeProcess(root, p) {
  const pid = String(p.nsPid[0]);
  const dir = join(root, pid);
  const task = join(dir, 'task', pid);
  mkdirSync(join(dir, 'ns'), { recursive: true });
  mkdirSync(task, { recursive: true });

  const status = statusText(p);
  const stat = statText(p);
  writeFileSync(join(dir, 'status'), status);
  writeFileSync(join(dir, 'stat'), stat);
  writeFileSync(join(task, 'status'), status);
  writeFileSync(join(task, 'stat'), stat);
  writeFileSync(join(dir, 'cgroup'), p.cgroup ?? '0::/\n');
  writeFileSync(join(dir, 'cmdline'), `${p.comm}\0`);
  // A dangling link: readlink returns its text, which is all procfs offers too.
  symlinkSync(`pid:[${p.ns}]`, join(dir, 'ns', 'pid'));
}

/** A process of the bench container: PID `vpid` inside, HOST_BASE + vpid outside. */
export function containerProcess(vpid) {
  return {
    nsPid: [HOST_BASE + vpid, vpid],
    ppid: vpid === 1 ? SHIM_PID : HOST_BASE + 1,
    ns: CONTAINER_NS,
    comm: vpid === 1 ? 'init' : 'worker',
    startTime: 5000 + vpid,
    cgroup: `0::/system.slice/docker-${'ab12'.repeat(16)}.scope\n`,
  };
}

function hostProcesses() {
  return [
    { nsPid: [1], ppid: 0, ns: HOST_NS, comm: 'systemd', startTime: 1 },
    { nsPid: [SHIM_PID], ppid: 1, ns: HOST_NS, comm: 'containerd-shim', startTime: 4000 },
  ];
}

/** Bystander i: a container init, or a child of the init of its group. */
function bystander(i) {
  const group = Math.floor(i / BYSTANDERS_PER_NS);
  const vpid = (i % BYSTANDERS_PER_NS) + 1;
  const host = BYSTANDER_BASE + i;
  const init = host - vpid + 1;
  return {
    nsPid: [host, vpid],
    ppid: vpid === 1 ? SHIM_PID : init,
    ns: CONTAINER_NS + 1 + group,
    comm: 'other',
    startTime: 6000 + i,
  };
}

/**
 * Replaces DIR with a fresh tree and returns what the bench needs to point
 * hostpid at it. `extra` bystanders make it a host with that many more processes.
 */
/**
 * What a real procfs of the reader's own namespace has and hostpid uses to
 * catch reused PIDs cheaply: `self` naming the reader, and ns_last_pid.
 * `self` names the process that built the tree, so the in-process probes see
 * a procfs like the host's; a hostpid process started on it does not.
 */
function ownNamespace(dir) {
  symlinkSync(String(process.pid), join(dir, 'self'));
  mkdirSync(join(dir, 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(dir, 'sys', 'kernel', 'ns_last_pid'), '99999\n');
}

export function makeFixture(dir, extra = 0) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  for (const p of hostProcesses()) writeProcess(dir, p);
  for (let vpid = 1; vpid <= CONTAINER_PIDS; vpid++) writeProcess(dir, containerProcess(vpid));
  for (let i = 0; i < extra; i++) writeProcess(dir, bystander(i));
  ownNamespace(dir);

  return { root: dir, ns: CONTAINER_NS, processes: 2 + CONTAINER_PIDS + extra };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dir, extra = '0'] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write('usage: make-fixture.mjs DIR [EXTRA_PROCESSES]\n');
    process.exit(2);
  }
  console.log(makeFixture(dir, Number(extra)).ns);
}
