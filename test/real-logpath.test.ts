import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { canUnshare, descendantsOf, nsPidOf, type RunningNamespace, startNamespace,
  waitFor } from './helpers/ns.js';
import { CgroupDirs, containerId, runCli } from './helpers/real.js';

/*
 * A log file whose path names its container needs no target: processes in a
 * fresh pid namespace are put in a real cgroup named the way the runtime
 * names it, and their log, at the path the runtime would write it, resolves
 * in their namespace. Two files of two containers resolve each in its own.
 */
const cgroups = new CgroupDirs();
const started: RunningNamespace[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((ns) => ns.stop()));
  await cgroups.removeAll();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A namespace with one worker, its init moved into the cgroup at `path`. */
async function containerAt(path: string) {
  const ns = await startNamespace('sleep 1000 & wait');
  started.push(ns);
  CgroupDirs.enter(cgroups.make(path), ns.initPid);
  const worker = await waitFor(() => descendantsOf(ns.initPid)[0], 'the worker');
  return { ns, worker, workerVpid: nsPidOf(worker).at(-1) as number };
}

describe.runIf(canUnshare)('the container named by a log path', () => {
  it('Docker json-file and Kubernetes CRI files need no target, each in its own', async () => {
    const dockerId = containerId();
    const criId = containerId();
    const pod = '0b8f2a6e-1c3d-4e5f-8a9b-0c1d2e3f4a5b';
    const docker = await containerAt(
      `/sys/fs/cgroup/unified/system.slice/docker-${dockerId}.scope`);
    const cri = await containerAt(`/sys/fs/cgroup/pids/kubepods/besteffort/pod${pod}/${criId}`);
    const root = mkdtempSync(join(tmpdir(), 'hostpid-paths-'));
    dirs.push(root);

    const jsonDir = join(root, 'containers', dockerId);
    mkdirSync(jsonDir, { recursive: true });
    const jsonLog = join(jsonDir, `${dockerId}-json.log`);
    const now = new Date().toISOString();
    writeFileSync(jsonLog, `${JSON.stringify({ log: `app[${docker.workerVpid}]: up\n`,
      stream: 'stdout', time: now })}\n`);
    const criLog = join(root, `api-7f9c_shop_app-${criId}.log`);
    writeFileSync(criLog, `${now} stdout F app[1]: init of the pod's container\n`);

    const result = await runCli(['--log-format', 'json', jsonLog, criLog]);

    expect(result.code, result.stderr).toBe(0);
    const [record, criLine] = result.stdout.toString().split('\n');
    expect(JSON.parse(record ?? '{}')).toMatchObject({
      hostpid: { [String(docker.workerVpid)]: docker.worker } });
    expect(criLine).toBe(`${now} stdout F app[1]: init of the pod's container ` +
      `hostpid=1:${cri.ns.initPid}`);
  });
});
