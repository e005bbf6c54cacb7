import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { logLines, runCli } from './helpers/cli.js';
import { makeFakeProc, SMALL_CONTAINER, SMALL_NS } from './helpers/fakeproc.js';

const NS = SMALL_NS;
let proc: ReturnType<typeof makeFakeProc>;
let dir: string;

beforeAll(() => {
  proc = makeFakeProc(SMALL_CONTAINER);
  dir = mkdtempSync(join(tmpdir(), 'hostpid-batch-'));
  mkdirSync(join(dir, 'in', 'web'), { recursive: true });
  mkdirSync(join(dir, 'in', 'db'), { recursive: true });
  for (let i = 0; i < 6; i++) {
    writeFileSync(join(dir, 'in', 'web', `app-${i}.log`), `myapp[3]: file ${i}\nplain\n`);
  }
  writeFileSync(join(dir, 'in', 'db', 'old.log.1'), gzipSync('myapp[1]: rotated\n'));
});
afterAll(() => {
  proc.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const target = () => ['--proc', proc.root, '--pidns', String(NS)];

describe('--out-dir', () => {
  it.each([1, 2])('rewrites a directory tree with --jobs %i, keeping names and gzip',
    async (jobs) => {
      const out = join(dir, `out-${jobs}`);
      const result = await runCli([...target(), '--out-dir', out, '--jobs', String(jobs),
        join(dir, 'in')]);

      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      expect(readdirSync(join(out, 'web')).sort()).toEqual(
        ['app-0.log', 'app-1.log', 'app-2.log', 'app-3.log', 'app-4.log', 'app-5.log']);
      expect(readFileSync(join(out, 'web', 'app-4.log'), 'utf8'))
        .toBe('myapp[3]: file 4 hostpid=3:16268\nplain\n');
      expect(gunzipSync(readFileSync(join(out, 'db', 'old.log.1'))).toString())
        .toBe('myapp[1]: rotated hostpid=1:16263\n');
      expect(logLines(result.stderr).find((l) => l['msg'] === 'summary'))
        .toMatchObject({ files: 7, lines: 13, resolved: 7 });
    });

  it('takes glob patterns', async () => {
    const out = join(dir, 'out-glob');
    const pattern = join(dir, 'in', 'web', 'app-[12].log');
    const result = await runCli([...target(), '--out-dir', out, pattern]);

    expect(result.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['app-1.log', 'app-2.log']);
  });

  it.each([
    ['no files', [], /--out-dir rewrites files/],
    ['a glob that matches nothing', ['/nonexistent/*.log'], /matches no file/],
    ['the input directory itself', ['--out-dir-same'], /would overwrite/],
  ])('refuses %s with exit 2', async (_name, extra, message) => {
    const same = extra[0] === '--out-dir-same';
    const args = same
      ? [...target(), '--out-dir', join(dir, 'in', 'web'), join(dir, 'in', 'web', 'app-0.log')]
      : [...target(), '--out-dir', join(dir, 'never'), ...extra];
    const result = await runCli(args);

    expect(result.code).toBe(2);
    expect(String(logLines(result.stderr)[0]?.['msg'])).toMatch(message);
  });

  // Node's recursive mkdir spins forever under /proc; a file in the way is
  // the everyday case of the same failure.
  it.each([
    [1, '/proc/self/hostpid-out/logs'],
    [2, '/proc/self/hostpid-out/logs'],
    [1, 'a-file/out'],
    [2, 'a-file/out'],
  ])('fails in one line, exit 1, when --jobs %i cannot make %s', async (jobs, where) => {
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'not a directory\n');
    const out = where.startsWith('/') ? where : join(dir, where);
    const result = await runCli([...target(), '--out-dir', out, '--jobs', String(jobs),
      join(dir, 'in', 'web', 'app-1.log'), join(dir, 'in', 'web', 'app-2.log')]);

    expect(result.code).toBe(1);
    const [error] = logLines(result.stderr);
    expect(String(error?.['msg'])).toMatch(new RegExp(
      '^/\\S+: (ENOENT|ENOTDIR) while writing \\(\\S+app-[12]\\.log into \\S+\\): ' +
      'give --out-dir a directory you can write$'));
  });

  it.each([1, 2])('names a damaged gzip input in one line, exit 1, --jobs %i', async (jobs) => {
    const damaged = join(dir, `damaged-${jobs}.log.gz`);
    writeFileSync(damaged, Buffer.concat([gzipSync('myapp[3]: x\n').subarray(0, 12),
      Buffer.from('not deflate data at all')]));
    const result = await runCli([...target(), '--out-dir', join(dir, `out-damaged-${jobs}`),
      '--jobs', String(jobs), damaged, join(dir, 'in', 'web', 'app-1.log')]);

    expect(result.code).toBe(1);
    expect(String(logLines(result.stderr)[0]?.['msg'])).toMatch(new RegExp(
      `^${damaged.replace(/[.]/g, '\\.')}: .+ \\(Z_DATA_ERROR\\) while reading: ` +
      'check that it is a whole log or gzip file$'));
  });
});
