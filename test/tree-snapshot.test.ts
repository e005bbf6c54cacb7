import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { runCli } from './helpers/cli.js';
import { makeFakeProc } from './helpers/fakeproc.js';
import { CONTAINER_ID, CONTAINER_STORY } from './fixtures/hierarchy/seed.js';

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
