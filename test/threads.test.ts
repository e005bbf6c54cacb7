import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Resolver } from '../src/resolve/resolver.js';
import { runCli } from './helpers/cli.js';
import { makeFakeProc } from './helpers/fakeproc.js';
import {
  canUnshare,
  childrenOf,
  nsPidOf,
  type RunningNamespace,
  startNamespace,
  waitFor,
} from './helpers/ns.js';
import { CONTAINER_STORY, INNER_NS } from './fixtures/hierarchy/seed.js';

describe('thread ids under a fake procfs', () => {
  it('resolves a tid once from /proc/PID/task and answers again from memory', () => {
    const tree = makeFakeProc(CONTAINER_STORY);
    try {
      const resolver = new Resolver({ procRoot: tree.root });
      const first = resolver.resolveThread(INNER_NS, 4, 16268);
      rmSync(join(tree.root, '16268', 'task', '16270'), { recursive: true });
      const again = resolver.resolveThread(INNER_NS, 4, 16268);

      expect(first).toMatchObject({ ok: true, hostTid: 16270, hostPid: 16268 });
      expect(again).toMatchObject({ ok: true, hostTid: 16270, hostPid: 16268 });
    } finally {
      tree.cleanup();
    }
  });

  it('finds a thread without a hint by reading the tasks of the namespace', () => {
    const tree = makeFakeProc(CONTAINER_STORY);
    try {
      const answer = new Resolver({ procRoot: tree.root }).resolveThread(INNER_NS, 4);

      expect(answer).toMatchObject({ ok: true, hostTid: 16270 });
    } finally {
      tree.cleanup();
    }
  });

  it('takes a thread group leader\'s tid for its PID, and says when a tid is not there', () => {
    const tree = makeFakeProc(CONTAINER_STORY);
    try {
      const resolver = new Resolver({ procRoot: tree.root });

      expect(resolver.resolveThread(INNER_NS, 3)).toMatchObject({ ok: true, hostTid: 16268 });
      expect(resolver.resolveThread(INNER_NS, 77)).toEqual({ ok: false, reason: 'not-found' });
    } finally {
      tree.cleanup();
    }
  });
});

/** A python with three threads besides its main one, as pid 2 of a fresh namespace. */
const THREADED = '/usr/bin/python3 -c "import threading, time\n' +
  'for _ in range(3): threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()\n' +
  'time.sleep(1000)" & wait';

describe.skipIf(!canUnshare)('real threads in a fresh pid namespace', () => {
  let ns: RunningNamespace;
  let python: number;
  /** Host tid -> tid in the namespace, for the threads other than the main one. */
  let threads: Array<{ host: number; inside: number }>;

  beforeAll(async () => {
    ns = await startNamespace(THREADED);
    python = await waitFor(() => childrenOf(ns.initPid)[0], 'python');
    const tids = await waitFor(() => {
      const found = readdirSync(`/proc/${python}/task`).map(Number).filter((t) => t !== python);
      return found.length >= 3 ? found : undefined;
    }, 'three threads');
    threads = tids.map((host) => ({ host, inside: nsPidOf(python, host).at(-1) as number }));
  });

  afterAll(async () => {
    await ns?.stop();
  });

  it('lookup --tid maps each thread id of the namespace to the host tid', async () => {
    for (const t of threads) {
      const run = await runCli(['lookup', String(t.inside), '--tid', '--pid', String(ns.initPid),
        '--log-level', 'error']);

      expect(run.code).toBe(0);
      expect(run.stdout.split('\n')[0]).toMatch(
        new RegExp(`^host tid ${t.host} of pid ${python} \\(python3\\): tid ${t.inside} in `));
    }
  });

  it('lookup --host --tid lists a thread\'s id at every level', async () => {
    const t = threads[0] as { host: number; inside: number };
    const run = await runCli(['lookup', '--host', String(t.host), '--tid', '--format', 'json',
      '--log-level', 'error']);
    const answer = JSON.parse(run.stdout) as { hostTid: number; levels: Array<{ pid: number }> };

    expect(run.code).toBe(0);
    expect(answer.hostTid).toBe(t.host);
    expect(answer.levels.map((l) => l.pid)).toEqual(nsPidOf(python, t.host));
  });

  it('lookup --host of a thread without --tid says what it is, exit 1', async () => {
    const t = threads[0] as { host: number; inside: number };
    const run = await runCli(['lookup', '--host', String(t.host)]);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${t.host} is a thread of process ${python}`);
  });

  it('annotates a line naming a thread id with the thread\'s host id', async () => {
    const [a, b] = threads as [{ host: number; inside: number }, { host: number; inside: number }];
    // nginx's "PID#TID:" prefix; the second line names pid 1 (sh), so the
    // thread is not among that process's tasks and the namespace is searched.
    const input = [
      `2026/12/03 10:00:07 [error] 2#${a.inside}: *4528 connect() failed`,
      `2026/12/03 10:00:08 [error] 1#${b.inside}: upstream timed out`,
      '',
    ].join('\n');
    const run = await runCli(['--pid', String(ns.initPid), '--log-level', 'error'], input);

    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual([
      `2026/12/03 10:00:07 [error] 2#${a.inside}: *4528 connect() failed ` +
        `hostpid=2:${python} hosttid=${a.inside}:${a.host}`,
      `2026/12/03 10:00:08 [error] 1#${b.inside}: upstream timed out ` +
        `hostpid=1:${ns.initPid} hosttid=${b.inside}:${b.host}`,
      '',
    ]);
  });
});
