import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIN } from './helpers/cli.js';
import {
  canUnshare,
  descendantsOf,
  nsOf,
  nsPidIfAlive,
  nsPidOf,
  type RunningNamespace,
  startNamespace,
  waitFor,
} from './helpers/ns.js';
import { CgroupDirs, containerId } from './helpers/real.js';

/** Runs the built CLI as nobody, with no capabilities and no groups. */
function runAsNobody(args: string[]) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups',
      process.execPath, BIN, ...args, '--log-format', 'json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .filter((l) => l.level === 40).map((l) => l.msg);
}

const NESTED = 'sleep 1000 & unshare --pid --fork --kill-child sh -c "sleep 1000 & wait"; wait';

describe.skipIf(!canUnshare)('run unprivileged (setpriv --reuid=nobody)', () => {
  let ns: RunningNamespace;
  let inner: number;
  let worker: number;
  const id = containerId();
  const cgroups = new CgroupDirs();

  beforeAll(async () => {
    ns = await startNamespace(NESTED);
    const level2 = () => descendantsOf(ns.initPid)
      .filter((pid) => nsPidIfAlive(pid).length === 3);
    inner = await waitFor(() => level2().find((pid) => nsPidOf(pid)[2] === 1), 'inner init');
    worker = await waitFor(() => level2().find((pid) => nsPidOf(pid)[2] === 2), 'inner sleep');
    const scope = `/sys/fs/cgroup/unified/hostpid-privileges-${id.slice(0, 8)}/` +
      `docker-${id}.scope`;
    CgroupDirs.enter(cgroups.make(scope), ns.initPid);
  });

  afterAll(async () => {
    await ns?.stop();
    await cgroups.removeAll();
  });

  it('tree --format table has the seed lines still, from NSpid alone; warns once', async () => {
    const run = await runAsNobody(['tree', '--format', 'table']);

    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toContain(`${ns.initPid} 1 1`);
    expect(run.stdout.split('\n')).toContain(`${inner} ${ns.initPid} 2`);
    expect(warnings(run.stderr)).toHaveLength(1);
    expect(warnings(run.stderr)[0])
      .toMatch(/^cannot read the pid namespace link of \d+ processes.*CAP_SYS_PTRACE$/);
  });

  it('tree --format json leaves the inodes it could not read null', async () => {
    const run = await runAsNobody(['tree', '--format', 'json']);
    const body = JSON.parse(run.stdout) as { namespaces: Array<Record<string, unknown>> };
    const mine = body.namespaces.filter((n) => n.initPid === ns.initPid || n.initPid === inner);

    expect(run.code).toBe(0);
    expect(mine).toHaveLength(2);
    expect(mine.map((n) => n.ns)).toEqual([null, null]);
    expect(mine[0]).toMatchObject({ level: 1, processes: 3,
      container: { runtime: 'docker', id } });
    expect(mine[1]).toMatchObject({ level: 2, parentInitPid: ns.initPid, processes: 2 });
  });

  it('lookup --host gives NSpid and the inits, no namespace inode', async () => {
    const run = await runAsNobody(['lookup', '--host', String(worker), '--format', 'json']);
    const answer = JSON.parse(run.stdout) as { levels: Array<Record<string, unknown>> };

    expect(run.code).toBe(0);
    expect(answer.levels.map((l) => l.pid)).toEqual(nsPidOf(worker));
    expect(answer.levels.map((l) => l.initPid)).toEqual([1, ns.initPid, inner]);
    expect(answer.levels.map((l) => l.ns)).toEqual([null, null, null]);
    expect(answer.levels[1]?.container).toEqual({ runtime: 'docker', id });
    expect(warnings(run.stderr)).toHaveLength(1);
  });

  it('lookup --pid and --container ID answer from the PPid chains', async () => {
    const outerSleep = descendantsOf(ns.initPid).find((pid) => nsPidOf(pid).join() === `${pid},2`);
    const cases = [
      { target: ['--pid', String(inner)], hostPid: worker },
      { target: ['--container', id.slice(0, 12)], hostPid: outerSleep },
    ];

    for (const c of cases) {
      const run = await runAsNobody(['lookup', '2', ...c.target, '--format', 'json']);

      expect(run.code).toBe(0);
      expect((JSON.parse(run.stdout) as { hostPid: number }).hostPid).toBe(c.hostPid);
      expect(warnings(run.stderr)).toHaveLength(1);
    }
  });

  it('lookup --pidns cannot work without the links: it says why, exit 2', async () => {
    const run = await runAsNobody(['lookup', '1', '--pidns', String(nsOf(inner))]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`no process lives in pid:[${nsOf(inner)}]`);
    expect(run.stderr).toContain('run as root or with CAP_SYS_PTRACE');
  });

  it('a PID the chains do not prove is not guessed: exit 1', async () => {
    const run = await runAsNobody(['lookup', '9', '--pid', String(inner)]);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`no pid 9 found in the namespace of init ${inner}`);
  });
});

describe.skipIf(!canUnshare)('a procfs mounted with hidepid=', () => {
  const mountPoint = mkdtempSync(join(tmpdir(), 'hostpid-hidepid-'));

  beforeAll(() => {
    execFileSync('mount', ['-t', 'proc', '-o', 'hidepid=2', 'proc', mountPoint]);
  });

  afterAll(() => {
    execFileSync('umount', [mountPoint]);
    rmdirSync(mountPoint);
  });

  it('tree says other users\' processes are hidden, and shows only what it saw', async () => {
    const run = await runAsNobody(['tree', '--format', 'json', '--proc', mountPoint]);
    const body = JSON.parse(run.stdout) as { namespaces: Array<Record<string, unknown>> };

    expect(run.code).toBe(0);
    expect(body.namespaces).toHaveLength(1);
    expect(body.namespaces[0]).toMatchObject({ level: 0, initComm: '?', processes: 1 });
    expect(warnings(run.stderr)).toEqual([`${mountPoint} is mounted with hidepid=invisible: ` +
      'processes of other users are hidden; run as root, or mount it with hidepid=0 or gid= ' +
      'a group you are in']);
  });
});
