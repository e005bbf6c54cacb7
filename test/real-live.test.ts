import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { canUnshare, type RunningNamespace, startNamespace, waitFor } from './helpers/ns.js';
import { freePort, killAll, linesOf, pidMapOf, type RunningCli, splitSuffix, startCli,
  waitForText } from './helpers/real.js';
import { nginxConf } from './helpers/servers.js';

const NGINX = '/usr/sbin/nginx';
const started = { namespaces: [] as RunningNamespace[], pids: new Set<number>(),
  clis: [] as RunningCli[], dirs: [] as string[] };

afterEach(async () => {
  for (const cli of started.clis.splice(0)) cli.child.kill('SIGKILL');
  killAll(started.pids);
  started.pids.clear();
  await Promise.all(started.namespaces.splice(0).map((ns) => ns.stop()));
  for (const dir of started.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const hasNginx = canUnshare && existsSync(NGINX);

describe.runIf(hasNginx)('nginx reloaded while hostpid follows it', () => {
  /*
   * On SIGHUP nginx starts new workers and lets the old ones finish; the
   * master logs "worker process N exited" after they are gone. hostpid,
   * following the log with --watch, saw the old workers alive, so their exit
   * lines still map to their host PIDs, and the new workers' lines to theirs.
   */
  it('maps the exit lines of the old workers and the start lines of the new ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostpid-reload-'));
    started.dirs.push(dir);
    mkdirSync(join(dir, 'html'));
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, await freePort()));
    const ns = await startNamespace(
      `exec ${NGINX} -e ${dir}/error.log -p ${dir}/ -c ${dir}/nginx.conf`);
    started.namespaces.push(ns);
    const log = join(dir, 'error.log');
    await waitForText(log, /(start worker process \d+\n[^]*){2}/);
    const before = pidMapOf(ns.initPid);
    for (const pid of before.values()) started.pids.add(pid);

    const cli = startCli(['--pid', String(ns.initPid), '--follow', log, '--watch', '50',
      '--stats-interval', '50', '--log-format', 'json']);
    started.clis.push(cli);
    await waitFor(() => (/"rescans":(?:[2-9]|\d\d)/.test(cli.stderrText()) ? true : undefined),
      'hostpid to scan the workers');

    process.kill(ns.initPid, 'SIGHUP');
    const text = await waitForText(log, /(exited with code 0[^]*){2}/);
    const after = pidMapOf(ns.initPid);
    for (const pid of after.values()) started.pids.add(pid);
    await waitFor(() => (linesOf(cli.stdoutText()).length >= linesOf(text).length ? true
      : undefined), 'every line of the log through hostpid');
    cli.child.kill('SIGTERM');
    const run = await cli.done;

    expect(run.code).toBe(0);
    const out = linesOf(run.stdout.toString()).map(splitSuffix);
    const starts = out.filter((l) => /start worker process \d+$/.test(l.text));
    const exits = out.filter((l) => /worker process \d+ exited/.test(l.text));
    expect(starts).toHaveLength(4);
    expect(exits).toHaveLength(2);

    const workerPair = (text: string, map: Map<number, number>) => {
      const vpid = Number(/worker process (\d+)/.exec(text)?.[1]);
      return [vpid, map.get(vpid)];
    };
    for (const line of starts.slice(0, 2)) {
      expect(line.pairs).toContainEqual(workerPair(line.text, before));
    }
    for (const line of starts.slice(2)) {
      expect(line.pairs).toContainEqual(workerPair(line.text, after));
    }
    for (const line of exits) {
      const [vpid, host] = workerPair(line.text, before);
      expect(host).toBeDefined();
      expect(after.has(vpid as number)).toBe(false);
      expect(line.pairs).toContainEqual([vpid, host]);
    }
  });
});
