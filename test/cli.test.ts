import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BIN, logLines, runCli } from './helpers/cli.js';
import { makeFakeProc, SMALL_CONTAINER, SMALL_NS } from './helpers/fakeproc.js';

const NS = SMALL_NS;
let proc: ReturnType<typeof makeFakeProc>;
let dir: string;

beforeAll(() => {
  proc = makeFakeProc(SMALL_CONTAINER);
  dir = mkdtempSync(join(tmpdir(), 'hostpid-cli-'));
});
afterAll(() => {
  proc.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const target = () => ['--proc', proc.root, '--pidns', `pid:[${NS}]`];

describe('annotate', () => {
  it('annotates stdin and logs a summary on stderr', async () => {
    const result = await runCli(target(), 'myapp[3]: hello\nplain\nmyapp[77]: who\n');

    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'myapp[3]: hello hostpid=3:16268\nplain\nmyapp[77]: who hostpid=77:?\n');
    const summary = logLines(result.stderr).find((l) => l['msg'] === 'summary');
    expect(summary).toMatchObject({ lines: 3, linesWithPids: 2, pids: 2, resolved: 1,
      unresolved: { 'not-found': 1 } });
  });

  it('reads files in order and never joins the last line of one to the next', async () => {
    writeFileSync(join(dir, 'a.log'), 'myapp[1]: first\nmyapp[3]: no newline');
    writeFileSync(join(dir, 'b.log'), 'myapp[3]: second\n');

    const result = await runCli([...target(), join(dir, 'a.log'), join(dir, 'b.log')]);

    expect(result.code).toBe(0);
    expect(result.stdout).toBe('myapp[1]: first hostpid=1:16263\n' +
      'myapp[3]: no newline hostpid=3:16268myapp[3]: second hostpid=3:16268\n');
  });

  it('accepts the explicit annotate command and a bare inode', async () => {
    const result = await runCli(['annotate', '--proc', proc.root, '--pidns', String(NS)],
      'myapp[3]: x\n');

    expect(result.stdout).toBe('myapp[3]: x hostpid=3:16268\n');
  });

  it('uses --rules instead of the shipped set', async () => {
    const rules = join(dir, 'only.yaml');
    writeFileSync(rules, 'rules:\n  - name: worker\n    pattern: "worker (?<pid>\\\\d+)"\n');

    const result = await runCli([...target(), '--rules', rules], 'worker 3\nmyapp[3]: x\n');

    expect(result.stdout).toBe('worker 3 hostpid=3:16268\nmyapp[3]: x\n');
  });
});

describe('exit codes and messages', () => {
  it.each([
    ['no target', [], /no target namespace for stdin: .*--container ID, --pid HOSTPID.*--pidns/],
    ['two targets', ['--pid', '1', '--pidns', '1'], /give only one of/],
    ['a malformed --pidns', ['--pidns', 'pid:[x]'], /expected an inode like 4026532388, pid:\[4026532388\] or self/],
    ['an unknown namespace', ['--pidns', '4026500000'], /no process lives in pid:\[4026500000\]/],
    ['a PID that is not there', ['--pid', '999999'], /no process 999999/],
    ['a container name without Docker',
      ['--container', 'web', '--docker-socket', '/nonexistent.sock'],
      /cannot reach the Docker engine at \/nonexistent.sock/],
    ['an unknown container', ['--container', 'abcdefabcdef'], /no process of container/],
    ['a missing file', ['--pidns', String(NS), '/nonexistent.log'], /cannot read \/nonexistent.log/],
    ['an unknown option', ['--pidns', String(NS), '--bogus'], /Unknown argument: bogus/],
  ])('%s: exit 2, one line on stderr, nothing on stdout', async (_name, args, message) => {
    const result = await runCli(['--proc', proc.root, ...args], 'myapp[3]: x\n');

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = logLines(result.stderr);
    expect(lines).toHaveLength(1);
    expect(String(lines[0]?.['msg'])).toMatch(message);
  });

  it.each([
    ['a bad regex', 'rules:\n  - name: broken\n    pattern: "(?<pid>\\\\d+"\n',
      /bad\.yaml: rule "broken": pattern does not compile/],
    ['no pid group', 'rules:\n  - name: nogroup\n    pattern: "\\\\d+"\n',
      /bad\.yaml: rule "nogroup": the pattern needs a named group/],
    ['the wrong shape', 'rule:\n  name: x\n', /bad\.yaml: expected a top-level "rules:" list/],
    ['invalid YAML', 'rules: [\n', /bad\.yaml: not valid YAML/],
    ['a pattern that backtracks catastrophically',
      'rules:\n  - name: evil\n    pattern: "(?<pid>\\\\d+)(a+)+$"\n',
      /bad\.yaml: rule "evil": pattern can backtrack catastrophically .*unsafe: true/],
  ])('a rule file with %s: exit 2 naming file and rule', async (_name, yaml, message) => {
    writeFileSync(join(dir, 'bad.yaml'), yaml);

    const result = await runCli([...target(), '--rules', join(dir, 'bad.yaml')], 'x\n');

    expect(result.code).toBe(2);
    expect(String(logLines(result.stderr)[0]?.['msg'])).toMatch(message);
  });

  it('a procfs root that is not there: exit 2', async () => {
    const result = await runCli(['--proc', '/nonexistent', '--pidns', String(NS)], 'x\n');

    expect(result.code).toBe(2);
    expect(String(logLines(result.stderr)[0]?.['msg'])).toMatch(/^cannot list \/nonexistent/);
  });

  it('prints the version', async () => {
    const result = await runCli(['--version']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});

describe('a reader that goes away', () => {
  it('ends quietly with exit 0 and nothing on stderr', async () => {
    const child = spawn(process.execPath, [BIN, ...target()], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    const line = 'myapp[3]: a line that goes on for a while to fill the pipe quickly\n';
    child.stdin.write(line.repeat(20_000));

    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    child.stdin.end(line.repeat(20_000));
    const code = await new Promise((resolve) => child.on('close', resolve));

    expect(code).toBe(0);
    expect(stderr).toBe('');
  });
});
