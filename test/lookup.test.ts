import { Writable } from 'node:stream';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type LookupAnswer, runLookup } from '../src/run/lookup.js';
import { createLogger } from '../src/log.js';
import { runCli } from './helpers/cli.js';
import { INIT_NS, makeFakeProc } from './helpers/fakeproc.js';
import {
  CONTAINER_ID,
  CONTAINER_STORY,
  INNER_NS,
  OUTER_NS,
  T_NS1,
  T_NS2,
  TRANSLATION,
} from './fixtures/hierarchy/seed.js';

let story: ReturnType<typeof makeFakeProc>;
let table: ReturnType<typeof makeFakeProc>;
beforeAll(() => {
  story = makeFakeProc(CONTAINER_STORY);
  table = makeFakeProc(TRANSLATION);
});
afterAll(() => {
  story.cleanup();
  table.cleanup();
});

function sink(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

async function lookup(procRoot: string, id: number, target: { pidns?: string } = {}) {
  return runLookup({ id, host: Object.keys(target).length === 0, tid: false, format: 'text',
    procRoot, ...target, output: sink(), log: createLogger('silent') });
}

const NAMES: Record<number, string> = { [INIT_NS]: 'init_pid_ns', [T_NS1]: 'ns1', [T_NS2]: 'ns2' };
const NS_OF: Record<string, number> = { init_pid_ns: INIT_NS, ns1: T_NS1, ns2: T_NS2 };

/** The seed's table: each task's PID in init_pid_ns / ns1 / ns2. */
const TASKS = [
  { task: 't1', pids: [2] },
  { task: 't2', pids: [3, 1] },
  { task: 't3', pids: [4, 3] },
  { task: 't4', pids: [5, 5, 1] },
  { task: 't5', pids: [6, 8, 3] },
];

describe('every translation of the seed table, both directions', () => {
  for (const { task, pids } of TASKS) {
    const host = pids[0] as number;

    it(`${task}: host ${host} -> ${pids.join(' / ')}`, async () => {
      const answer = await lookup(table.root, host);
      const levels = answer.levels.map((l) => [l.pid, NAMES[l.ns ?? 0]]);

      expect(levels).toEqual(pids.map((pid, k) => [pid, ['init_pid_ns', 'ns1', 'ns2'][k]]));
    });

    for (const [k, vpid] of pids.entries()) {
      const ns = ['init_pid_ns', 'ns1', 'ns2'][k] as string;

      it(`${task}: pid ${vpid} in ${ns} -> host ${host}`, async () => {
        const answer: LookupAnswer = await lookup(table.root, vpid, { pidns: String(NS_OF[ns]) });

        expect(answer.hostPid).toBe(host);
        expect(answer.levels.map((l) => l.pid)).toEqual(pids);
      });
    }
  }

  it('keeps namespaces apart: pid 3 is host 4 in ns1 and host 6 in ns2', async () => {
    expect((await lookup(table.root, 3, { pidns: String(T_NS1) })).hostPid).toBe(4);
    expect((await lookup(table.root, 3, { pidns: String(T_NS2) })).hostPid).toBe(6);
  });
});

describe('hostpid lookup on the container story', () => {
  it('maps pid 3 of pid:[4026532388] to host 16268, with the chain of levels', async () => {
    const run = await runCli(['lookup', '3', '--pidns', `pid:[${INNER_NS}]`,
      '--proc', story.root]);
    const short = CONTAINER_ID.slice(0, 12);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe([
      `host pid 16268 (bad): pid 3 in pid:[${INNER_NS}]`,
      'LEVEL  PID    NAMESPACE         INIT   CONTAINER',
      `0      16268  pid:[${INIT_NS}]  1      -`,
      `1      8      pid:[${OUTER_NS}]  14918  docker ${short}`,
      `2      3      pid:[${INNER_NS}]  16263  -`,
      '',
    ].join('\n'));
  });

  it('finds the namespace from --pid of its init, as docker inspect gives it', async () => {
    const run = await runCli(['lookup', '3', '--pid', '16263', '--format', 'json',
      '--proc', story.root]);
    const answer = JSON.parse(run.stdout) as LookupAnswer;

    expect(run.code).toBe(0);
    expect(answer.hostPid).toBe(16268);
    expect(answer.target).toMatchObject({ ns: INNER_NS, pid: 3 });
    expect(answer.levels[1]).toEqual({ level: 1, pid: 8, ns: OUTER_NS, initPid: 14918,
      container: { runtime: 'docker', id: CONTAINER_ID } });
  });

  it('goes the other way with --host: 16268 is 8 and 3 further in', async () => {
    const run = await runCli(['lookup', '--host', '16268', '--proc', story.root]);

    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe('host pid 16268 (bad)');
    expect(run.stdout).toContain(`2      3      pid:[${INNER_NS}]  16263  -`);
  });

  it('maps a thread id through /proc/PID/task with --tid', async () => {
    const run = await runCli(['lookup', '4', '--tid', '--pidns', String(INNER_NS),
      '--proc', story.root]);

    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`host tid 16270 of pid 16268 (bad): tid 4 in ` +
      `pid:[${INNER_NS}]`);
    expect(run.stdout).toContain('1      9      pid:');
  });

  const failures = [
    { name: 'a PID the namespace does not have',
      args: ['lookup', '7', '--pidns', String(INNER_NS)],
      code: 1, message: `no pid 7 in pid:[${INNER_NS}]` },
    { name: 'a host PID that is not there', args: ['lookup', '--host', '99999'], code: 1,
      message: 'no process 99999' },
    { name: 'no target', args: ['lookup', '3'], code: 2, message: 'no target namespace' },
    { name: 'two targets', args: ['lookup', '3', '--pid', '16263', '--pidns', String(INNER_NS)],
      code: 2, message: 'give only one of' },
    { name: '--host with a target', args: ['lookup', '--host', '3', '--pid', '16263'], code: 2,
      message: '--host looks up a host PID' },
    { name: 'not a number', args: ['lookup', 'three', '--pid', '16263'], code: 2,
      message: 'give a PID' },
    { name: 'an unknown namespace', args: ['lookup', '3', '--pidns', '4026539999'], code: 2,
      message: 'no process lives in pid:[4026539999]' },
  ];

  for (const f of failures) {
    it(`answers ${f.name} in one line, exit ${f.code}`, async () => {
      const run = await runCli([...f.args, '--proc', story.root]);
      const lines = run.stderr.trim().split('\n');

      expect(run.code).toBe(f.code);
      expect(run.stdout).toBe('');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(f.message);
    });
  }
});
