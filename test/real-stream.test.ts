import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { canUnshare, nsPidOf, type RunningNamespace, startNamespace,
  waitFor } from './helpers/ns.js';
import { linesOf, type RunningCli, splitSuffix, startCli, summaryOf } from './helpers/real.js';

/*
 * A log read as it is written (a sidecar, `docker logs -f | hostpid`): the
 * CLI has scanned /proc for the first lines before the processes that later
 * lines name were even forked. Each time the test writes to the FIFO, the
 * namespace's init forks one more sleeper; the test then writes a line naming
 * it, as the new process's first log line would come right after its fork.
 */
// A reader that reopens the FIFO while the test's writer is still closing
// it reads end-of-file at once: that must not end the loop (and with it the
// namespace, whose init this is), so EOF just waits for the next writer.
const FORK_ON_FIFO = 'while :; do read x < "$FIFO" || continue; sleep 1000 & done';

describe.skipIf(!canUnshare)('a log streamed while its processes start', () => {
  let dir: string;
  let fifo: string;
  let ns: RunningNamespace;
  let cli: RunningCli;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hostpid-stream-'));
    fifo = join(dir, 'fork');
    execFileSync('mkfifo', [fifo]);
    ns = await startNamespace(`FIFO=${fifo}; ${FORK_ON_FIFO}`);
    cli = startCli(['--pid', String(ns.initPid), '--log-level', 'debug']);
  });

  afterEach(async () => {
    cli.child.kill('SIGKILL');
    await ns.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Forks a sleeper in the namespace; returns its NSpid once /proc shows it.
   * The init's `children` file answers without a walk of all of /proc, so
   * the line naming the child follows its fork closely, as in a real log.
   */
  async function forkOne(): Promise<number[]> {
    const children = `/proc/${ns.initPid}/task/${ns.initPid}/children`;
    const list = () => readFileSync(children, 'utf8').trim().split(/\s+/).filter(Boolean);
    const before = new Set(list());
    writeFileSync(fifo, 'go\n');
    const host = await waitFor(() => list().find((p) => !before.has(p)), 'the forked sleeper');
    return nsPidOf(Number(host));
  }

  /** Writes one line and waits for it to come out of the CLI. */
  async function send(line: string): Promise<string> {
    const count = linesOf(cli.stdoutText()).length;
    cli.stdin.write(`${line}\n`);
    return waitFor(() => linesOf(cli.stdoutText())[count], `"${line}" out of the CLI`);
  }

  // A miss soon after the last scan must still rescan: a process logs
  // right after its fork, so a plain rate limit would answer "?" here.
  it('resolves a process forked after the first scan, logged right away', async () => {
    expect(await send('myapp[1]: up')).toBe(`myapp[1]: up hostpid=1:${ns.initPid}`);

    const [host, vpid] = await forkOne();
    const out = await send(`level=info msg="worker forked" pid=${vpid}`);

    cli.stdin.end();
    const run = await cli.done;
    expect(splitSuffix(out).pairs, run.stderr).toEqual([[vpid, host]]);
  });

  it('resolves a process forked after the first scan, logged a while later', async () => {
    expect(await send('myapp[1]: up')).toBe(`myapp[1]: up hostpid=1:${ns.initPid}`);

    const [host, vpid] = await forkOne();
    // Past the resolver's rescan interval, so a miss may scan /proc again.
    await new Promise((resolve) => setTimeout(resolve, 600));
    const out = await send(`level=info msg="worker forked" pid=${vpid}`);

    cli.stdin.end();
    const run = await cli.done;
    expect(splitSuffix(out).pairs, run.stderr).toEqual([[vpid, host]]);
    expect(run.code).toBe(0);
    expect(summaryOf(run.stderr)).toMatchObject({ lines: 2, resolved: 2 });
  });

  it('resolves pid#tid of a process forked after the first scan, logged a while later',
    async () => {
      expect(await send('myapp[1]: up')).toBe(`myapp[1]: up hostpid=1:${ns.initPid}`);

      const [host, vpid] = await forkOne();
      await new Promise((resolve) => setTimeout(resolve, 600));
      const out = await send(`2026/12/03 19:00:07 [error] ${vpid}#${vpid}: *1 open() failed`);

      cli.stdin.end();
      const run = await cli.done;
      expect(splitSuffix(out), run.stderr)
        .toMatchObject({ pairs: [[vpid, host]], tids: [[vpid, host]] });
    });
});
