import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import pino from 'pino';
import { describe, expect, it } from 'vitest';

import { runSnapshot } from '../src/run/snapshot.js';
import { parseBtime, readBootTime, wallClockMs } from '../src/proc/boottime.js';
import { buildHierarchy, formatTable } from '../src/resolve/hierarchy.js';
import { Resolver } from '../src/resolve/resolver.js';
import { snapshotJson } from '../src/snapshot/json.js';
import { openRecordedSource } from '../src/snapshot/source.js';
import { takeSnapshot } from '../src/snapshot/take.js';
import { deferEach, fakeProcEach } from './helpers/defer.js';
import { type FakeProcess, INIT_NS, makeFakeProc } from './helpers/fakeproc.js';

const BTIME = 1_700_000_000;
const BOOT_MS = BTIME * 1000;
const DOCKER_ID = 'a'.repeat(64);

/** The seed's container story: pid 3 in pid:[4026532388] is host 16268. */
const STORY_NS = 4026532388;
const OUTER_NS = 4026532300;
const STORY: FakeProcess[] = [
  { nsPid: [1], ppid: 0, ns: INIT_NS, comm: 'systemd', startTime: 5 },
  { nsPid: [14918, 1], ppid: 1, ns: OUTER_NS, comm: 'outer-init', startTime: 50_000 },
  { nsPid: [16263, 6, 1], ppid: 14918, ns: STORY_NS, comm: 'inner-init', startTime: 60_000,
    cgroup: `0::/system.slice/docker-${DOCKER_ID}.scope\n` },
  { nsPid: [16268, 8, 3], ppid: 16263, ns: STORY_NS, comm: 'app', startTime: 61_000,
    cgroup: `0::/system.slice/docker-${DOCKER_ID}.scope\n` },
  { nsPid: [16581, 1], ppid: 1, ns: 4026532400, comm: 'other-init', startTime: 70_000 },
];

const silent = pino({ level: 'silent' });
const defer = deferEach();
/** Fake procfs trees with a PROCROOT/stat that names the boot time. */
const fakeProc = fakeProcEach(BTIME);

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hostpid-snap-'));
  defer(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function snapshotOf(processes: FakeProcess[], takenAtMs: number): string {
  const file = join(tempDir(), 'snap.json');
  const snapshot = takeSnapshot(fakeProc(processes), () => takenAtMs);
  writeFileSync(file, snapshotJson(snapshot));
  return file;
}

describe('boot time', () => {
  it.each([
    ['a btime line among others', 'cpu 1\nbtime 1700000000\nctxt 5\n', 1_700_000_000],
    ['no btime line', 'cpu 1\n', undefined],
    ['a btime that is not a number', 'btime soon\n', undefined],
  ])('parses %s', (_name, text, expected) => {
    expect(parseBtime(text)).toBe(expected);
  });

  it('takes whole seconds from btime when there is no uptime', () => {
    expect(readBootTime(fakeProc([]))).toEqual({ ms: BOOT_MS, from: 'btime' });
  });

  it('narrows btime with uptime, erring early, when the two agree', () => {
    const root = fakeProc([]);
    writeFileSync(join(root, 'uptime'), '100.25 80.00\n');

    expect(readBootTime(root, BOOT_MS + 100_250 + 700)).toEqual({ ms: BOOT_MS + 690,
      from: 'uptime' });
    expect(readBootTime(root, BOOT_MS + 900_000).from).toBe('btime');
  });

  it('says why when the procfs has no stat file', () => {
    const made = makeFakeProc([]);
    defer(made.cleanup);

    expect(() => readBootTime(made.root)).toThrow(/stat.*boot time/);
  });

  it('turns ticks of 10 ms into wall-clock milliseconds', () => {
    expect(wallClockMs(BOOT_MS, 61_000)).toBe(BOOT_MS + 610_000);
  });
});

describe('a snapshot of the seed container story', () => {
  const takenAtMs = BOOT_MS + 1_000_000;

  it('writes every process with its start, command and container', () => {
    const body = JSON.parse(readFileSync(snapshotOf(STORY, takenAtMs), 'utf8'));

    expect(body).toMatchObject({ format: 'hostpid-snapshot', version: 1, takenAtMs,
      takenAt: new Date(takenAtMs).toISOString(), bootTimeMs: BOOT_MS, unreadable: 0 });
    expect(body.processes).toHaveLength(STORY.length);
    expect(body.processes[3]).toEqual({ pid: 16268, ppid: 16263, nsPid: [16268, 8, 3],
      pidNs: STORY_NS, startTime: 61_000, started: new Date(BOOT_MS + 610_000).toISOString(),
      comm: 'app', container: { runtime: 'docker', id: DOCKER_ID } });
  });

  it('resolves pid 3 of pid:[4026532388] to host 16268 through a Resolver', () => {
    const source = openRecordedSource(snapshotOf(STORY, takenAtMs));
    const resolver = new Resolver({ source });

    expect(source.kind).toBe('snapshot');
    expect(resolver.resolve(STORY_NS, 3)).toMatchObject({ ok: true, hostPid: 16268 });
    expect(resolver.resolve(OUTER_NS, 8)).toMatchObject({ ok: true, hostPid: 16268 });
    expect(resolver.resolve(STORY_NS, 4)).toEqual({ ok: false, reason: 'not-found' });
    expect(resolver.resolve(4026599999, 3)).toEqual({ ok: false, reason: 'unknown-namespace' });
    expect(source.containerNamespace(DOCKER_ID.slice(0, 12))).toBe(STORY_NS);
    expect(source.containerOf(16268)).toEqual({ runtime: 'docker', id: DOCKER_ID });
  });

  it.each([
    ['while it ran', BOOT_MS + 700_000, { ok: true, hostPid: 16268,
      startedMs: BOOT_MS + 610_000 }],
    ['at the instant of the snapshot', takenAtMs, { ok: true, hostPid: 16268 }],
    ['before it started', BOOT_MS + 600_000, { ok: false, reason: 'before-record' }],
    ['after the snapshot', takenAtMs + 1, { ok: false, reason: 'after-record' }],
  ])('answers history for a time %s', (_name, timeMs, expected) => {
    const source = openRecordedSource(snapshotOf(STORY, takenAtMs));

    expect(source.history.at(STORY_NS, 3, timeMs)).toMatchObject(expected);
  });

  it('gives tree its hierarchy: the seed table and the container of each init', () => {
    const source = openRecordedSource(snapshotOf(STORY, takenAtMs));
    const hierarchy = buildHierarchy(source.processes(), {
      containerOf: (pid) => source.containerOf(pid),
      cmdlineOf: () => undefined,
    });

    expect(formatTable(hierarchy)).toBe('14918 1 1\n16263 14918 2\n16581 1 1\n');
    expect(hierarchy.below[1]?.container).toEqual({ runtime: 'docker', id: DOCKER_ID });
  });

  it('answers history in every namespace that holds the process', () => {
    const { history } = openRecordedSource(snapshotOf(STORY, takenAtMs));
    const at = BOOT_MS + 700_000;

    expect(history.at(OUTER_NS, 8, at)).toMatchObject({ ok: true, hostPid: 16268 });
    expect(history.at(INIT_NS, 16268, at)).toMatchObject({ ok: true, hostPid: 16268 });
    expect(history.at(STORY_NS, 8, at)).toEqual({ ok: false, reason: 'before-record' });
    expect(history.at(STORY_NS, 8, takenAtMs)).toEqual({ ok: false, reason: 'not-found' });
  });
});

describe('the snapshot command in-process', () => {
  it('writes the file whole and leaves no temporary file beside it', () => {
    const dir = tempDir();
    const out = join(dir, 'snap.json');
    writeFileSync(out, 'an older snapshot');
    const stdout = new PassThrough();

    const taken = runSnapshot({ procRoot: fakeProc(STORY), out, output: stdout, log: silent });

    expect(taken.processes).toHaveLength(STORY.length);
    expect(JSON.parse(readFileSync(out, 'utf8')).processes).toHaveLength(STORY.length);
    expect(readdirSync(dir)).toEqual(['snap.json']);
    expect(stdout.read()).toBeNull();
  });

  it('writes to the output stream for --out -', () => {
    const stdout = new PassThrough();

    runSnapshot({ procRoot: fakeProc(STORY), out: '-', output: stdout, log: silent });

    expect(JSON.parse(String(stdout.read())).processes).toHaveLength(STORY.length);
  });

  it('is a usage error to write into a directory that is not there', () => {
    const out = join(tempDir(), 'missing', 'snap.json');

    expect(() => runSnapshot({ procRoot: fakeProc(STORY), out, output: new PassThrough(),
      log: silent })).toThrow(expect.objectContaining({ usage: true }));
  });
});

describe('reading files that are not snapshots', () => {
  it.each([
    ['not JSON', 'hello\n', /not a hostpid snapshot \(not JSON\)/],
    ['another JSON document', '{"a":1}\n', /not a hostpid snapshot \(no format\)/],
    ['a newer version', '{"format":"hostpid-snapshot","version":9}', /version 9/],
    ['a process without nsPid', JSON.stringify({ format: 'hostpid-snapshot', version: 1,
      takenAtMs: 1, bootTimeMs: 1, processes: [{ pid: 1 }] }), /process 0 lacks/],
    ['an empty file', '', /not JSON/],
  ])('refuses %s as a usage error', (_name, text, message) => {
    const file = join(tempDir(), 'file');
    writeFileSync(file, text);

    expect(() => openRecordedSource(file)).toThrow(message);
    expect(() => openRecordedSource(file)).toThrow(expect.objectContaining({ usage: true }));
  });

  it('refuses a file that is not there as a usage error', () => {
    expect(() => openRecordedSource(join(tempDir(), 'nothing'))).toThrow(
      expect.objectContaining({ usage: true, message: expect.stringMatching(/ENOENT/) }));
  });
});
