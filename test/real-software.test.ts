import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { canUnshare, nsPidOf, type RunningNamespace, startNamespace, waitFor }
  from './helpers/ns.js';
import { freePort, hostPidOf, killAll, linesOf, pidMapOf, type RunningCli, runCli,
  splitSuffix, startCli, summaryOf, unresolvedTotal, waitForText } from './helpers/real.js';
import { nginxConf } from './helpers/servers.js';

/*
 * Debian's own servers, each started as pid 1 of a fresh pid namespace the
 * way a container runtime starts them, writing their real logs; the logs go
 * through the built CLI and every PID it maps is checked against NSpid.
 * The namespaces keep the host's /proc: both servers learn their PIDs from
 * getpid(), which answers in their own namespace without a /proc of it.
 */
const NGINX = '/usr/sbin/nginx';
const REDIS = '/usr/bin/redis-server';
const REDIS_CLI = '/usr/bin/redis-cli';

/** What each test started, undone after it whether it passed or not. */
const started = {
  namespaces: [] as RunningNamespace[],
  pids: new Set<number>(),
  children: [] as ChildProcess[],
  dirs: [] as string[],
};

afterEach(async () => {
  for (const child of started.children.splice(0)) child.kill('SIGKILL');
  killAll(started.pids);
  started.pids.clear();
  await Promise.all(started.namespaces.splice(0).map((ns) => ns.stop()));
  for (const dir of started.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `hostpid-${name}-`));
  started.dirs.push(dir);
  return dir;
}

/** Every process of the namespace, so a failed assertion still kills them. */
function track(ns: RunningNamespace): void {
  for (const pid of pidMapOf(ns.initPid).values()) started.pids.add(pid);
}

async function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

const hasNginx = canUnshare && existsSync(NGINX);
const hasRedis = canUnshare && existsSync(REDIS) && existsSync(REDIS_CLI);

describe.skipIf(!hasNginx)('nginx in a fresh pid namespace', () => {
  it('maps the master and worker PIDs of its real error log to their host PIDs', async () => {
    const dir = tempDir('nginx');
    const port = await freePort();
    mkdirSync(join(dir, 'html'));
    writeFileSync(join(dir, 'nginx.conf'), nginxConf(dir, port));
    // -e: the log nginx opens before it has read the config must be ours too.
    const ns = await startNamespace(
      `exec ${NGINX} -e ${dir}/error.log -p ${dir}/ -c ${dir}/nginx.conf`);
    started.namespaces.push(ns);
    const log = join(dir, 'error.log');
    await waitForText(log, /(start worker process \d+\n[^]*){2}/);
    track(ns);

    // A 404 makes a worker write a line under its own pid#tid.
    expect(await httpStatus(`http://127.0.0.1:${port}/missing`)).toBe(404);
    const text = await waitForText(log, /\[error\] \d+#\d+: \*1 open\(\)/);
    const run = await runCli(['--pid', String(ns.initPid), log]);

    expect(run.code).toBe(0);
    const workerVpids = [...text.matchAll(/start worker process (\d+)/g)].map((m) => Number(m[1]));
    const out = linesOf(run.stdout.toString('utf8')).map(splitSuffix);
    expect(out.map((l) => l.text)).toEqual(linesOf(text));
    const masterLines = out.filter((l) => !l.text.includes('[error]'));
    for (const l of masterLines) expect(l.pairs).toContainEqual([1, ns.initPid]);

    const mapped = new Map(out.flatMap((l) => l.pairs));
    expect(mapped.get(1)).toBe(ns.initPid);
    expect(workerVpids).toHaveLength(2);
    for (const vpid of [1, ...workerVpids]) {
      const host = mapped.get(vpid) as number;
      expect(nsPidOf(host)).toEqual([host, vpid]);
    }

    // nginx writes pid#tid; each thread id maps to the thread /proc shows for it.
    for (const [vtid, host] of out.flatMap((l) => l.tids)) {
      expect(nsPidOf(host as number).at(-1)).toBe(vtid);
    }

    const errorLine = out.find((l) => l.text.includes('[error]'));
    const [workerVpid, workerHost] = errorLine?.pairs[0] ?? [];
    expect(workerVpids).toContain(workerVpid);
    expect(readFileSync(`/proc/${workerHost}/cmdline`, 'latin1')).toMatch(/^nginx: worker/);
    expect(unresolvedTotal(summaryOf(run.stderr))).toBe(0);
  });
});

describe.skipIf(!hasRedis)('redis-server in a fresh pid namespace', () => {
  /**
   * The BGSAVE child lives only as long as its save, so the log is streamed
   * through the CLI as it grows (like a log shipper would), and a per-key
   * save delay keeps the child alive for a second: the CLI meets it alive on
   * "started by pid N" and still knows it for its own "N:C" lines after it
   * exits.
   */
  it('maps the server and its BGSAVE child, streamed as the log grows', async () => {
    const dir = tempDir('redis');
    const sock = join(dir, 'r.sock');
    const log = join(dir, 'redis.log');
    const ns = await startNamespace(`exec ${REDIS} --port 0 --unixsocket ${sock} ` +
      `--save '' --dir ${dir} --logfile ${log} --rdb-key-save-delay 1000000`);
    started.namespaces.push(ns);
    track(ns);
    await waitForText(log, /ready to accept connections/);

    const tail = spawn('tail', ['-n', '+1', '-f', log], { stdio: ['ignore', 'pipe', 'ignore'] });
    started.children.push(tail);
    const cli: RunningCli = startCli(['--pid', String(ns.initPid)]);
    started.children.push(cli.child);
    tail.stdout.pipe(cli.stdin);

    // The CLI must be up before the child exists: a node start-up on a busy
    // machine can outlast the child, and what is gone before the first scan
    // can only be "?".
    await waitFor(() => (cli.stdoutText().includes('ready to accept') ? true : undefined),
      'the startup lines out of the CLI');
    execFileSync(REDIS_CLI, ['-s', sock, 'set', 'k', 'v']);
    execFileSync(REDIS_CLI, ['-s', sock, 'bgsave']);
    const saving = await waitForText(log, /Background saving started by pid (\d+)/);
    const childVpid = Number(/started by pid (\d+)/.exec(saving)?.[1]);
    const childHost = await hostPidOf(ns.initPid, childVpid);
    started.pids.add(childHost);
    expect(nsPidOf(childHost)).toEqual([childHost, childVpid]);

    const text = await waitForText(log, /Background saving terminated with success/);
    // The CLI's output of the last line, not the log, says the stream is through.
    await waitFor(() => (cli.stdoutText().includes('terminated with success') ? true : undefined),
      'the last line out of the CLI');
    tail.kill('SIGKILL');
    const run = await cli.done;

    expect(run.code).toBe(0);
    const out = linesOf(run.stdout.toString('utf8')).map(splitSuffix);
    expect(out.map((l) => l.text)).toEqual(linesOf(text));
    const mapped = new Map(out.flatMap((l) => l.pairs));
    expect(mapped.get(1)).toBe(ns.initPid);
    expect(mapped.get(childVpid)).toBe(childHost);

    const byChild = out.filter((l) => l.text.startsWith(`${childVpid}:C `));
    expect(byChild.map((l) => l.text)).toContainEqual(expect.stringMatching(/DB saved on disk/));
    for (const l of byChild) expect(l.pairs).toEqual([[childVpid, childHost]]);
    const startLine = out.find((l) => l.text.includes('started by pid'));
    expect(startLine?.pairs).toEqual([[1, ns.initPid], [childVpid, childHost]]);
    expect(unresolvedTotal(summaryOf(run.stderr))).toBe(0);
  });
});
