import { afterEach, describe, expect, it } from 'vitest';

import { logLines } from './helpers/cli.js';
import { canUnshare, descendantsOf, nsPidOf, type RunningNamespace, startNamespace,
  waitFor } from './helpers/ns.js';
import { linesOf, type RunningCli, splitSuffix, startCli } from './helpers/real.js';

const started = { namespaces: [] as RunningNamespace[], clis: [] as RunningCli[] };
afterEach(async () => {
  for (const cli of started.clis.splice(0)) cli.child.kill('SIGKILL');
  await Promise.all(started.namespaces.splice(0).map((ns) => ns.stop()));
});

async function namespaceWith(script: string, members: number) {
  const ns = await startNamespace(script);
  started.namespaces.push(ns);
  await waitFor(() => (descendantsOf(ns.initPid).length >= members ? true : undefined),
    `${members} processes`);
  return ns;
}

describe.runIf(canUnshare)('two namespaces with the same PIDs', () => {
  it('resolves every PID in the namespace it was given, never in the other', async () => {
    const a = await namespaceWith('sleep 1000 & wait', 1);
    const b = await namespaceWith('sleep 1000 & sleep 1000 & wait', 2);
    const pidIn = (init: number, vpid: number) => [init, ...descendantsOf(init)]
      .find((pid) => nsPidOf(pid).at(-1) === vpid);

    const cli = startCli(['--pid', String(a.initPid), '--log-format', 'json']);
    cli.stdin.end('app[1]: a\napp[2]: b\napp[3]: only in the other\n');
    const out = linesOf((await cli.done).stdout.toString()).map(splitSuffix);

    expect(out.map((l) => l.pairs[0])).toEqual([
      [1, a.initPid], [2, pidIn(a.initPid, 2)], [3, undefined]]);
    expect(pidIn(b.initPid, 3)).toBeDefined();
  });
});

describe.runIf(canUnshare)('a reader that stalls', () => {
  it('holds the input back instead of buffering it, and loses nothing after', async () => {
    const ns = await namespaceWith('sleep 1000 & wait', 1);
    const cli = startCli(['--pid', String(ns.initPid), '--log-format', 'json']);
    started.clis.push(cli);
    cli.child.stdout?.pause();
    const line = `app[2]: ${'x'.repeat(90)}\n`;
    const total = 300_000;

    let written = 0;
    let stalled = false;
    while (written < total && !stalled) {
      stalled = !cli.stdin.write(line.repeat(1000));
      written += 1000;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    // hostpid is alive and has stopped taking input: the pipe filled and its
    // writes block, so nothing piles up in its memory.
    expect(cli.child.exitCode, cli.stderrText()).toBeNull();
    expect(stalled).toBe(true);
    expect(written).toBeLessThan(total);

    cli.child.stdout?.resume();
    const rest = async () => {
      while (written < total) {
        if (!cli.stdin.write(line.repeat(1000))) {
          await new Promise((resolve) => cli.stdin.once('drain', resolve));
        }
        written += 1000;
      }
      cli.stdin.end();
    };
    await rest();
    const result = await cli.done;
    expect(result.code).toBe(0);
    expect(logLines(result.stderr).find((l) => l['msg'] === 'summary'))
      .toMatchObject({ lines: total, resolved: total });
  });
});

describe.runIf(canUnshare)('processes forking and exiting by the thousand', () => {
  it('keeps every line and never fails while /proc churns under it', async () => {
    const loop = 'n=0; while [ $n -lt 1500 ]; do /bin/true; n=$((n+1)); done';
    const ns = await namespaceWith(`sleep 1000 & (${loop}) & (${loop}) & wait`, 2);
    const cli = startCli(['--pid', String(ns.initPid), '--watch', '5', '--remember', '200',
      '--log-format', 'json']);
    const lines = Array.from({ length: 20_000 }, (_, i) => `worker[${(i * 7) % 3500 + 1}]: tick\n`);
    for (let i = 0; i < lines.length; i += 500) {
      cli.stdin.write(lines.slice(i, i + 500).join(''));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    cli.stdin.end();
    const result = await cli.done;

    expect(result.code).toBe(0);
    const out = linesOf(result.stdout.toString()).map(splitSuffix);
    expect(out.map((l) => `${l.text}\n`)).toEqual(lines);
    const summary = logLines(result.stderr).find((l) => l['msg'] === 'summary') ?? {};
    const unresolved = Object.values(summary['unresolved'] as Record<string, number>)
      .reduce((a, b) => a + b, 0);
    expect(Number(summary['resolved']) + unresolved).toBe(lines.length);
    expect(Number(summary['rescans'])).toBeGreaterThan(1);
  });
});
