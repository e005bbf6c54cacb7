import {
  existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Resolver } from '../src/resolve/resolver.js';
import { openRecordedSource } from '../src/snapshot/source.js';
import { logLines, runCli } from './helpers/cli.js';
import { makeFakeProc } from './helpers/fakeproc.js';
import { canUnshare, type RunningNamespace, startNamespace, waitFor } from './helpers/ns.js';
import { hostPidOf, HOSTPID_BIN } from './helpers/real.js';

let dir: string;
beforeAll(() => {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
    throw new Error(`run npm run build first: ${HOSTPID_BIN} needs dist/`);
  }
  dir = mkdtempSync(join(tmpdir(), 'hostpid-snapcli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!canUnshare)('a real snapshot, after its processes are gone', () => {
  let ns: RunningNamespace | undefined;
  const hosts = new Map<number, number>();
  let takenBefore = 0;
  let file: string;
  let ended: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    ns = await startNamespace('sleep 100000 & sleep 100000; :');
    for (const vpid of [1, 2, 3]) hosts.set(vpid, await hostPidOf(ns.initPid, vpid));
    takenBefore = Date.now();
    file = join(dir, 'gone.json');

    ended = await runCli(['snapshot', '--out', file, '--log-format', 'json']);
    const killed = [...hosts.values()];
    await ns.stop();
    await waitFor(() => (killed.some((pid) => existsSync(`/proc/${pid}`)) ? undefined : true),
      'the namespace to be gone');
  });

  afterAll(async () => {
    await ns?.stop();
  });

  it('wrote the file, nothing on stdout, and said so on stderr', () => {
    expect(ended.code).toBe(0);
    expect(ended.stdout).toBe('');
    expect(logLines(ended.stderr).at(-1)).toMatchObject({ msg: 'snapshot written', out: file });
  });

  it('still resolves every PID of the namespace to its old host PID', () => {
    const resolver = new Resolver({ source: openRecordedSource(file) });
    const live = new Resolver();

    for (const [vpid, host] of hosts) {
      expect(resolver.resolve(ns?.ns ?? 0, vpid)).toMatchObject({ ok: true, hostPid: host });
    }
    expect(live.resolve(ns?.ns ?? 0, 2)).toEqual({ ok: false, reason: 'unknown-namespace' });
  });

  it('tells from its history who had pid 2 before the snapshot', () => {
    const { history, coverage } = openRecordedSource(file);

    expect(coverage.toMs).toBeGreaterThanOrEqual(takenBefore);
    expect(history.at(ns?.ns ?? 0, 2, takenBefore)).toMatchObject({ ok: true,
      hostPid: hosts.get(2) });
    expect(history.at(ns?.ns ?? 0, 2, coverage.toMs + 1)).toEqual({ ok: false,
      reason: 'after-record' });
  });
});

describe('hostpid snapshot from the command line', () => {
  it('writes JSON to stdout for --out -, and only the log to stderr', async () => {
    const result = await runCli(['snapshot', '--out', '-', '--log-format', 'json']);

    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout);
    expect(body).toMatchObject({ format: 'hostpid-snapshot', version: 1, procRoot: '/proc' });
    expect(body.processes.length).toBeGreaterThan(0);
    expect(body.processes.some((p: { pid: number }) => p.pid === process.pid)).toBe(true);
    expect(logLines(result.stderr).at(-1)).toMatchObject({ msg: 'snapshot written', out: '-' });
  });

  it.each([
    ['no --out', ['snapshot'], /Missing required argument: out/],
    ['a --proc that is not there', ['snapshot', '--out', '-', '--proc', '/nonexistent'],
      /cannot list \/nonexistent/],
    ['a directory that is not there', ['snapshot', '--out', '/nonexistent/dir/s.json'],
      /cannot write \/nonexistent\/dir\/s.json \(ENOENT\)/],
  ])('exits 2 for %s, with nothing on stdout', async (_name, args, message) => {
    const result = await runCli([...args, '--log-format', 'json']);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(logLines(result.stderr).at(-1)?.['msg']).toMatch(message);
  });

  it('exits 1 when the procfs has no boot time, and leaves no file', async () => {
    const fake = makeFakeProc([{ nsPid: [1], ppid: 0, ns: 4026531836 }]);
    const out = join(dir, 'no-btime.json');
    try {
      const result = await runCli(['snapshot', '--proc', fake.root, '--out', out,
        '--log-format', 'json']);

      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(logLines(result.stderr).at(-1)?.['msg']).toMatch(/stat.*boot time/);
      expect(existsSync(out)).toBe(false);
    } finally {
      fake.cleanup();
    }
  });

  it('snapshots a fake procfs given with --proc', async () => {
    const fake = makeFakeProc([{ nsPid: [1], ppid: 0, ns: 4026531836, comm: 'init' },
      { nsPid: [40, 1], ppid: 1, ns: 4026532010, comm: 'sh', startTime: 4_200 }]);
    writeFileSync(join(fake.root, 'stat'), 'btime 1700000000\n');
    const out = join(dir, 'fake.json');
    try {
      const result = await runCli(['snapshot', '--proc', fake.root, '--out', out]);
      const body = JSON.parse(readFileSync(out, 'utf8'));

      expect(result.code).toBe(0);
      expect(body.processes[1]).toMatchObject({ pid: 40, nsPid: [40, 1], comm: 'sh',
        started: '2023-11-14T22:14:02.000Z' });
      expect(readdirSync(dir).filter((name) => name.startsWith('.'))).toEqual([]);
    } finally {
      fake.cleanup();
    }
  });
});
