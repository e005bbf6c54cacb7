import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { Resolver } from '../src/resolve/resolver.js';
import { decide } from '../src/snapshot/history.js';
import { LiveHistory } from '../src/snapshot/live.js';
import { type FakeProcess, INIT_NS, makeFakeProc, writeProcess } from './helpers/fakeproc.js';

const BOOT_MS = 1_700_000_000_000;
const COVERAGE = { fromMs: 1_000, toMs: 2_000 };

describe('deciding from the latest process that started in time', () => {
  it.each([
    ['no candidate inside the coverage', undefined, 1_500, { ok: false, reason: 'not-found' }],
    ['no candidate before the coverage', undefined, 500, { ok: false, reason: 'before-record' }],
    ['any time after the coverage', { pid: 9, startedMs: 100 }, 2_001,
      { ok: false, reason: 'after-record' }],
    ['a process running since before the coverage', { pid: 9, startedMs: 100 }, 500,
      { ok: true, hostPid: 9, startedMs: 100 }],
    ['a process that started exactly then', { pid: 9, startedMs: 1_500 }, 1_500,
      { ok: true, hostPid: 9, startedMs: 1_500 }],
    ['a process that started a millisecond later', { pid: 9, startedMs: 1_501 }, 1_500,
      { ok: false, reason: 'not-found' }],
    ['a process that exited before then', { pid: 9, startedMs: 100, exitedMs: 1_400 }, 1_500,
      { ok: false, reason: 'not-found' }],
    ['a process that exited after then', { pid: 9, startedMs: 100, exitedMs: 1_600 }, 1_500,
      { ok: true, hostPid: 9, startedMs: 100, exitedMs: 1_600 }],
  ])('%s', (_name, candidate, timeMs, expected) => {
    expect(decide(candidate, timeMs, COVERAGE)).toEqual(expected);
  });
});

describe('history from what a live run has seen', () => {
  const APP_NS = 4026532501;
  const tree: FakeProcess[] = [
    { nsPid: [1], ppid: 0, ns: INIT_NS, startTime: 1 },
    { nsPid: [500, 1], ppid: 1, ns: APP_NS, startTime: 1_000 },
    { nsPid: [501, 7], ppid: 500, ns: APP_NS, startTime: 2_000 },
  ];
  let cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups) cleanup();
    cleanups = [];
  });

  function live() {
    const made = makeFakeProc(tree);
    cleanups.push(made.cleanup);
    writeFileSync(join(made.root, 'stat'), `btime ${BOOT_MS / 1000}\n`);
    const clock = { now: BOOT_MS + 30_000 };
    const resolver = new Resolver({ procRoot: made.root, now: () => clock.now, minRescanMs: 0 });
    const history = new LiveHistory(resolver, made.root, () => clock.now);
    return { root: made.root, clock, history };
  }

  it('answers with a running process for a time after its start', () => {
    const { history } = live();

    expect(history.at(APP_NS, 7, BOOT_MS + 25_000)).toEqual({ ok: true, hostPid: 501,
      startedMs: BOOT_MS + 20_000 });
    expect(history.at(APP_NS, 7, BOOT_MS + 19_990)).toEqual({ ok: false,
      reason: 'before-record' });
  });

  it('never answers with the newer process for a time before it took the PID', () => {
    const { root, clock, history } = live();
    expect(history.at(APP_NS, 7, clock.now)).toMatchObject({ ok: true, hostPid: 501 });

    rmSync(join(root, '501'), { recursive: true });
    clock.now += 1_000;
    writeProcess(root, { nsPid: [620, 7], ppid: 500, ns: APP_NS, startTime: 3_150 });
    clock.now += 1_000;

    expect(history.at(APP_NS, 7, BOOT_MS + 31_000)).toEqual({ ok: false, reason: 'not-found' });
    expect(history.at(APP_NS, 7, BOOT_MS + 31_499)).toEqual({ ok: false, reason: 'not-found' });
    expect(history.at(APP_NS, 7, BOOT_MS + 31_500)).toMatchObject({ ok: true, hostPid: 620 });
  });

  it('takes a time a little ahead of the clock as now', () => {
    const { clock, history } = live();

    expect(history.at(APP_NS, 7, clock.now + 500)).toMatchObject({ ok: true, hostPid: 501 });
  });
});
