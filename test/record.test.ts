import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';

import { runRecord } from '../src/run/record.js';
import { Resolver } from '../src/resolve/resolver.js';
import { AT_QUERY } from '../src/snapshot/db.js';
import { Recorder, record } from '../src/snapshot/recorder.js';
import { openRecordedSource, type RecordedSource } from '../src/snapshot/source.js';
import { deferEach, fakeProcEach } from './helpers/defer.js';
import { type FakeProcess, INIT_NS, writeProcess } from './helpers/fakeproc.js';

const BTIME = 1_700_000_000;
const BOOT_MS = BTIME * 1000;
/** Milliseconds since boot as a wall-clock time, and as start ticks. */
const at = (sinceBootMs: number) => BOOT_MS + sinceBootMs;
const ticks = (sinceBootMs: number) => sinceBootMs / 10;

const APP_NS = 4026532501;
const OUTER_NS = 4026532300;
const STORY_NS = 4026532388;

/**
 * Host 501 is pid 7 of APP_NS from 900 s after boot; it exits between the
 * scans at 1010 s and 1020 s. Host 620 starts at 1025 s and is given pid 7
 * too. The record runs from 1000 s to 1040 s.
 */
const BASE: FakeProcess[] = [
  { nsPid: [1], ppid: 0, ns: INIT_NS, comm: 'systemd', startTime: 1 },
  { nsPid: [500, 1], ppid: 1, ns: APP_NS, comm: 'app-init', startTime: ticks(800_000) },
];
const FIRST: FakeProcess = { nsPid: [501, 7], ppid: 500, ns: APP_NS, comm: 'worker',
  startTime: ticks(900_000) };
const SECOND: FakeProcess = { nsPid: [620, 7], ppid: 500, ns: APP_NS, comm: 'worker',
  startTime: ticks(1_025_000) };
/** The seed's story, nested two levels deep, started after the record began. */
const NESTED: FakeProcess[] = [
  { nsPid: [14918, 1], ppid: 1, ns: OUTER_NS, comm: 'outer-init', startTime: ticks(1_001_000) },
  { nsPid: [16263, 6, 1], ppid: 14918, ns: STORY_NS, comm: 'inner-init',
    startTime: ticks(1_002_000) },
  { nsPid: [16268, 8, 3], ppid: 16263, ns: STORY_NS, comm: 'app', startTime: ticks(1_003_000) },
];

const silent = pino({ level: 'silent' });
const defer = deferEach();
const fakeProc = fakeProcEach(BTIME);

function tempFile(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hostpid-rec-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, name);
}

function open(file: string): RecordedSource {
  const source = openRecordedSource(file);
  defer(() => source.close());
  return source;
}

/** Runs the story above through a Recorder with a clock the test moves. */
function recordStory(): string {
  const root = fakeProc([...BASE, FIRST]);
  const out = tempFile('story.db');
  let now = at(1_000_000);
  const recorder = new Recorder({ procRoot: root, out, intervalMs: 10_000, log: silent,
    now: () => now });

  now = at(1_010_000);
  for (const p of NESTED) writeProcess(root, p);
  recorder.scan();
  rmSync(join(root, '501'), { recursive: true });
  now = at(1_020_000);
  recorder.scan();
  writeProcess(root, SECOND);
  now = at(1_030_000);
  recorder.scan();
  now = at(1_040_000);
  recorder.scan();
  recorder.close();

  expect(recorder.stats).toEqual({ scans: 5, processes: 7, exited: 1 });
  return out;
}

describe('a record where pid 7 exits and is given to another process', () => {
  it.each([
    ['before the first worker started', 850_000, { ok: false, reason: 'before-record' }],
    ['before the record, the first worker already running', 950_000,
      { ok: true, hostPid: 501, startedMs: at(900_000), exitedMs: at(1_020_000) }],
    ['while the first worker ran', 1_005_000, { ok: true, hostPid: 501 }],
    ['after the exit was seen, before the second started', 1_022_000,
      { ok: false, reason: 'not-found' }],
    ['a millisecond before the second started', 1_024_999, { ok: false, reason: 'not-found' }],
    ['when the second started', 1_025_000, { ok: true, hostPid: 620, startedMs: at(1_025_000) }],
    ['at the end of the record', 1_040_000, { ok: true, hostPid: 620 }],
    ['after the end of the record', 1_040_001, { ok: false, reason: 'after-record' }],
  ])('answers for a time %s', (_name, sinceBoot, expected) => {
    const { history } = open(recordStory());

    expect(history.at(APP_NS, 7, at(sinceBoot))).toEqual(
      expected.ok ? expect.objectContaining(expected) : expected);
  });

  it('never answers with a process that started after the time asked about', () => {
    const { history } = open(recordStory());

    for (let t = 1_000_000; t <= 1_040_000; t += 500) {
      const answer = history.at(APP_NS, 7, at(t));
      if (answer.ok) expect(answer.startedMs).toBeLessThanOrEqual(at(t));
      if (t < 1_025_000) expect(answer).not.toMatchObject({ hostPid: 620 });
    }
  });

  it('answers for host PIDs in the host namespace too', () => {
    const { history } = open(recordStory());

    expect(history.at(INIT_NS, 501, at(1_005_000))).toMatchObject({ ok: true, hostPid: 501 });
    expect(history.at(INIT_NS, 620, at(1_005_000))).toEqual({ ok: false, reason: 'not-found' });
  });

  it('keeps a row at every level of a nested namespace', () => {
    const { history } = open(recordStory());

    expect(history.at(STORY_NS, 3, at(1_030_000))).toMatchObject({ ok: true, hostPid: 16268 });
    expect(history.at(OUTER_NS, 8, at(1_030_000))).toMatchObject({ ok: true, hostPid: 16268 });
    expect(history.at(OUTER_NS, 6, at(1_030_000))).toMatchObject({ ok: true, hostPid: 16263 });
  });

  it('gives a Resolver the processes alive at the end, exited ones through history', () => {
    const source = open(recordStory());
    const resolver = new Resolver({ source });

    expect(source.kind).toBe('record');
    expect(source.coverage).toEqual({ fromMs: at(1_000_000), toMs: at(1_040_000) });
    expect(resolver.resolve(APP_NS, 7)).toMatchObject({ ok: true, hostPid: 620 });
    expect(resolver.resolve(STORY_NS, 3)).toMatchObject({ ok: true, hostPid: 16268 });
    expect(source.processes().map((p) => p.pid).sort((a, b) => a - b))
      .toEqual([1, 500, 620, 14918, 16263, 16268]);
    expect(source.allProcesses()).toHaveLength(7);
    expect(source.allProcesses().find((p) => p.pid === 501)?.exitedMs).toBe(at(1_020_000));
  });

  it('answers with one seek on the (ns, vpid, started) key', () => {
    const db = new Database(recordStory(), { readonly: true });
    defer(() => db.close());

    const plan = db.prepare(`EXPLAIN QUERY PLAN ${AT_QUERY}`).all(APP_NS, 7, at(1_030_000)) as
      Array<{ detail: string }>;

    expect(plan.map((row) => row.detail)).toEqual([
      expect.stringMatching(/SEARCH n USING PRIMARY KEY \(ns=\? AND vpid=\? AND started_ms<\?\)/),
      expect.stringMatching(/SEARCH p USING INTEGER PRIMARY KEY \(rowid=\?\)/),
    ]);
  });
});

describe('the recorder', () => {
  it('stores a process once however many scans see it', () => {
    const root = fakeProc([...BASE, FIRST]);
    const out = tempFile('quiet.db');
    let now = at(1_000_000);
    const recorder = new Recorder({ procRoot: root, out, intervalMs: 100, log: silent,
      now: () => now });

    for (let i = 0; i < 300; i++) {
      now += 100;
      recorder.scan();
    }
    recorder.close();

    expect(recorder.stats).toMatchObject({ scans: 301, processes: 3, exited: 0 });
    expect(statSync(out).size).toBeLessThan(64 * 1024);
    expect(open(out).allProcesses()).toHaveLength(3);
    expect(open(out).coverage.toMs).toBe(now);
  });

  it('refuses to touch an existing file', () => {
    const out = tempFile('taken.db');
    writeFileSync(out, 'somebody else\'s');

    expect(() => new Recorder({ procRoot: fakeProc(BASE), out, intervalMs: 100, log: silent }))
      .toThrow(expect.objectContaining({ usage: true, message: expect.stringMatching(/exists/) }));
  });

  it('scans until aborted, then once more, and closes the file checkpointed', async () => {
    const out = tempFile('loop.db');
    const controller = new AbortController();
    let abortedAt = Number.POSITIVE_INFINITY;
    setTimeout(() => {
      abortedAt = Date.now();
      controller.abort();
    }, 120);

    const stats = await record({ procRoot: fakeProc(BASE), out, intervalMs: 20, log: silent },
      controller.signal);

    expect(stats.scans).toBeGreaterThanOrEqual(2);
    expect(stats.processes).toBe(2);
    expect(open(out).coverage.toMs).toBeGreaterThanOrEqual(abortedAt);
    expect(readdirSync(join(out, '..'))).toEqual(['loop.db']);
  });

  it.each([
    ['an interval of 0', { intervalMs: 0 }, /--interval/],
    ['a fractional interval', { intervalMs: 2.5 }, /--interval/],
    ['stdout for a database', { out: '-' }, /SQLite file/],
    ['a procfs that is not there', { procRoot: '/nonexistent/proc' }, /--proc/],
  ])('refuses %s as a usage error', async (_name, change, message) => {
    const options = { procRoot: fakeProc(BASE), out: tempFile('x.db'), intervalMs: 100,
      log: silent, signal: AbortSignal.abort(), ...change };

    await expect(runRecord(options)).rejects.toThrow(message);
    await expect(runRecord(options)).rejects.toMatchObject({ usage: true });
  });
});

describe('opening a record', () => {
  it('refuses an SQLite file that is not a record as a usage error', () => {
    const file = tempFile('other.db');
    const db = new Database(file);
    db.exec('CREATE TABLE t (x)');
    db.close();

    expect(() => openRecordedSource(file)).toThrow(
      expect.objectContaining({ usage: true, message: expect.stringMatching(/not a hostpid/) }));
  });
});
