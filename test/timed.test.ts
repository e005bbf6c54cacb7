import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { logLines, runCli } from './helpers/cli.js';
import { INIT_NS, makeFakeProc, writeBootTime } from './helpers/fakeproc.js';

/*
 * Lines that carry a time resolve to the process that had the PID then.
 * The fixture booted an hour ago; its processes started one second (100
 * ticks) plus their PID in ticks after boot. Pid 3 of the container
 * namespace went to a new process (host 16300) 30 minutes after boot.
 */
const NS = 4026532388;
const HOUR = 3600_000;
const boot = Math.floor((Date.now() - HOUR) / 1000);
const at = (msAfterBoot: number) => new Date(boot * 1000 + msAfterBoot).toISOString();
let proc: ReturnType<typeof makeFakeProc>;
let dir: string;

beforeAll(() => {
  proc = makeFakeProc([
    { nsPid: [1], ppid: 0, ns: INIT_NS },
    { nsPid: [16263, 1], ppid: 1, ns: NS },
    { nsPid: [16300, 3], ppid: 16263, ns: NS, startTime: 30 * 60 * 100 },
  ]);
  writeBootTime(proc.root, boot);
  dir = mkdtempSync(join(tmpdir(), 'hostpid-timed-'));
});
afterAll(() => {
  proc.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const cri = (time: string, message: string) => `${time} stdout F ${message}\n`;

describe('lines with a time, live', () => {
  it('never answers with a process that started after the line was written', async () => {
    const input = cri(at(10 * 60_000), 'app[3]: written before the current pid 3 started') +
      cri(at(45 * 60_000), 'app[3]: written after it started') +
      'app[3]: a line without a time\n';
    const result = await runCli(['--proc', proc.root, '--pidns', String(NS), '--input', 'cri'],
      input);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      cri(at(10 * 60_000), 'app[3]: written before the current pid 3 started hostpid=3:?') +
      cri(at(45 * 60_000), 'app[3]: written after it started hostpid=3:16300') +
      'app[3]: a line without a time hostpid=3:16300\n');
    expect(logLines(result.stderr).find((l) => l['msg'] === 'summary'))
      .toMatchObject({ resolved: 2, unresolved: { 'before-record': 1 } });
  });
});

describe('a time captured by a rule', () => {
  it('counts for raw lines, when it names its zone', async () => {
    const rules = join(dir, 'timed.yaml');
    writeFileSync(rules, 'rules:\n  - name: app\n' +
      '    pattern: "^(?<time>\\\\S+) app\\\\[(?<pid>\\\\d+)\\\\]"\n');
    const line = (time: string) => `${time} app[3]: hello\n`;
    const early = at(10 * 60_000);
    const late = at(45 * 60_000);
    const zoneless = early.replace('Z', '');

    const result = await runCli(['--proc', proc.root, '--pidns', String(NS), '--input', 'raw',
      '--rules', rules], line(early) + line(late) + line(zoneless));

    expect(result.stdout).toBe(`${early} app[3]: hello hostpid=3:?\n` +
      `${late} app[3]: hello hostpid=3:16300\n${zoneless} app[3]: hello hostpid=3:16300\n`);
  });
});

describe('--snapshot', () => {
  it('resolves an old log from a snapshot after the processes are gone', async () => {
    const snap = join(dir, 'snap.json');
    const taken = await runCli(['snapshot', '--proc', proc.root, '--out', snap]);
    expect(taken.code).toBe(0);

    const log = join(dir, 'old.log');
    const later = new Date(Date.now() + HOUR).toISOString();
    writeFileSync(log, cri(at(45 * 60_000), 'app[3]: before the snapshot') +
      cri(later, 'app[3]: after the snapshot') +
      cri(at(45 * 60_000), 'app[1]: init'));
    const result = await runCli(['--snapshot', snap, '--proc', '/nonexistent', '--pid', '16263',
      log]);

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      cri(at(45 * 60_000), 'app[3]: before the snapshot hostpid=3:16300') +
      cri(later, 'app[3]: after the snapshot hostpid=3:?') +
      cri(at(45 * 60_000), 'app[1]: init hostpid=1:16263'));
  });
});
