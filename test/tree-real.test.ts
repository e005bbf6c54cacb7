import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { LookupAnswer } from '../src/run/lookup.js';
import { runCli } from './helpers/cli.js';
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

/** Three pid namespaces, each started by the one outside it; sleeps keep them busy. */
const NESTED = 'sleep 1000 & unshare --pid --fork --kill-child sh -c ' +
  '\'sleep 1000 & unshare --pid --fork --kill-child sh -c "sleep 1000 & wait"; wait\'; wait';

const CGROUP_V2 = '/sys/fs/cgroup/unified';
const CGROUP_V1_PIDS = '/sys/fs/cgroup/pids';
const CGROUP_V1_CPU = '/sys/fs/cgroup/cpu';

/** The cgroups this file makes, removed once their processes are gone. */
const cgroups = new CgroupDirs();

function placeInCgroup(path: string, pid: number): void {
  CgroupDirs.enter(cgroups.make(path), pid);
}

interface Nested {
  outer: RunningNamespace;
  /** Host PIDs of the inits at levels 1, 2, 3. */
  inits: [number, number, number];
  /** A sleep at level 3. */
  worker: number;
}

async function startNested(): Promise<Nested> {
  const outer = await startNamespace(NESTED);
  const atLevel = (level: number, init: boolean) => descendantsOf(outer.initPid)
    .concat(outer.initPid)
    .find((pid) => {
      const nsPid = nsPidIfAlive(pid);
      return nsPid.length === level + 1 && (nsPid[level] === 1) === init &&
        (init || /sleep/.test(commOf(pid)));
    });
  const inner = await waitFor(() => atLevel(3, true), 'level-3 init');
  const worker = await waitFor(() => atLevel(3, false), 'level-3 sleep');
  const middle = await waitFor(() => atLevel(2, true), 'level-2 init');
  return { outer, inits: [outer.initPid, middle, inner], worker };
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8');
  } catch {
    return '';
  }
}

describe.skipIf(!canUnshare)('real namespaces, three levels deep', () => {
  let nested: Nested;
  const dockerId = containerId();
  const podId = containerId();
  const podUid = randomUUID();

  beforeAll(async () => {
    nested = await startNested();
    const [one, two] = nested.inits;
    placeInCgroup(`${CGROUP_V2}/system.slice/docker-${dockerId}.scope`, one);
    placeInCgroup(`${CGROUP_V1_PIDS}/kubepods/burstable/pod${podUid}/${podId}`, two);
  });

  afterAll(async () => {
    await nested?.outer.stop();
    await cgroups.removeAll();
  });

  it('tree --format table has <inner init> <outer init> <level> for each', async () => {
    const [one, two, three] = nested.inits;
    const run = await runCli(['tree', '--format', 'table', '--log-level', 'error']);
    const lines = run.stdout.split('\n');

    expect(run.code).toBe(0);
    expect(lines).toContain(`${one} 1 1`);
    expect(lines).toContain(`${two} ${one} 2`);
    expect(lines).toContain(`${three} ${two} 3`);
  });

  it('tree draws them with their inodes and the containers their cgroups name', async () => {
    const [one, two, three] = nested.inits;
    const run = await runCli(['tree', '--format', 'tree', '--log-level', 'error']);
    const text = Buffer.from(run.stdout, 'latin1').toString('utf8');
    const line = (pid: number) => text.split('\n').find((l) => l.includes(`init ${pid} (`)) ?? '';

    expect(run.code).toBe(0);
    expect(line(one)).toContain(`pid:[${nsOf(one)}]  level 1`);
    expect(line(one)).toMatch(new RegExp(`docker ${dockerId.slice(0, 12)}$`));
    expect(line(two)).toContain(`pid:[${nsOf(two)}]  level 2`);
    expect(line(two)).toContain(`kubernetes ${podId.slice(0, 12)} pod ${podUid}`);
    expect(line(three)).toMatch(new RegExp(`pid:\\[${nsOf(three)}\\]  level 3  init ${three} ` +
      '\\(sh -c sleep 1000 & wait\\)  2 processes$'));
  });

  it('lookup 1 --pid <innermost init> gives the innermost init\'s host PID', async () => {
    const three = nested.inits[2];
    const run = await runCli(['lookup', '1', '--pid', String(three), '--format', 'json',
      '--log-level', 'error']);
    const answer = JSON.parse(run.stdout) as LookupAnswer;

    expect(run.code).toBe(0);
    expect(answer.hostPid).toBe(three);
    expect(answer.levels.map((l) => l.pid)).toEqual(nsPidOf(three));
    expect(answer.levels.map((l) => l.ns)).toEqual([nsOf(process.pid),
      ...nested.inits.map(nsOf)]);
  });

  it('lookup --host lists the PID at every level as NSpid shows it', async () => {
    const { worker, inits } = nested;
    const run = await runCli(['lookup', '--host', String(worker), '--log-level', 'error']);
    const rows = run.stdout.trim().split('\n').slice(2).map((r) => r.split(/\s+/));

    expect(run.code).toBe(0);
    expect(rows.map((r) => Number(r[1]))).toEqual(nsPidOf(worker));
    expect(rows.map((r) => r[3])).toEqual(['1', ...inits.map(String)]);
    expect(rows[1]?.slice(4)).toEqual(['docker', dockerId.slice(0, 12)]);
    expect(rows[2]?.slice(4)).toEqual(['kubernetes', podId.slice(0, 12), 'pod', podUid]);
  });

  it('lookup --container ID finds the namespace its cgroup names', async () => {
    const run = await runCli(['lookup', '1', '--container', dockerId.slice(0, 12),
      '--log-level', 'error']);

    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`host pid ${nested.inits[0]} (sh): pid 1 in ` +
      `pid:[${nsOf(nested.inits[0])}]`);
  });
});

describe.skipIf(!canUnshare)('real cgroups as each runtime names them', () => {
  const uid = randomUUID();
  const cases = [
    { runtime: 'docker', path: (id: string) => `${CGROUP_V2}/system.slice/docker-${id}.scope`,
      shown: (id: string) => `docker ${id.slice(0, 12)}` },
    { runtime: 'docker (cgroupfs driver, v1)',
      path: (id: string) => `${CGROUP_V1_CPU}/docker/${id}`,
      shown: (id: string) => `docker ${id.slice(0, 12)}` },
    { runtime: 'containerd', path: (id: string) =>
      `${CGROUP_V2}/system.slice/cri-containerd-${id}.scope`,
    shown: (id: string) => `containerd ${id.slice(0, 12)}` },
    { runtime: 'cri-o', path: (id: string) => `${CGROUP_V1_PIDS}/kubepods.slice/` +
      `kubepods-besteffort.slice/kubepods-besteffort-pod${uid.replaceAll('-', '_')}.slice/` +
      `crio-${id}.scope`,
    shown: (id: string) => `cri-o ${id.slice(0, 12)} pod ${uid}` },
    { runtime: 'podman', path: (id: string) => `${CGROUP_V2}/machine.slice/libpod-${id}.scope`,
      shown: (id: string) => `podman ${id.slice(0, 12)}` },
  ];
  const running: Array<{ ns: RunningNamespace; id: string; shown: string }> = [];

  beforeAll(async () => {
    for (const c of cases) {
      const ns = await startNamespace('sleep 1000 & wait');
      const id = containerId();
      placeInCgroup(c.path(id), ns.initPid);
      running.push({ ns, id, shown: c.shown(id) });
    }
  });

  afterAll(async () => {
    for (const r of running) await r.ns.stop();
    await cgroups.removeAll();
  });

  it('tree names each namespace\'s container, lookup each level\'s', async () => {
    const tree = await runCli(['tree', '--format', 'tree', '--log-level', 'error']);
    const text = Buffer.from(tree.stdout, 'latin1').toString('utf8');

    for (const r of running) {
      const line = text.split('\n').find((l) => l.includes(`init ${r.ns.initPid} (`));
      expect(line).toMatch(new RegExp(`  ${r.shown}$`));

      const lookup = await runCli(['lookup', '1', '--pid', String(r.ns.initPid),
        '--log-level', 'error']);
      expect(lookup.code).toBe(0);
      expect(lookup.stdout.trim().split('\n')[3]).toMatch(new RegExp(`${r.shown}$`));
    }
  });
});
