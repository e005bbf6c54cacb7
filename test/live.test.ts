import { execFileSync, spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdtempSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { BIN, logLines } from './helpers/cli.js';
import { makeFakeProc, SMALL_CONTAINER, SMALL_NS } from './helpers/fakeproc.js';
import { canUnshare, descendantsOf, nsPidOf, startNamespace, waitFor } from './helpers/ns.js';
import { startCli } from './helpers/real.js';

const NS = SMALL_NS;
let proc: ReturnType<typeof makeFakeProc>;
let dir: string;
const stops: Array<() => Promise<void> | void> = [];

beforeAll(() => {
  proc = makeFakeProc(SMALL_CONTAINER);
  dir = mkdtempSync(join(tmpdir(), 'hostpid-live-'));
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});
afterAll(() => {
  proc.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const target = () => ['--proc', proc.root, '--pidns', String(NS), '--log-format', 'json'];

/** Waits until stdout holds `count` lines. */
async function linesOut(cli: ReturnType<typeof startCli>, count: number) {
  return waitFor(() => {
    const lines = cli.stdoutText().split('\n').slice(0, -1);
    return lines.length >= count ? lines : undefined;
  }, `${count} lines of output`);
}

describe('--follow', () => {
  it('follows a file across rotation by rename and by truncation', async () => {
    const log = join(dir, 'app.log');
    writeFileSync(log, 'myapp[1]: first\n');
    const cli = startCli([...target(), '--follow', log]);
    stops.push(() => void cli.child.kill('SIGKILL'));

    await linesOut(cli, 1);
    appendFileSync(log, 'myapp[3]: grown\n');
    await linesOut(cli, 2);
    appendFileSync(log, 'myapp[1]: last words before rotation\n');
    renameSync(log, `${log}.1`);
    writeFileSync(log, 'myapp[3]: new file\n');
    await linesOut(cli, 4);
    truncateSync(log, 0);
    await new Promise((resolve) => setTimeout(resolve, 600));
    appendFileSync(log, 'myapp[1]: after truncation\n');
    await linesOut(cli, 5);
    cli.child.kill('SIGTERM');
    const result = await cli.done;

    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe([
      'myapp[1]: first hostpid=1:16263',
      'myapp[3]: grown hostpid=3:16268',
      'myapp[1]: last words before rotation hostpid=1:16263',
      'myapp[3]: new file hostpid=3:16268',
      'myapp[1]: after truncation hostpid=1:16263',
      '',
    ].join('\n'));
  });

  it('marks each switch between several files, never splitting a line', async () => {
    const a = join(dir, 'a.log');
    const b = join(dir, 'b.log');
    writeFileSync(a, 'myapp[1]: from a\n');
    writeFileSync(b, '');
    const cli = startCli([...target(), '-F', a, b]);
    stops.push(() => void cli.child.kill('SIGKILL'));

    await linesOut(cli, 2);
    appendFileSync(b, 'myapp[3]: from b\n');
    await linesOut(cli, 5);
    cli.child.kill('SIGINT');
    const result = await cli.done;

    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(`==> ${a} <==\nmyapp[1]: from a hostpid=1:16263\n` +
      `\n==> ${b} <==\nmyapp[3]: from b hostpid=3:16268\n`);
  });
});

describe('signals', () => {
  it('SIGTERM mid-stream: everything read is written, the partial line too, exit 0', async () => {
    const cli = startCli(target());
    const body = Array.from({ length: 2000 }, (_, i) => `myapp[3]: line ${i}\n`).join('');
    cli.stdin.write(`${body}myapp[1]: no newline yet`);
    await linesOut(cli, 2000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    cli.child.kill('SIGTERM');
    const result = await cli.done;

    expect(result.code).toBe(0);
    const out = result.stdout.toString().split('\n');
    expect(out).toHaveLength(2001);
    expect(out[1999]).toBe('myapp[3]: line 1999 hostpid=3:16268');
    expect(out[2000]).toBe('myapp[1]: no newline yet hostpid=1:16263');
    expect(logLines(result.stderr).find((l) => l['msg'] === 'summary'))
      .toMatchObject({ lines: 2001, resolved: 2001 });
  });

  it('SIGHUP reloads the rule files; a bad file keeps the old rules', async () => {
    const rules = join(dir, 'rules.yaml');
    const rule = (word: string) =>
      `rules:\n  - name: r\n    pattern: "${word} (?<pid>\\\\d+)"\n`;
    writeFileSync(rules, rule('foo'));
    const cli = startCli([...target(), '--rules', rules]);
    stops.push(() => void cli.child.kill('SIGKILL'));
    const stderrHas = (text: string) => waitFor(() => (cli.stderrText().includes(text) ? true
      : undefined), text);

    cli.stdin.write('foo 3\nbar 3\n');
    await linesOut(cli, 2);
    writeFileSync(rules, rule('bar'));
    cli.child.kill('SIGHUP');
    await stderrHas('rules reloaded');
    cli.stdin.write('foo 3\nbar 3\n');
    await linesOut(cli, 4);
    writeFileSync(rules, 'rules: [\n');
    cli.child.kill('SIGHUP');
    await stderrHas('rules not reloaded');
    cli.stdin.end('bar 1\n');
    const result = await cli.done;

    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe('foo 3 hostpid=3:16268\nbar 3\nfoo 3\n' +
      'bar 3 hostpid=3:16268\nbar 1 hostpid=1:16263\n');
  });
});

describe('--metrics-port', () => {
  it('serves the counters as Prometheus text on loopback', async () => {
    const port = await freePort();
    const cli = startCli([...target(), '--metrics-port', String(port)]);
    stops.push(() => void cli.child.kill('SIGKILL'));
    cli.stdin.write('myapp[3]: a\nmyapp[9]: b\nplain\n');
    await linesOut(cli, 3);

    const text = await get(`http://127.0.0.1:${port}/metrics`);
    cli.stdin.end();
    await cli.done;

    expect(text).toContain('hostpid_lines_total 3\n');
    expect(text).toContain('hostpid_resolved_total 1\n');
    expect(text).toContain('hostpid_unresolved_total{reason="not-found"} 1\n');
    expect(text).toMatch(/# TYPE hostpid_processes gauge\nhostpid_processes 3\n/);
  });
});

describe.runIf(canUnshare)('real processes', () => {
  it('--watch: a worker killed before its exit line is read still resolves', async () => {
    const ns = await startNamespace('sleep 1000 & wait');
    stops.push(ns.stop);
    await waitFor(() => descendantsOf(ns.initPid)[0], 'the first worker');
    const scans = (cli: ReturnType<typeof startCli>) =>
      Math.max(0, ...[...cli.stderrText().matchAll(/"rescans":(\d+)/g)].map((m) => Number(m[1])));
    const args = ['--pid', String(ns.initPid), '--log-format', 'json', '--stats-interval', '50'];
    const watched = startCli([...args, '--watch', '50']);
    const unwatched = startCli(args);
    stops.push(() => void watched.child.kill('SIGKILL'),
      () => void unwatched.child.kill('SIGKILL'));
    // Both have scanned at start-up (the periodic stats say so) before the victim is born.
    await waitFor(() => (scans(watched) >= 1 && scans(unwatched) >= 1 ? true : undefined),
      'both to scan');

    const nsenter = spawn('nsenter', ['-t', String(ns.initPid), '-p', 'sleep', '1000']);
    stops.push(() => void nsenter.kill('SIGKILL'));
    const victim = await waitFor(() => descendantsOf(nsenter.pid ?? 0)[0], 'the victim');
    const vpid = nsPidOf(victim).at(-1) as number;
    const seenAt = scans(watched);
    await waitFor(() => (scans(watched) >= seenAt + 2 ? true : undefined), 'two more scans');
    process.kill(victim, 'SIGKILL');
    await waitFor(() => (descendantsOf(nsenter.pid ?? 0).length === 0 ? true : undefined),
      'the victim to be reaped');

    const line = `worker[${vpid}]: exited on signal 9\n`;
    watched.stdin.end(line);
    unwatched.stdin.end(line);

    expect((await watched.done).stdout.toString()).toBe(
      `worker[${vpid}]: exited on signal 9 hostpid=${vpid}:${victim}\n`);
    expect((await unwatched.done).stdout.toString()).toBe(
      `worker[${vpid}]: exited on signal 9 hostpid=${vpid}:?\n`);
  });

  it('--proc: a second procfs mounted at another path', async () => {
    const mount = mkdtempSync(join(tmpdir(), 'hostpid-procfs-'));
    execFileSync('mount', ['-t', 'proc', 'proc', mount]);
    stops.push(() => {
      execFileSync('umount', [mount]);
      rmSync(mount, { recursive: true });
    });
    const ns = await startNamespace('sleep 1000 & wait');
    stops.push(ns.stop);
    const worker = await waitFor(() => descendantsOf(ns.initPid)[0], 'a worker');

    const cli = startCli(['--proc', mount, '--pid', String(ns.initPid), '--log-format', 'json']);
    cli.stdin.end('app[1]: init\napp[2]: worker\n');
    const result = await cli.done;

    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toBe(`app[1]: init hostpid=1:${ns.initPid}\n` +
      `app[2]: worker hostpid=2:${worker}\n`);
  });
});

describe.runIf(canUnshare)('--pidns self', () => {
  it('resolves in the namespace hostpid runs in, through the host\'s /proc', async () => {
    const child = spawn('unshare', ['--pid', '--fork', process.execPath, BIN, '--pidns', 'self',
      '--log-level', 'silent'], { stdio: ['pipe', 'pipe', 'inherit'] });
    stops.push(() => void child.kill('SIGKILL'));
    const self = await waitFor(() => descendantsOf(child.pid ?? 0)[0], 'hostpid in its namespace');
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('sidecar[1]: that is me\n');
    await new Promise((resolve) => child.on('close', resolve));

    expect(out).toBe(`sidecar[1]: that is me hostpid=1:${self}\n`);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    }).on('error', reject).end();
  });
}
