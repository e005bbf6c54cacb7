import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { canUnshare, descendantsOf, nsOf, nsPidOf, type RunningNamespace, startNamespace,
  waitFor } from './helpers/ns.js';
import { HOSTPID_BIN, linesOf, logRecords, type Pairs, pidMapOf, runCli, splitSuffix,
  suffixFor, summaryOf, unresolvedTotal } from './helpers/real.js';

/*
 * Real pid namespaces, made with unshare(1) as root, and the built CLI run as
 * a user runs it. The outer namespace's init forks two sleepers and a nested
 * namespace with one more; each shell logs its own PIDs (getpid and $! as the
 * namespace sees them), outer on stdout, inner on stderr. Every host PID the
 * CLI prints must be the one /proc/PID/status NSpid shows.
 */
const SCRIPT = `
echo "myapp[$$]: outer init up"
sleep 1000 & echo "level=info msg=forked pid=$!"
sleep 1000 & echo "level=info msg=forked pid=$!"
unshare --pid --fork --kill-child sh -c '
  exec 1>&2
  echo "inner[$$]: nested init up"
  sleep 1000 & echo "level=info msg=forked pid=$!"
  echo "inner ready"
  wait' &
echo "outer ready"
wait
`;

/** PIDs the test knows each logged line names, by the shapes SCRIPT writes. */
function namedPids(line: string): number[] {
  const m = /\[(\d+)\]:|pid=(\d+)/.exec(line);
  return m === null ? [] : [Number(m[1] ?? m[2])];
}

/** Collects a stream's text until `marker` shows up in it. */
async function readUntil(stream: NodeJS.ReadableStream, marker: string): Promise<string> {
  let text = '';
  stream.on('data', (b: Buffer) => { text += b.toString('utf8'); });
  return waitFor(() => (text.includes(marker) ? text : undefined), `"${marker}" in the log`);
}

const LEVEL_ERROR = 50;

describe.skipIf(!canUnshare)('real pid namespaces, nested', () => {
  let outer: RunningNamespace;
  let outerLog: string;
  let innerLog: string;
  let innerInit: number;

  beforeAll(async () => {
    if (!existsSync(join(dirname(HOSTPID_BIN), '..', 'dist', 'cli.js'))) {
      throw new Error(`run npm run build first: ${HOSTPID_BIN} needs dist/`);
    }

    outer = await startNamespace(SCRIPT);
    [outerLog, innerLog] = await Promise.all([
      readUntil(outer.child.stdout as NodeJS.ReadableStream, 'outer ready\n'),
      readUntil(outer.child.stderr as NodeJS.ReadableStream, 'inner ready\n'),
    ]);
    innerInit = await waitFor(() => descendantsOf(outer.initPid)
      .find((pid) => nsPidOf(pid).length === nsPidOf(outer.initPid).length + 1
        && nsPidOf(pid).at(-1) === 1), 'the nested init');
  });

  afterAll(async () => {
    await outer?.stop();
  });

  it('gives each PID the outer namespace logged the host PID NSpid shows', async () => {
    const map = pidMapOf(outer.initPid);
    const run = await runCli(['--pid', String(outer.initPid)], Buffer.from(outerLog));

    expect(run.code).toBe(0);
    const expected = linesOf(outerLog).map((l) => l + suffixFor(namedPids(l), map));
    expect(linesOf(run.stdout.toString('utf8'))).toEqual(expected);
    expect(map.get(1)).toBe(outer.initPid);
    const first = `myapp[1]: outer init up hostpid=1:${outer.initPid}\n`;
    expect(run.stdout.toString('utf8')).toContain(first);
  });

  it('gives each PID the nested namespace logged its host PID', async () => {
    const map = pidMapOf(innerInit);
    const run = await runCli(['--pid', String(innerInit)], Buffer.from(innerLog));

    expect(run.code).toBe(0);
    const got = linesOf(run.stdout.toString('utf8'));
    expect(got).toEqual(linesOf(innerLog).map((l) => l + suffixFor(namedPids(l), map)));
    expect(got[0]).toBe(`inner[1]: nested init up hostpid=1:${innerInit}`);
    for (const [vpid, host] of got.flatMap((l) => splitSuffix(l).pairs)) {
      expect(nsPidOf(host as number).at(-1)).toBe(vpid);
    }
  });

  it('resolves an outer-namespace line that names a process of the nested one', async () => {
    const innerProcs = [innerInit, ...descendantsOf(innerInit)];
    const outerLevel = nsPidOf(outer.initPid).length - 1;
    const lines = innerProcs.map((host) =>
      `level=info msg="nested worker" pid=${nsPidOf(host)[outerLevel]}\n`);
    const run = await runCli(['--pid', String(outer.initPid)], Buffer.from(lines.join('')));

    expect(run.code).toBe(0);
    const pairs = linesOf(run.stdout.toString('utf8')).map((l) => splitSuffix(l).pairs);
    expect(pairs).toEqual(innerProcs.map((host) => [[nsPidOf(host)[outerLevel], host]]));
  });

  it('takes --pid of any process in the namespace, not only its init', async () => {
    const sleeper = descendantsOf(outer.initPid).find((pid) => nsOf(pid) === outer.ns);
    const line = Buffer.from('myapp[1]: from a sleeper\n');
    const run = await runCli(['--pid', String(sleeper)], line);

    expect(run.code).toBe(0);
    const want = `myapp[1]: from a sleeper hostpid=1:${outer.initPid}\n`;
    expect(run.stdout.toString('utf8')).toBe(want);
  });

  it.each([
    ['a bare inode', (ns: number) => String(ns)],
    ['the pid:[INODE] link form', (ns: number) => `pid:[${ns}]`],
  ])('takes --pidns as %s', async (_name, form) => {
    const innerNs = nsOf(innerInit);
    const run = await runCli(['--pidns', form(innerNs)], Buffer.from('inner[1]: hello\n'));

    expect(run.code).toBe(0);
    expect(run.stdout.toString('utf8')).toBe(`inner[1]: hello hostpid=1:${innerInit}\n`);
    expect(logRecords(run.stderr).filter((r) => r.level >= LEVEL_ERROR)).toEqual([]);
  });

  it('exits 2 with one line for a --pidns where no process lives', async () => {
    const run = await runCli(['--pidns', '4026999999'], Buffer.from('myapp[1]: x\n'));

    expect(run.code).toBe(2);
    expect(run.stdout.length).toBe(0);
    expect(logRecords(run.stderr).map((r) => r.msg).join('\n')).toContain('4026999999');
  });

  it('exits 2 and names the three ways when no target is given', async () => {
    const run = await runCli([], Buffer.from('myapp[1]: x\n'));

    expect(run.code).toBe(2);
    expect(run.stdout.length).toBe(0);
    const [message] = logRecords(run.stderr).map((r) => r.msg);
    expect(message).toMatch(/--container/);
    expect(message).toMatch(/--pid\b/);
    expect(message).toMatch(/--pidns/);
  });
});

describe.skipIf(!canUnshare)('real pid namespace, every shipped log shape', () => {
  let ns: RunningNamespace;
  let workers: number[];

  beforeAll(async () => {
    ns = await startNamespace('sleep 1000 & sleep 1000 & echo "$!"; wait');
    const text = await readUntil(ns.child.stdout as NodeJS.ReadableStream, '\n');
    const second = Number(text.trim());
    workers = [second - 1, second];
    await waitFor(() => (pidMapOf(ns.initPid).size === 3 ? true : undefined), 'two sleepers');
  });

  afterAll(async () => {
    await ns?.stop();
  });

  /** Lines as the software writes them, with the PIDs and TIDs each one names. */
  const cases = (a: number, b: number): Array<[string, string, number[], number[]]> => [
    ['syslog', `<30>Dec  3 19:00:00 web-7f9c myapp[${a}]: cache warmed in 812 ms`, [a], []],
    ['node warning', `(node:${a}) MaxListenersExceededWarning: possible leak`, [a], []],
    ['redis prefix and by pid',
      `1:M 03 Dec 2026 19:00:00.123 * Background saving started by pid ${b}`, [1, b], []],
    ['redis child', `${b}:C 03 Dec 2026 19:00:01.210 * DB saved on disk`, [b], []],
    ['nginx worker start', `2026/12/03 19:00:00 [notice] 1#1: start worker process ${a}`,
      [1, a], [1]],
    ['nginx worker line', `2026/12/03 19:00:07 [error] ${b}#${b}: *4 connect() failed`,
      [b], [b]],
    ['logfmt', `level=info msg="worker ready" pid=${a}`, [a], []],
    ['postgres', `2026-12-03 19:00:00.123 UTC [${b}] LOG:  checkpoint starting: time`, [b], []],
    ['gunicorn', `[2026-12-03 19:00:00 +0000] [1] [INFO] Booting worker with pid: ${a}`,
      [1, a], []],
    ['supervisord', `2026-12-03 19:00:01,234 INFO spawned: 'web' with pid ${b}`, [b], []],
    ['one PID twice', '1:M 03 Dec 2026 19:00:00.123 * Background saving started by pid 1',
      [1], []],
    ['an unknown PID', 'myapp[31999]: no such process in the namespace', [31999], []],
    ['no PID at all', 'plain text with 1 and 2 in it', [], []],
  ];

  const sorted = (pairs: Pairs) => [...pairs].sort((x, y) => x[0] - y[0]);
  const mapped = (values: number[], map: Map<number, number>): Pairs =>
    sorted(values.map((v) => [v, map.get(v)]));

  it('annotates each shape with exactly the host PIDs /proc shows', async () => {
    const map = pidMapOf(ns.initPid);
    const [a = 0, b = 0] = workers;
    const table = cases(a, b);
    const input = table.map(([, line]) => `${line}\n`).join('');
    const run = await runCli(['--pid', String(ns.initPid)], Buffer.from(input));

    expect(run.code).toBe(0);
    const got = linesOf(run.stdout.toString('utf8')).map(splitSuffix);
    expect(table.map(([name], i) =>
      [name, got[i]?.text, sorted(got[i]?.pairs ?? []), sorted(got[i]?.tids ?? [])]))
      .toEqual(table.map(([name, line, pids, tids]) =>
        [name, line, mapped(pids, map), mapped(tids, map)]));
    for (const host of map.values()) expect(map.get(nsPidOf(host).at(-1) ?? 0)).toBe(host);
  });

  it('lists the pairs in the order the PIDs stand in the line', async () => {
    const map = pidMapOf(ns.initPid);
    const [a = 0, b = 0] = workers;
    const table = cases(a, b).filter(([, , pids]) => pids.length > 1);
    const input = table.map(([, line]) => `${line}\n`).join('');
    const run = await runCli(['--pid', String(ns.initPid)], Buffer.from(input));

    expect(run.code).toBe(0);
    const got = linesOf(run.stdout.toString('utf8'));
    expect(table.map(([name], i) => [name, got[i]])).toEqual(
      table.map(([name, line, pids, tids]) => [name, line + suffixFor(pids, map, tids)]));
  });

  it('adds a "hostpid" member to a JSON line', async () => {
    const [a = 0] = workers;
    const host = pidMapOf(ns.initPid).get(a);
    const line = `{"level":30,"time":1764788400000,"pid":${a},"msg":"ok"}\n`;
    const run = await runCli(['--pid', String(ns.initPid)], Buffer.from(line));

    expect(run.code).toBe(0);
    const out = run.stdout.toString('utf8');
    const member = `"hostpid":{"${a}":${host}}`;
    expect(out).toBe(`{"level":30,"time":1764788400000,"pid":${a},"msg":"ok",${member}}\n`);
    expect(JSON.parse(out)).toMatchObject({ pid: a, hostpid: { [a]: host } });
  });

  it('writes ? for an unknown PID and counts the run in the summary', async () => {
    const [a = 0, b = 0] = workers;
    const table = cases(a, b);
    const input = table.map(([, line]) => `${line}\n`).join('');
    const run = await runCli(['--pid', String(ns.initPid)], Buffer.from(input));

    expect(run.code).toBe(0);
    expect(run.stdout.toString('utf8'))
      .toContain('myapp[31999]: no such process in the namespace hostpid=31999:?\n');
    const summary = summaryOf(run.stderr);
    const pidCount = table.reduce((n, [, , pids]) => n + pids.length, 0);
    expect(summary).toMatchObject({ lines: table.length, linesWithPids: table.length - 1,
      pids: pidCount, resolved: pidCount - 1 });
    expect(unresolvedTotal(summary)).toBe(1);
  });

  it('counts a PID absent from a fully readable namespace as not-found', async () => {
    const run = await runCli(['--pid', String(ns.initPid)],
      Buffer.from('myapp[31999]: no such process\n'));

    expect(run.code).toBe(0);
    expect(summaryOf(run.stderr).unresolved).toMatchObject({ 'not-found': 1, unreadable: 0 });
  });
});
