import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { descendantsOf, nsPidOf, waitFor } from './ns.js';

/**
 * The built launcher, run with the same node as the tests, as a user would.
 * HOSTPID_BIN points the real tests at another build (a copy of the tree
 * that nobody rebuilds while they run, or an installed package).
 */
export const HOSTPID_BIN = process.env['HOSTPID_BIN']
  ?? fileURLToPath(new URL('../../bin/hostpid', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** A CLI still running: its stdin to write to, and its output so far. */
export interface RunningCli {
  child: ChildProcess;
  stdin: Writable;
  /** Everything on stdout until now, as text. */
  stdoutText: () => string;
  /** Everything on stderr until now. */
  stderrText: () => string;
  /** Settles when the process has exited and its pipes are closed. */
  done: Promise<CliRun>;
}

/** Spawns `node bin/hostpid ...args`; collects stdout and stderr apart. */
export function startCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, [HOSTPID_BIN, ...args], { stdio: 'pipe' });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  // A CLI that exits before reading all of stdin is a test failure, not a crash.
  child.stdin.on('error', () => undefined);

  const done = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({
    code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') })));
  const stdoutText = () => Buffer.concat(out).toString('utf8');
  const stderrText = () => Buffer.concat(err).toString('utf8');
  return { child, stdin: child.stdin, stdoutText, stderrText, done };
}

/**
 * Runs the CLI to its end with `input` on stdin: one Buffer, or chunks
 * written one at a time with a pause between them so that they reach the CLI
 * as separate reads.
 */
export async function runCli(args: string[], input: Buffer | Buffer[] = []): Promise<CliRun> {
  const cli = startCli(args);
  const chunks = Array.isArray(input) ? input : [input];
  for (const chunk of chunks) {
    cli.stdin.write(chunk);
    if (chunks.length > 1) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  cli.stdin.end();

  return cli.done;
}

/** One pino record from stderr (JSON when stderr is not a terminal). */
export type LogRecord = Record<string, unknown> & { level: number; msg: string };

/** Every stderr line as a pino record; throws on a line that is not one. */
export function logRecords(stderr: string): LogRecord[] {
  return stderr.split('\n').filter((l) => l !== '').map((line) => {
    const record = JSON.parse(line) as LogRecord;
    if (typeof record.level !== 'number' || typeof record.msg !== 'string') {
      throw new Error(`not a pino record on stderr: ${line}`);
    }
    return record;
  });
}

export interface Summary {
  lines: number;
  linesWithPids: number;
  pids: number;
  resolved: number;
  unresolved: Record<string, number>;
}

/** The end-of-run summary record; throws when there is none. */
export function summaryOf(stderr: string): Summary {
  const found = logRecords(stderr).find((r) => r.msg === 'summary');
  if (found === undefined) throw new Error(`no summary on stderr:\n${stderr}`);

  return found as unknown as Summary;
}

export function unresolvedTotal(summary: Summary): number {
  return Object.values(summary.unresolved).reduce((a, b) => a + b, 0);
}

/**
 * What /proc says about a namespace: the PID each of its processes (and of
 * the namespaces below it) has at the namespace's level -> the host PID.
 * `initPid` is the host PID of the namespace's init.
 */
export function pidMapOf(initPid: number): Map<number, number> {
  const level = nsPidOf(initPid).length - 1;
  const map = new Map<number, number>();

  for (const pid of [initPid, ...descendantsOf(initPid)]) {
    try {
      const nsPid = nsPidOf(pid);
      const vpid = nsPid[level];
      if (vpid !== undefined) map.set(vpid, pid);
    } catch {
      // Gone between listing and reading: nothing of it can appear in a log.
    }
  }

  return map;
}

/** Host PID of the process of `initPid`'s tree whose NSpid ends with `vpid`. */
export async function hostPidOf(initPid: number, vpid: number): Promise<number> {
  return waitFor(() => pidMapOf(initPid).get(vpid), `pid ${vpid} under ${initPid}`);
}

export type Pairs = Array<[number, number | undefined]>;

/** One annotated text line taken apart: ` hostpid=3:16268,8:? hosttid=30:16292`. */
export interface Annotated {
  text: string;
  pairs: Pairs;
  tids: Pairs;
}

const SUFFIX = /((?: host(?:pid|tid)=\d+:(?:\d+|\?)(?:,\d+:(?:\d+|\?))*)+)$/;

/** Splits an annotated text line into the original text, its PIDs and its TIDs. */
export function splitSuffix(line: string): Annotated {
  const m = SUFFIX.exec(line);
  if (m === null) return { text: line, pairs: [], tids: [] };

  const fields = new Map((m[1] ?? '').trim().split(' ').map((field) => {
    const [key = '', body = ''] = field.split('=');
    return [key, body.split(',').map(toPair)];
  }));
  return { text: line.slice(0, m.index), pairs: fields.get('hostpid') ?? [],
    tids: fields.get('hosttid') ?? [] };
}

function toPair(pair: string): [number, number | undefined] {
  const [vpid, host] = pair.split(':');
  return [Number(vpid), host === '?' ? undefined : Number(host)];
}

/**
 * The suffix hostpid should add for these PIDs and TIDs, as /proc's map
 * answers (a main thread's TID is its PID, so one map serves both).
 */
export function suffixFor(vpids: number[], map: ReadonlyMap<number, number>,
  tids: number[] = []): string {
  const field = (key: string, values: number[]) => values.length === 0
    ? ''
    : ` ${key}=${values.map((v) => `${v}:${map.get(v) ?? '?'}`).join(',')}`;

  return field('hostpid', vpids) + field('hosttid', tids);
}

/** Lines of a text that ends with a newline, without their newlines. */
export function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** A 64-hex-digit id like Docker's, optionally starting with `prefix`. */
export function containerId(prefix = ''): string {
  return (prefix + randomBytes(32).toString('hex')).slice(0, 64);
}

/**
 * Creates cgroup directories (each with its missing parents) and removes
 * what it created, deepest first. A cgroup cannot be removed while a task is
 * in it, and a killed task may take a moment to leave, so removing a leaf
 * retries; a parent that another run still uses is left to that run.
 */
export class CgroupDirs {
  private readonly leaves: string[] = [];
  private readonly parents: string[] = [];

  make(path: string): string {
    const missing: string[] = [];
    for (let p = join(path, '..'); !existsSync(p); p = join(p, '..')) missing.unshift(p);
    mkdirSync(path, { recursive: true });
    this.parents.push(...missing);
    this.leaves.push(path);
    return path;
  }

  /** Moves one process (host PID) into the cgroup at `path`. */
  static enter(path: string, pid: number): void {
    writeFileSync(join(path, 'cgroup.procs'), `${pid}\n`);
  }

  async removeAll(): Promise<void> {
    for (const dir of this.leaves.splice(0).reverse()) {
      await waitFor(() => (tryRmdir(dir) ? true : undefined), `rmdir ${dir}`, 5_000);
    }
    for (const dir of this.parents.splice(0).reverse()) tryRmdir(dir);
  }
}

/** True once `dir` is gone, false while a task or a child group keeps it. */
function tryRmdir(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
    throw err;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');

  return address.port;
}

/** Waits until a file holds text matching `re`, and returns the file's text. */
export async function waitForText(path: string, re: RegExp, ms = 10_000): Promise<string> {
  return waitFor(() => {
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    return re.test(text) ? text : undefined;
  }, `${re} in ${path}`, ms);
}

/** Sends SIGKILL to each PID that still exists; a missing one is fine. */
export function killAll(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone: nothing to clean up.
    }
  }
}
