import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { containerOfPath, parseCgroup } from '../src/proc/cgroup.js';
import { parseNsInode } from '../src/proc/nslink.js';
import { listPids, readProcess } from '../src/proc/read.js';
import { parseStartTime } from '../src/proc/stat.js';
import { parseStatus } from '../src/proc/status.js';
import { makeFakeProc } from './helpers/fakeproc.js';

const fixture = (name: string) => readFileSync(join('test/fixtures/procfiles', name), 'latin1');
const ID = 'd9a7917b5afc9542f236d8bddcf4bd7f6c329a9f604bc6175cd9e4687faad0bc';
const POD = '0b8f2a6e-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

describe('parseStatus', () => {
  it('reads a real status file of this machine', () => {
    const status = parseStatus(fixture('status-host.txt'));

    expect(status?.nsPid).toHaveLength(1);
    expect(status?.tgid).toBe(status?.nsPid[0]);
    expect(status?.name).toBe('cat');
  });

  it('reads every level of a process two namespaces down, outermost first', () => {
    const status = parseStatus(fixture('status-nested.txt'));

    expect(status?.nsPid).toHaveLength(3);
    expect(status?.nsPid.at(-1)).toBe(1);
  });

  it.each([
    ['an empty file', ''],
    ['a file without NSpid (kernel < 4.1)', 'Name:\tx\nTgid:\t5\nPPid:\t1\n'],
    ['a garbled NSpid', 'Name:\tx\nTgid:\t5\nPPid:\t1\nNSpid:\t5 x\n'],
    ['a non-numeric PPid', 'Name:\tx\nTgid:\t5\nPPid:\tone\nNSpid:\t5\n'],
  ])('refuses %s', (_name, text) => {
    expect(parseStatus(text)).toBeUndefined();
  });
});

describe('parseStartTime', () => {
  it('takes field 22 of a real stat line', () => {
    expect(parseStartTime(fixture('stat-host.txt'))).toBe(53095);
  });

  it('counts fields after the last ")" when the command holds spaces and ")"', () => {
    expect(parseStartTime(fixture('stat-odd-comm.txt'))).toBe(987654);
  });

  it.each(['', '12 (x) S 1', '12 x S 1 2 3'])('refuses %j', (text) => {
    expect(parseStartTime(text)).toBeUndefined();
  });
});

describe('parseNsInode', () => {
  it.each([
    ['pid:[4026532388]', 4026532388],
    ['4026532388', 4026532388],
    [' 4026532388\n', 4026532388],
    ['net:[4026532388]', undefined],
    ['pid:[]', undefined],
    ['pid:[12x]', undefined],
    ['0', undefined],
    ['99999999999999999999', undefined],
  ])('%j -> %s', (text, inode) => {
    expect(parseNsInode(text)).toBe(inode);
  });
});

describe('parseCgroup', () => {
  it.each([
    ['docker, cgroup v1, cgroupfs driver', `4:memory:/docker/${ID}\n`, { runtime: 'docker', id: ID }],
    ['docker, cgroup v2, systemd driver', `0::/system.slice/docker-${ID}.scope\n`,
      { runtime: 'docker', id: ID }],
    ['podman', `0::/machine.slice/libpod-${ID}.scope/container\n`, { runtime: 'podman', id: ID }],
    ['cri-o under kubepods (systemd)',
      `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD.replaceAll('-', '_')}` +
        `.slice/crio-${ID}.scope\n`,
      { runtime: 'cri-o', id: ID, podUid: POD }],
    ['containerd under kubepods (systemd)',
      `0::/kubepods.slice/kubepods-pod${POD.replaceAll('-', '_')}.slice/cri-containerd-${ID}.scope\n`,
      { runtime: 'containerd', id: ID, podUid: POD }],
    ['kubepods, cgroup v1, cgroupfs driver', `8:pids:/kubepods/besteffort/pod${POD}/${ID}\n`,
      { runtime: 'kubernetes', id: ID, podUid: POD }],
    ['containerd without kubernetes', `0::/default/${ID}\n`, { runtime: 'containerd', id: ID }],
  ])('%s', (_name, text, ref) => {
    expect(parseCgroup(text)).toEqual(ref);
  });

  it.each([
    ['the host', fixture('cgroup-host.txt')],
    ['a conmon scope', `0::/machine.slice/libpod-conmon-${ID}.scope\n`],
    ['a short hex name', '0::/system.slice/docker-abc123.scope\n'],
    ['garbage', 'not a cgroup file'],
  ])('finds no container for %s', (_name, text) => {
    expect(parseCgroup(text)).toBeUndefined();
  });

  it('reads the path of a v1 line whose path holds a colon', () => {
    expect(containerOfPath(`/docker/${ID}`)).toEqual({ runtime: 'docker', id: ID });
  });
});

describe('readProcess on a fixture tree', () => {
  let cleanup = () => undefined as void;
  afterEach(() => cleanup());

  it('reads status, ns link and stat of a process and of a thread', () => {
    const tree = makeFakeProc([
      { nsPid: [16268, 8, 3], ppid: 16263, ns: 4026532388, startTime: 777, comm: 'worker',
        threads: [[16270, 10, 5]] },
    ]);
    cleanup = tree.cleanup;

    expect(readProcess(tree.root, 16268)).toEqual({ ok: true, process: {
      pid: 16268, ppid: 16263, nsPid: [16268, 8, 3], pidNs: 4026532388, startTime: 777,
      comm: 'worker' } });
    const thread = readProcess(tree.root, 16268, 16270);
    expect(thread.ok && thread.process.nsPid).toEqual([16270, 10, 5]);
    expect(listPids(tree.root)).toEqual([16268]);
  });

  it('calls a process that vanished between readdir and read gone, not an error', () => {
    const tree = makeFakeProc([{ nsPid: [42], ppid: 1, ns: 4026531836 }]);
    cleanup = tree.cleanup;
    rmSync(join(tree.root, '42', 'stat'));

    expect(readProcess(tree.root, 42)).toMatchObject({ ok: false, reason: 'gone' });
    expect(readProcess(tree.root, 43)).toMatchObject({ ok: false, reason: 'gone' });
  });

  it('calls a status file that is not procfs malformed', () => {
    const tree = makeFakeProc([{ nsPid: [42], ppid: 1, ns: 4026531836 }]);
    cleanup = tree.cleanup;
    writeFileSync(join(tree.root, '42', 'status'), 'Name:\tx\nPPid:\t1\n');

    expect(readProcess(tree.root, 42)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('reads a real process of this machine through /proc', () => {
    const read = readProcess('/proc', process.pid);

    expect(read.ok && read.process.pid).toBe(process.pid);
    expect(read.ok && read.process.nsPid[0]).toBe(process.pid);
  });
});
