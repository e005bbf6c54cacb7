import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { Resolver } from '../src/resolve/resolver.js';
import { openRecordedSource, type RecordedSource } from '../src/snapshot/source.js';
import { logLines } from './helpers/cli.js';
import { canUnshare, type RunningNamespace, startNamespace, waitFor } from './helpers/ns.js';
import { hostPidOf, HOSTPID_BIN, type RunningCli, startCli } from './helpers/real.js';

const run = promisify(execFile);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Forks `sleep` as pid 100 of the namespace of `initPid`: entering its pid
 * and mount namespaces gives the namespace's own /proc, where root may set
 * the PID the next fork gets. The shell writes 99 and forks at once (echo is
 * a builtin), then exits; the sleep is reparented to the namespace's init.
 */
async function forkPid100(initPid: number): Promise<number> {
  const script = 'echo 99 > /proc/sys/kernel/ns_last_pid; sleep 1000 >/dev/null 2>&1 & echo $!';
  const { stdout } = await run('nsenter', ['-t', String(initPid), '-p', '-m', 'sh', '-c', script]);

  expect(stdout.trim()).toBe('100');
  return hostPidOf(initPid, 100);
}

async function killAndReap(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  await waitFor(() => (existsSync(`/proc/${pid}`) ? undefined : true), `exit of ${pid}`);
}

function recordUntilStopped(out: string, interval = '50'): RunningCli {
  return startCli(['record', '--out', out, '--interval', interval, '--log-format', 'json']);
}

describe.skipIf(!canUnshare)('a real record across a reused pid 100', () => {
  let dir: string;
  let ns: RunningNamespace;
  let recorder: RunningCli | undefined;
  const times: Record<'first' | 'gap' | 'second', number> = { first: 0, gap: 0, second: 0 };
  const hosts = { first: 0, second: 0 };
  let source: RecordedSource;
  let ended: { code: number | null; stdout: Buffer; stderr: string };

  beforeAll(async () => {
    if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
      throw new Error(`run npm run build first: ${HOSTPID_BIN} needs dist/`);
    }
    dir = mkdtempSync(join(tmpdir(), 'hostpid-reuse-'));
    // `; :` keeps sh from exec'ing sleep, so pid 1 stays a shell that reaps orphans.
    ns = await startNamespace('sleep 100000; :', ['--mount-proc']);
    const out = join(dir, 'reuse.db');
    recorder = recordUntilStopped(out);
    await waitFor(() => (existsSync(out) ? true : undefined), 'the record file');
    await pause(200);

    hosts.first = await forkPid100(ns.initPid);
    await pause(300);
    times.first = Date.now();
    await pause(200);

    await killAndReap(hosts.first);
    await pause(300);
    times.gap = Date.now();
    await pause(200);

    hosts.second = await forkPid100(ns.initPid);
    await pause(300);
    times.second = Date.now();
    await pause(200);

    recorder.child.kill('SIGINT');
    ended = await recorder.done;
    source = openRecordedSource(out);
  });

  afterAll(async () => {
    source?.close();
    if (recorder?.child.exitCode === null) recorder.child.kill('SIGKILL');
    await ns?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gave pid 100 to two different host processes', () => {
    expect(hosts.first).toBeGreaterThan(0);
    expect(hosts.second).toBeGreaterThan(0);
    expect(hosts.second).not.toBe(hosts.first);
  });

  it('ends on SIGINT with exit 0, nothing on stdout, its summary on stderr', () => {
    expect(ended.code).toBe(0);
    expect(ended.stdout.length).toBe(0);
    const logs = logLines(ended.stderr);
    expect(logs[0]).toMatchObject({ msg: 'recording until SIGINT or SIGTERM', intervalMs: 50 });
    expect(logs.at(-1)).toMatchObject({ msg: 'record closed', exited: expect.any(Number) });
    expect(logs.at(-1)?.['exited']).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['while the first held it', 'first', () => ({ ok: true, hostPid: hosts.first })],
    ['between the two', 'gap', () => ({ ok: false, reason: 'not-found' })],
    ['while the second held it', 'second', () => ({ ok: true, hostPid: hosts.second })],
  ] as const)('maps a time %s to its own process', (_name, period, expected) => {
    expect(source.history.at(ns.ns, 100, times[period])).toMatchObject(expected());
  });

  it('knows when the first stopped and the second started, within an interval', () => {
    const first = source.history.at(ns.ns, 100, times.first);
    const second = source.history.at(ns.ns, 100, times.second);

    expect(first).toMatchObject({ ok: true, exitedMs: expect.any(Number) });
    if (!first.ok || !second.ok || first.exitedMs === undefined) return;
    expect(first.exitedMs).toBeGreaterThan(times.first);
    expect(first.exitedMs).toBeLessThan(times.gap);
    expect(second.startedMs).toBeGreaterThan(times.gap);
    expect(second.startedMs).toBeLessThanOrEqual(times.second);
  });

  it('resolves pid 100 to the second process through a Resolver on the record', () => {
    const resolver = new Resolver({ source });

    expect(resolver.resolve(ns.ns, 100)).toMatchObject({ ok: true, hostPid: hosts.second });
    expect(resolver.resolve(ns.ns, 1)).toMatchObject({ ok: true, hostPid: ns.initPid });
  });
});

describe.skipIf(!canUnshare)('a real record killed with SIGKILL', () => {
  let dir: string;
  let recorder: RunningCli | undefined;
  let ns: RunningNamespace | undefined;

  afterEach(async () => {
    if (recorder?.child.exitCode === null) recorder.child.kill('SIGKILL');
    await ns?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is still a readable, sound database covering up to its last scan', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostpid-kill-'));
    const out = join(dir, 'killed.db');
    ns = await startNamespace('sleep 100000; :');
    const { initPid, ns: inode } = ns;
    recorder = recordUntilStopped(out, '10');
    await waitFor(() => (existsSync(out) ? true : undefined), 'the record file');
    await pause(400);

    recorder.child.kill('SIGKILL');
    const ended = await recorder.done;
    await ns.stop();

    const db = new Database(out);
    const check = db.pragma('integrity_check', { simple: true });
    db.close();
    const source = openRecordedSource(out);
    const covered = source.coverage;
    const init = source.history.at(inode, 1, covered.toMs);
    source.close();

    expect(ended.code).toBeNull();
    expect(check).toBe('ok');
    expect(covered.toMs).toBeGreaterThan(covered.fromMs);
    expect(init).toMatchObject({ ok: true, hostPid: initPid });
  });
});
