import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { describe, expect, it } from 'vitest';

import { type Block, BlockSplitter } from '../src/lines/blocks.js';
import { Resolver } from '../src/resolve/resolver.js';
import { logLines } from './helpers/cli.js';
import { fakeProcEach } from './helpers/defer.js';
import { type FakeProcess, INIT_NS, statText, writeProcess } from './helpers/fakeproc.js';
import { startCli } from './helpers/real.js';

const NS = 4026532388;
const BASE: FakeProcess[] = [
  { nsPid: [1], ppid: 0, ns: INIT_NS },
  { nsPid: [100, 1], ppid: 1, ns: NS },
  { nsPid: [101, 2], ppid: 100, ns: NS },
];

const tree = fakeProcEach();

describe('broken procfs entries are counted, never fatal', () => {
  it('skips a status that is a directory, an ns link that names no namespace, a vanished one',
    () => {
    const root = tree(BASE);
    mkdirSync(join(root, '200', 'status'), { recursive: true });
    mkdirSync(join(root, '201', 'ns'), { recursive: true });
    writeFileSync(join(root, '201', 'status'), 'Name:\tx\nTgid:\t201\nPPid:\t1\nNSpid:\t201\n');
    symlinkSync(join(root, '201', 'ns', 'pid'), join(root, '201', 'ns', 'pid'));
    mkdirSync(join(root, '202'));

    const resolver = new Resolver({ procRoot: root });
    const answer = resolver.resolve(NS, 2);

    expect(answer.ok && answer.hostPid).toBe(101);
    expect(Object.fromEntries(resolver.table.readErrors)).toEqual({
      EISDIR: 1, malformed: 1, ENOENT: 1 });
  });
});

describe('why a PID is missing', () => {
  it('blames unreadable processes only where they could live', () => {
    const root = tree(BASE);
    mkdirSync(join(root, '200', 'ns'), { recursive: true });
    writeFileSync(join(root, '200', 'status'), 'Name:\tx\nTgid:\t200\nPPid:\t1\nNSpid:\t200\n');
    writeFileSync(join(root, '200', 'ns', 'pid'), 'a file, not a link');
    const resolver = new Resolver({ procRoot: root });

    expect(resolver.resolve(NS, 99)).toEqual({ ok: false, reason: 'not-found' });
    expect(resolver.resolve(INIT_NS, 99)).toEqual({ ok: false, reason: 'unreadable' });
  });
});

describe('a namespace whose inode is reused', () => {
  it('answers namespace-gone for the old one, never the new one\'s process', () => {
    const root = tree(BASE);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now, rememberMs: 1000 });
    resolver.pin(NS);
    expect(resolver.resolve(NS, 2)).toMatchObject({ ok: true, hostPid: 101 });

    rmSync(join(root, '100'), { recursive: true });
    rmSync(join(root, '101'), { recursive: true });
    now = 5000;
    resolver.refresh();
    writeProcess(root, { nsPid: [300, 1], ppid: 1, ns: NS });
    writeProcess(root, { nsPid: [301, 2], ppid: 300, ns: NS });
    now = 6000;
    resolver.refresh();

    expect(resolver.resolve(NS, 2)).toEqual({ ok: false, reason: 'namespace-gone' });
    expect(resolver.table.lookup(NS, 2)?.info.pid).toBe(301);
  });
});

describe('a procfs that disappears mid-run', () => {
  it('ends the run with exit 1 and says what happened', async () => {
    const root = tree(BASE);
    const cli = startCli(['--proc', root, '--pidns', String(NS), '--log-format', 'json']);
    cli.stdin.write('app[2]: known\n');
    await new Promise<void>((resolve) => {
      const check = () => (cli.stdoutText().includes('\n') ? resolve() : setTimeout(check, 20));
      check();
    });

    rmSync(root, { recursive: true });
    await new Promise((resolve) => setTimeout(resolve, 300));
    cli.stdin.end('app[77]: unknown, so it rescans\n');
    const result = await cli.done;

    expect(result.code).toBe(1);
    expect(result.stdout.toString()).toBe('app[2]: known hostpid=2:101\n');
    const error = logLines(result.stderr).find((l) => l['level'] === 50);
    expect(String(error?.['msg'])).toMatch(/^cannot list processes in .*ENOENT/);
  });
});

describe('very long lines', () => {
  it('a 64 MiB line passes with no block larger than a chunk plus the scan limit', async () => {
    const size = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const chunks = function* () {
      yield Buffer.from('app[2]: ');
      for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
      yield Buffer.from('\nafter\n');
    };
    let largest = 0;
    let total = 0;
    const sink = new Writable({
      objectMode: true,
      write(block: Block, _enc, done) {
        largest = Math.max(largest, block.buf.length);
        total += block.buf.length;
        done();
      },
    });

    await pipeline(Readable.from(chunks()), new BlockSplitter(64 * 1024), sink);

    expect(total).toBe(8 + size + 7);
    expect(largest).toBeLessThanOrEqual(2 * 64 * 1024 + 8);
  });
});

describe('a process that fails to read for a moment', () => {
  it('is read again on the next scans, and counted as found once it reads', () => {
    const root = tree(BASE);
    const late: FakeProcess = { nsPid: [102, 3], ppid: 100, ns: NS };
    writeProcess(root, late);
    rmSync(join(root, '102', 'stat'));
    mkdirSync(join(root, '102', 'stat'));
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now });
    expect(resolver.resolve(NS, 3)).toEqual({ ok: false, reason: 'unreadable' });

    rmSync(join(root, '102', 'stat'), { recursive: true });
    writeFileSync(join(root, '102', 'stat'), statText(late, 102));
    now = 500;
    expect(resolver.resolve(NS, 3)).toMatchObject({ ok: true, hostPid: 102 });
    expect(resolver.table.unreadableCount()).toBe(0);
  });
});

describe('host PIDs reused between two scans, caught through ns_last_pid', () => {
  /** A fixture that answers like a procfs of our own namespace: self and ns_last_pid. */
  function ownProc(processes: FakeProcess[], lastPid: number) {
    const root = tree(processes);
    symlinkSync(String(process.pid), join(root, 'self'));
    mkdirSync(join(root, 'sys', 'kernel'), { recursive: true });
    writeFileSync(join(root, 'sys', 'kernel', 'ns_last_pid'), `${lastPid}\n`);
    return root;
  }
  const setLastPid = (root: string, pid: number) =>
    writeFileSync(join(root, 'sys', 'kernel', 'ns_last_pid'), `${pid}\n`);
  const replace = (root: string, pid: number, vpid: number) => {
    rmSync(join(root, String(pid)), { recursive: true });
    writeProcess(root, { nsPid: [pid, vpid], ppid: 100, ns: NS, startTime: 9999 });
  };

  it('checks the PIDs handed out since the last scan, and all of them after a wrap', () => {
    const old = (pid: number): FakeProcess => ({ nsPid: [pid], ppid: 1, ns: INIT_NS });
    const root = ownProc([...BASE, old(50), old(65)], 60);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now });
    expect(resolver.table.catchesReuse).toBe(true);
    expect(resolver.resolve(NS, 2)).toMatchObject({ ok: true, hostPid: 101 });

    replace(root, 65, 7);
    setLastPid(root, 70);
    now = 100;
    expect(resolver.resolve(NS, 7)).toMatchObject({ ok: true, hostPid: 65 });

    replace(root, 50, 8);
    setLastPid(root, 30);
    now = 200;
    expect(resolver.resolve(NS, 8)).toMatchObject({ ok: true, hostPid: 50 });
    expect(resolver.stats.scans).toBe(3);
  });

  it('leaves PIDs below the last one alone when the counter did not wrap', () => {
    const root = ownProc([...BASE, { nsPid: [50], ppid: 1, ns: INIT_NS }], 60);
    let now = 0;
    const resolver = new Resolver({ procRoot: root, now: () => now });
    resolver.refresh();

    replace(root, 50, 8);
    setLastPid(root, 61);
    now = 100;
    resolver.refresh();

    expect(resolver.table.get(50)?.info.nsPid).toEqual([50]);
  });
});
