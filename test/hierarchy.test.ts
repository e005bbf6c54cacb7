import { describe, expect, it } from 'vitest';

import { runCli } from './helpers/cli.js';
import { fakeProcEach } from './helpers/defer.js';
import { type FakeProcess, INIT_NS } from './helpers/fakeproc.js';
import { buildHierarchy, formatTable, readHierarchy } from '../src/resolve/hierarchy.js';
import type { PartialProcess } from '../src/proc/read.js';
import {
  CONTAINER_ID,
  CONTAINER_STORY,
  INNER_NS,
  NS2,
  NS3,
  OUTER_NS,
  SEED_HIERARCHY,
  TRANSLATION,
} from './fixtures/hierarchy/seed.js';

const fake = fakeProcEach();

/** The processes as a reader without ptrace access sees them: no inodes. */
function unprivileged(processes: FakeProcess[]): PartialProcess[] {
  return processes.map((p) => ({ pid: p.nsPid[0] ?? 0, ppid: p.ppid, nsPid: p.nsPid,
    pidNs: undefined, startTime: 0, comm: p.comm ?? 'proc',
    nsDenied: { path: `/proc/${p.nsPid[0]}/ns/pid`, code: 'EACCES' } }));
}

/** The shared helper hands stdout over as latin1, byte for char. */
function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

const noProbe = { containerOf: () => undefined, cmdlineOf: () => undefined };

describe('the seed table, <init_PID> <parent_of_init_PID> <level>', () => {
  const cases = [
    { name: 'hierarchy example', processes: SEED_HIERARCHY,
      table: '200 1 1\n300 1 1\n400 300 2\n' },
    { name: 'container story', processes: CONTAINER_STORY,
      table: '14918 1 1\n16263 14918 2\n16581 1 1\n' },
    { name: 'translation table', processes: TRANSLATION, table: '3 1 1\n5 3 2\n' },
  ];

  for (const c of cases) {
    it(`${c.name}: hostpid tree --format table`, async () => {
      const run = await runCli(['tree', '--format', 'table', '--proc', fake(c.processes)]);

      expect(run.stderr).toBe('');
      expect(run.stdout).toBe(c.table);
      expect(run.code).toBe(0);
    });

    it(`${c.name}: the same from NSpid and PPid alone, without ns links`, () => {
      const hierarchy = buildHierarchy(unprivileged(c.processes), noProbe);

      expect(formatTable(hierarchy)).toBe(c.table);
      expect(hierarchy.below.every((ns) => ns.ns === undefined)).toBe(true);
      expect(hierarchy.denied.count).toBe(c.processes.length);
      expect(hierarchy.unplaced).toBe(0);
    });
  }

  it('is not a pipe by default: without a terminal, tree prints the table', async () => {
    const run = await runCli(['tree', '--proc', fake(SEED_HIERARCHY)]);

    expect(run.stdout).toBe('200 1 1\n300 1 1\n400 300 2\n');
  });
});

describe('namespaces, their inits and members', () => {
  it('counts processes per namespace and finds the inode of each', () => {
    const hierarchy = readHierarchy(fake(SEED_HIERARCHY));
    const byInit = new Map(hierarchy.below.map((ns) => [ns.initPid, ns]));

    expect(hierarchy.root).toMatchObject({ ns: INIT_NS, level: 0, initPid: 1, processes: 1 });
    expect(byInit.get(300)).toMatchObject({ ns: NS2, level: 1, processes: 2, initComm: 'init-b' });
    expect(byInit.get(400)).toMatchObject({ ns: NS3, level: 2, processes: 2 });
    expect(byInit.get(400)?.parent?.initPid).toBe(300);
    expect(hierarchy.root.children.map((ns) => ns.initPid)).toEqual([200, 300]);
  });

  it('says "?" for a parent it cannot prove, when the chain skips a level', () => {
    // 500 entered a level-2 namespace from the host (setns): no level-1 process is on its chain.
    const skipped: FakeProcess[] = [...SEED_HIERARCHY,
      { nsPid: [500, 7, 1], ppid: 1, ns: 4026532999, comm: 'setns' }];

    expect(formatTable(readHierarchy(fake(skipped))))
      .toBe('200 1 1\n300 1 1\n400 300 2\n500 ? 2\n');
  });

  it('leaves a process it cannot place uncounted, and says how many', () => {
    const stray: FakeProcess[] = [...SEED_HIERARCHY,
      { nsPid: [600, 9], ppid: 1, ns: 4026532998, comm: 'stray' }];
    const hierarchy = buildHierarchy(unprivileged(stray), noProbe);

    expect(hierarchy.unplaced).toBe(1);
    expect(formatTable(hierarchy)).toBe('200 1 1\n300 1 1\n400 300 2\n');
  });

  it('reads a procfs that is no procfs as a usage error', async () => {
    const run = await runCli(['tree', '--proc', '/nonexistent/proc']);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('cannot list processes in /nonexistent/proc');
  });
});

describe('tree and json formats', () => {
  it('draws the container story with inodes, inits, counts and the container', async () => {
    const run = await runCli(['tree', '--format', 'tree', '--proc', fake(CONTAINER_STORY)]);
    const short = CONTAINER_ID.slice(0, 12);

    expect(run.code).toBe(0);
    expect(utf8(run.stdout)).toBe([
      `pid:[${INIT_NS}]  level 0  init 1 (systemd)  2 processes`,
      `├── pid:[${OUTER_NS}]  level 1  init 14918 (dind)  2 processes  docker ${short}`,
      `│   └── pid:[${INNER_NS}]  level 2  init 16263 (sh)  3 processes`,
      '└── pid:[4026532390]  level 1  init 16581 (nginx)  1 process',
      '',
    ].join('\n'));
  });

  it('keeps a command line that holds newlines and escapes on one harmless line', async () => {
    const odd: FakeProcess[] = [{ nsPid: [1], ppid: 0, ns: INIT_NS, comm: 'init' },
      { nsPid: [50, 1], ppid: 1, ns: 4026532600, cmdline: 'sh -c \n\x1b[2Jecho\thi' }];
    const run = await runCli(['tree', '--format', 'tree', '--proc', fake(odd)]);

    expect(utf8(run.stdout).split('\n')[1]).toBe(
      '└── pid:[4026532600]  level 1  init 50 (sh -c ?[2Jecho hi)  1 process');
  });

  it('gives programs a flat list where each namespace names its parent', async () => {
    const run = await runCli(['tree', '--format', 'json', '--proc', fake(CONTAINER_STORY)]);
    const body = JSON.parse(run.stdout) as { namespaces: Array<Record<string, unknown>> };

    expect(run.code).toBe(0);
    expect(body.namespaces).toHaveLength(4);
    expect(body.namespaces[1]).toMatchObject({ ns: OUTER_NS, level: 1, initPid: 14918,
      parentNs: INIT_NS, parentInitPid: 1, processes: 2,
      container: { runtime: 'docker', id: CONTAINER_ID } });
    expect(body.namespaces[2]).toMatchObject({ ns: INNER_NS, level: 2, initPid: 16263,
      parentNs: OUTER_NS, parentInitPid: 14918, container: null });
  });
});
