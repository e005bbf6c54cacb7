import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { runCli } from './helpers/cli.js';
import { makeFakeProc } from './helpers/fakeproc.js';
import { CONTAINER_ID, CONTAINER_STORY, INNER_NS, OUTER_NS } from './fixtures/hierarchy/seed.js';

let dir: string;
let story: ReturnType<typeof makeFakeProc>;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hostpid-tree-snapshot-'));
  story = makeFakeProc(CONTAINER_STORY);
  // A snapshot turns start ticks into wall-clock times with the boot time of /proc/stat.
  writeFileSync(join(story.root, 'stat'), 'cpu  0 0 0 0 0 0 0 0 0 0\nbtime 1764700000\n');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  story.cleanup();
});

it('tree --snapshot draws the hierarchy a snapshot saw, once its processes are gone', async () => {
  const file = join(dir, 'story.json');
  const taken = await runCli(['snapshot', '--proc', story.root, '--out', file,
    '--log-level', 'error']);
  story.cleanup();

  const table = await runCli(['tree', '--snapshot', file, '--format', 'table']);
  const tree = await runCli(['tree', '--snapshot', file, '--format', 'tree']);

  expect(taken.code).toBe(0);
  expect(table.stdout).toBe('14918 1 1\n16263 14918 2\n16581 1 1\n');
  expect(table.code).toBe(0);
  expect(Buffer.from(tree.stdout, 'latin1').toString('utf8')).toContain(
    `level 1  init 14918 (dind)  2 processes  docker ${CONTAINER_ID.slice(0, 12)}`);
});

it('lookup --snapshot answers both ways from the file, and says what it cannot', async () => {
  const proc = makeFakeProc(CONTAINER_STORY);
  writeFileSync(join(proc.root, 'stat'), 'cpu  0 0 0 0 0 0 0 0 0 0\nbtime 1764700000\n');
  const file = join(dir, 'lookup.json');
  await runCli(['snapshot', '--proc', proc.root, '--out', file, '--log-level', 'error']);
  proc.cleanup();

  const inside = await runCli(['lookup', '3', '--pid', '16263', '--snapshot', file]);
  const byId = await runCli(['lookup', '8', '--container', CONTAINER_ID.slice(0, 12),
    '--snapshot', file]);
  const host = await runCli(['lookup', '--host', '16268', '--snapshot', file, '--format', 'json']);
  const tid = await runCli(['lookup', '4', '--tid', '--pid', '16263', '--snapshot', file]);

  expect(inside.code).toBe(0);
  expect(inside.stdout.split('\n')[0]).toBe(`host pid 16268 (bad): pid 3 in pid:[${INNER_NS}]`);
  expect(byId.stdout.split('\n')[0]).toBe(`host pid 16268 (bad): pid 8 in pid:[${OUTER_NS}]`);
  expect((JSON.parse(host.stdout) as { levels: Array<{ pid: number }> }).levels
    .map((l) => l.pid)).toEqual([16268, 8, 3]);
  expect(tid.code).toBe(2);
  expect(tid.stderr).toContain('--tid needs a live procfs');
});
