import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { openRecordedSource } from '../src/snapshot/source.js';
import { logLines, runCli } from './helpers/cli.js';
import { waitFor } from './helpers/ns.js';
import { HOSTPID_BIN, type RunningCli, startCli } from './helpers/real.js';

let dir: string;
beforeAll(() => {
  if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
    throw new Error(`run npm run build first: ${HOSTPID_BIN} needs dist/`);
  }
  dir = mkdtempSync(join(tmpdir(), 'hostpid-reccli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A recorder left running by a failed test would record forever. */
let recorder: RunningCli | undefined;
afterEach(() => {
  if (recorder?.child.exitCode === null) recorder.child.kill('SIGKILL');
  recorder = undefined;
});

describe('hostpid record from the command line', () => {
  it.each([
    ['no --out', ['record'], /Missing required argument: out/],
    ['an interval of 0', ['record', '--out', 'x.db', '--interval', '0'], /--interval/],
    ['stdout for a database', ['record', '--out', '-'], /SQLite file/],
    ['an existing file', ['record', '--out', '.'], /exists/],
    ['a --proc that is not there', ['record', '--out', 'y.db', '--proc', '/nonexistent'],
      /cannot list \/nonexistent/],
  ])('exits 2 for %s, with nothing on stdout', async (_name, args, message) => {
    const result = await runCli([...args, '--log-format', 'json'], undefined, dir);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(logLines(result.stderr).at(-1)?.['msg']).toMatch(message);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('exits 0 on %s, the record closed', async (signal) => {
    const out = join(dir, `${signal}.db`);
    recorder = startCli(['record', '--out', out, '--interval', '20', '--log-format', 'json']);
    await waitFor(() => (existsSync(out) ? true : undefined), 'the record file');
    // Readers may open the file while the recorder writes: they see whole scans.
    const runningCovered = await waitFor(() => {
      const meanwhile = openRecordedSource(out);
      meanwhile.close();
      return meanwhile.coverage.toMs > meanwhile.coverage.fromMs ? meanwhile.coverage : undefined;
    }, 'a second scan');

    recorder.child.kill(signal);
    const result = await recorder.done;
    const source = openRecordedSource(out);
    const recorded = source.processes().some((p) => p.pid === recorder?.child.pid);
    source.close();

    expect(runningCovered.toMs).toBeGreaterThan(runningCovered.fromMs);
    expect(result.code).toBe(0);
    expect(result.stdout.length).toBe(0);
    expect(logLines(result.stderr).at(-1)).toMatchObject({ msg: 'record closed', out });
    expect(recorded).toBe(true);
    expect(existsSync(`${out}-wal`)).toBe(false);
  });
});
