import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { RESCAN_BURST, Resolver, VERIFY_EVERY_MS } from '../src/resolve/resolver.js';
import {
  CONTAINER_STORY,
  INNER_NS,
  OTHER_NS,
  OUTER_NS,
  T_NS1,
  T_NS2,
  TRANSLATION,
} from './fixtures/hierarchy/seed.js';
import { fakeProcEach } from './helpers/defer.js';
import { type FakeProcess, INIT_NS, writeProcess } from './helpers/fakeproc.js';

/*
 * The seed's examples (test/fixtures/hierarchy/seed.ts). Translation, PIDs in
 * init_pid_ns / ns1 / ns2: t1 = 2; t2 = 3 / 1; t3 = 4 / 3; t4 = 5 / 5 / 1;
 * t5 = 6 / 8 / 3. Container story: pid 3 of pid:[4026532388] is host 16268.
 */
const SEED = TRANSLATION;
const NS1 = T_NS1;
const NS2 = T_NS2;

const tree = fakeProcEach();

function hostPid(resolver: Resolver, ns: number, vpid: number) {
  const answer = resolver.resolve(ns, vpid);
  return answer.ok ? answer.hostPid : answer.reason;
}

describe('the seed translation table', () => {
  it.each([
    ['pid 3 in ns2 is host 6', NS2, 3, 6],
    ['pid 8 in ns1 is host 6', NS1, 8, 6],
    ['pid 5 in ns1 is host 5', NS1, 5, 5],
    ['pid 1 in ns2 is host 5', NS2, 1, 5],
    ['pid 1 in ns1 is host 3', NS1, 1, 3],
    ['pid 3 in ns1 is host 4', NS1, 3, 4],
    ['host 2 is host 2', INIT_NS, 2, 2],
    ['pid 8 is not in ns2', NS2, 8, 'not-found'],
    ['pid 4 is not in ns1', NS1, 4, 'not-found'],
  ])('%s', (_name, ns, vpid, expected) => {
    const resolver = new Resolver({ procRoot: tree(SEED) });

    expect(hostPid(resolver, ns, vpid)).toBe(expected);
  });

  it('says a namespace no process lives in is unknown', () => {
    const resolver = new Resolver({ procRoot: tree(SEED) });

    expect(hostPid(resolver, 4026599999, 1)).toBe('unknown-namespace');
    expect(resolver.knowsNamespace(NS2)).toBe(true);
  });
});

describe('the seed container story', () => {
  it('maps pid 3 of pid:[4026532388] to host 16268', () => {
    const resolver = new Resolver({ procRoot: tree(CONTAINER_STORY) });

    expect(INNER_NS).toBe(4026532388);
    expect(hostPid(resolver, INNER_NS, 3)).toBe(16268);
    expect(hostPid(resolver, OUTER_NS, 8)).toBe(16268);
    expect(hostPid(resolver, OTHER_NS, 3)).toBe('not-found');
  });
});

describe('ancestry when the PPid chain skips a level', () => {
  // 700 entered the level-2 namespace from the host (nsenter): its parent is
  // at level 0, so its own chain cannot tell which level-1 namespace holds it.
  const entered: FakeProcess = { nsPid: [700, 70, 7], ppid: 1, ns: NS2, comm: 'entered' };

  it('takes the level from another process of the same namespace', () => {
    const resolver = new Resolver({ procRoot: tree([...SEED, entered]) });

    expect(hostPid(resolver, NS1, 70)).toBe(700);
    expect(hostPid(resolver, NS2, 7)).toBe(700);
  });

  it('answers not-found, never a guess, when nothing tells', () => {
    const alone = { ...entered, ns: 4026532777 };
    const resolver = new Resolver({ procRoot: tree([...SEED, alone]) });

    expect(hostPid(resolver, NS1, 70)).toBe('not-found');
    expect(hostPid(resolver, 4026532777, 7)).toBe(700);
  });
});

describe('isolation between namespaces with the same PIDs', () => {
  const twins: FakeProcess[] = [
    { nsPid: [1], ppid: 0, ns: INIT_NS },
    { nsPid: [100, 1], ppid: 1, ns: 4026532501 },
    { nsPid: [101, 5], ppid: 100, ns: 4026532501 },
    { nsPid: [200, 1], ppid: 1, ns: 4026532502 },
    { nsPid: [201, 5], ppid: 200, ns: 4026532502 },
    { nsPid: [202, 9], ppid: 200, ns: 4026532502 },
  ];

  it('resolves each PID in its own namespace only', () => {
    const resolver = new Resolver({ procRoot: tree(twins) });

    expect(hostPid(resolver, 4026532501, 5)).toBe(101);
    expect(hostPid(resolver, 4026532502, 5)).toBe(201);
    expect(hostPid(resolver, 4026532501, 9)).toBe('not-found');
  });
});

describe('rescans', () => {
  it('finds a process that started after the first scan at once', () => {
    const root = tree(SEED);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now, minRescanMs: 250 });
    expect(hostPid(resolver, NS1, 9)).toBe('not-found');

    writeProcess(root, { nsPid: [7, 9], ppid: 3, ns: NS1 });
    now += 10;
    expect(hostPid(resolver, NS1, 9)).toBe(7);
    // The first scan, a rescan and a start-time check for the first miss, a rescan now.
    expect(resolver.stats.scans).toBe(4);
  });

  it('spends a small budget of rescans on a flood of unknown PIDs, then refills it', () => {
    let now = 0;
    const resolver = new Resolver({ procRoot: tree(SEED), now: () => now, minRescanMs: 250 });

    for (let vpid = 100; vpid < 1100; vpid++) hostPid(resolver, NS1, vpid);
    expect(resolver.stats.scans).toBe(1 + RESCAN_BURST + 1);
    expect(resolver.stats.misses).toBe(1000);

    now += 1000;
    for (let vpid = 100; vpid < 1100; vpid++) hostPid(resolver, NS1, vpid);
    expect(resolver.stats.scans).toBe(1 + 2 * RESCAN_BURST + 1);
  });

  it('finds a process whose host PID was reused between two scans', () => {
    const root = tree([...SEED, { nsPid: [50], ppid: 1, ns: INIT_NS, startTime: 150 }]);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now });
    expect(hostPid(resolver, NS1, 7)).toBe('not-found');

    rmSync(join(root, '50'), { recursive: true });
    writeProcess(root, { nsPid: [50, 7], ppid: 3, ns: NS1, startTime: 9999 });
    now += VERIFY_EVERY_MS;
    expect(hostPid(resolver, NS1, 7)).toBe(50);
  });

  it('checks no start time in a rescan without the last PID, and all of them in time', () => {
    // A procfs of another namespace has no ns_last_pid to read: checking
    // every start time on each rescan cost 57 ms a rescan on 5,000 processes.
    const root = tree([...SEED, { nsPid: [50], ppid: 1, ns: INIT_NS, startTime: 150 }]);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now });
    resolver.refresh();
    rmSync(join(root, '50'), { recursive: true });
    writeProcess(root, { nsPid: [50, 7], ppid: 3, ns: NS1, startTime: 9999 });

    now += 1;
    resolver.refresh();
    expect(resolver.table.get(50)?.info.nsPid).toEqual([50]);

    now += VERIFY_EVERY_MS;
    expect(hostPid(resolver, NS1, 7)).toBe(50);
    expect(resolver.table.get(50)?.info.nsPid).toEqual([50, 7]);
  });

  it('does not read /proc on a hit', () => {
    const root = tree(SEED);
    const resolver = new Resolver({ procRoot: root, now: () => 0 });
    expect(hostPid(resolver, NS2, 3)).toBe(6);

    rmSync(root, { recursive: true });
    expect(hostPid(resolver, NS2, 3)).toBe(6);
  });

  it('remembers an exited process for rememberMs, then forgets it', () => {
    const root = tree(SEED);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now, rememberMs: 5000 });
    expect(hostPid(resolver, NS2, 3)).toBe(6);

    rmSync(join(root, '6'), { recursive: true });
    now = 1000;
    resolver.refresh();
    expect(hostPid(resolver, NS2, 3)).toBe(6);

    now = 7000;
    resolver.refresh();
    expect(hostPid(resolver, NS2, 3)).toBe('not-found');
  });

  it('prefers a live process over an exited one that had the same PID', () => {
    const root = tree(SEED);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now });
    expect(hostPid(resolver, NS2, 3)).toBe(6);

    rmSync(join(root, '6'), { recursive: true });
    writeProcess(root, { nsPid: [9, 11, 3], ppid: 5, ns: NS2, startTime: 5000 });
    now = 1000;
    resolver.refresh();
    expect(hostPid(resolver, NS2, 3)).toBe(9);
    expect(hostPid(resolver, NS1, 8)).toBe(6);
  });

  it('fails clearly when the procfs root is not there', () => {
    const resolver = new Resolver({ procRoot: '/nonexistent/proc' });

    expect(() => resolver.refresh()).toThrow(/cannot list processes in \/nonexistent\/proc/);
  });
});
