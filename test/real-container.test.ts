import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { canUnshare, type RunningNamespace, startNamespace } from './helpers/ns.js';
import { CgroupDirs, containerId, logRecords, pidMapOf, runCli } from './helpers/real.js';

/*
 * --container against real cgroups named the way Docker names them: one
 * namespace's init in a cgroup v2 scope of the systemd driver, another's in
 * a cgroup v1 group of the cgroupfs driver. The two ids share their first 12
 * hex digits, so that prefix is ambiguous and 13 digits are not.
 */
const V2_ROOT = '/sys/fs/cgroup/unified';
const V1_PIDS = '/sys/fs/cgroup/pids';

const shared = containerId().slice(0, 12);
// The 13th digits differ, so 13 digits tell the two apart.
const v2Id = containerId(`${shared}0`);
const v1Id = containerId(`${shared}1`);
const SCRIPT = 'sleep 1000 & wait';

describe.skipIf(!canUnshare)('--container with real cgroups', () => {
  const cgroups = new CgroupDirs();
  let v2: RunningNamespace | undefined;
  let v1: RunningNamespace | undefined;

  beforeAll(async () => {
    v2 = await startNamespace(SCRIPT);
    v1 = await startNamespace(SCRIPT);
    // Only the init moves: --container needs one process of the container.
    CgroupDirs.enter(cgroups.make(`${V2_ROOT}/system.slice/docker-${v2Id}.scope`), v2.initPid);
    CgroupDirs.enter(cgroups.make(`${V1_PIDS}/docker/${v1Id}`), v1.initPid);
  });

  afterAll(async () => {
    await Promise.all([v2?.stop(), v1?.stop()]);
    await cgroups.removeAll();
  });

  it.each([
    ['v2 systemd scope, full id', () => v2Id, () => v2],
    ['v2 systemd scope, 13-digit prefix', () => v2Id.slice(0, 13), () => v2],
    ['v1 cgroupfs group, full id', () => v1Id, () => v1],
    ['v1 cgroupfs group, 13-digit prefix', () => v1Id.slice(0, 13), () => v1],
    ['v1 cgroupfs group, upper-case id', () => v1Id.toUpperCase(), () => v1],
  ])('finds the container of a %s', async (_name, id, ns) => {
    const target = ns() as RunningNamespace;
    const host = pidMapOf(target.initPid).get(1);
    const run = await runCli(['--container', id()], Buffer.from('myapp[1]: up\n'));

    expect(run.code).toBe(0);
    expect(run.stdout.toString('utf8')).toBe(`myapp[1]: up hostpid=1:${host}\n`);
    expect(host).toBe(target.initPid);
  });

  it('finds a container by its first 12 hex digits when they are unique', async () => {
    const lone = containerId();
    const ns = await startNamespace(SCRIPT);
    const dirs = new CgroupDirs();
    try {
      CgroupDirs.enter(dirs.make(`${V2_ROOT}/system.slice/docker-${lone}.scope`), ns.initPid);
      const run = await runCli(['--container', lone.slice(0, 12)], Buffer.from('app[1]: x\n'));

      expect(run.code).toBe(0);
      expect(run.stdout.toString('utf8')).toBe(`app[1]: x hostpid=1:${ns.initPid}\n`);
    } finally {
      await ns.stop();
      await dirs.removeAll();
    }
  });

  it.each([
    ['a prefix two containers share', () => shared, /matches 2 containers/],
    ['an id no process has', () => containerId(), /no process of container/],
    // Not an id: hostpid asks the Docker engine for a name, and there is none here.
    ['a prefix shorter than 12 digits', () => shared.slice(0, 11), /12 hex|Docker engine/],
    ['a name, with no Docker engine to ask', () => 'web-frontend-1', /12 hex|Docker engine/],
  ])('exits 2 for %s, with nothing on stdout', async (_name, id, message) => {
    const run = await runCli(['--container', id()], Buffer.from('myapp[1]: up\n'));

    expect(run.code).toBe(2);
    expect(run.stdout.length).toBe(0);
    const errors = logRecords(run.stderr).filter((r) => r.level >= 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.msg).toMatch(message);
  });
});
