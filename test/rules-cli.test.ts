import { describe, expect, it } from 'vitest';

import { logLines, runCli } from './helpers/cli.js';

// These spawn the built CLI (npm test builds first).
const FIXTURES = 'test/fixtures/rules';
const GOOD = `${FIXTURES}/good.yaml`;

describe('hostpid rules', () => {
  it('lists name, file and description, one rule a line', async () => {
    const run = await runCli(['rules', '--rules', GOOD]);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      `worker-ready  ${GOOD}  a made-up app: worker N ready\n` +
      `thread-of     ${GOOD}  a made-up app: thread T of N\n`);
  });

  it('lists the shipped rules as JSON', async () => {
    const run = await runCli(['rules', 'list', '--format', 'json']);
    const list = JSON.parse(run.stdout) as Array<Record<string, unknown>>;

    expect(run.code).toBe(0);
    expect(list.length).toBeGreaterThanOrEqual(60);
    expect(list.find((r) => r['name'] === 'kernel-oom-killed')).toEqual({
      name: 'kernel-oom-killed',
      file: 'rules/kernel.yaml',
      description: expect.stringContaining('OOM killer') as unknown,
      host: true,
    });
  });
});

describe('hostpid rules test', () => {
  it('passes a good file and prints the counts', async () => {
    const run = await runCli(['rules', 'test', '--rules', GOOD]);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('2 rules in 1 files, 3 examples (1 traps), 0 failed; backtracking ' +
      'check: 2 safe, 0 unknown, 0 vulnerable\n');
  }, 60_000);

  it('passes the shipped rules (examples only)', async () => {
    const run = await runCli(['rules', 'test', '--no-backtracking']);

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+ rules in \d+ files, \d+ examples \(\d+ traps\), 0 failed\n$/);
  });

  it('exits 1 naming each failing rule and example, and what it got', async () => {
    const run = await runCli(['rules', 'test', '--no-backtracking', '--rules',
      `${FIXTURES}/failing.yaml`]);

    expect(run.code).toBe(1);
    expect(run.stdout).toBe(
      `FAIL ${FIXTURES}/failing.yaml wrong-example example #2: expected pids [8] tids [], ` +
      'got pids [] tids []\n' +
      '     line: worker 8 is ready\n' +
      `FAIL ${FIXTURES}/failing.yaml wrong-hint example #1: expected pids [9] tids [], ` +
      'got pids [] tids []\n' +
      '     line: child 9 exited\n' +
      '2 rules in 1 files, 3 examples (0 traps), 2 failed\n');
    expect(logLines(run.stderr).map((l) => l['msg'])).toEqual([
      'rules test failed: 2 of 3 examples, 0 unsafe patterns',
    ]);
  });

  it('exits 1 on a pattern that can backtrack catastrophically', async () => {
    const run = await runCli(['rules', 'test', '--rules', `${FIXTURES}/unsafe.yaml`]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^FAIL ${FIXTURES}/unsafe\\.yaml nested-quantifier: ` +
      'pattern can backtrack catastrophically \\(.+\\); set "unsafe: true" only if no hostile ' +
      'line can reach it\n'));
    expect(logLines(run.stderr).map((l) => l['msg'])).toEqual([
      'rules test failed: 0 of 1 examples, 1 unsafe patterns',
    ]);
  }, 60_000);
});

describe('hostpid rules explain', () => {
  it('shows each rule, span and capture for lines on stdin', async () => {
    const input = '2026/12/03 10:00:00 [notice] 1#1: start worker process 29\n' +
      '{"log":"\\u003c0.812.0\\u003e up\\n"}\nnothing\n';
    const run = await runCli(['rules', 'explain'], input);

    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe([
      'line 1: 2026/12/03 10:00:00 [notice] 1#1: start worker process 29',
      '  nginx-error-prefix [0-34] "2026/12/03 10:00:00 [notice] 1#1: " pid=1 tid=1',
      '  nginx-worker-process [0-57] "2026/12/03 10:00:00 [notice] 1#1: start worker ' +
        'process 29" pid=29',
      '  => pids [1, 29] tids [1]',
      'line 2: {"log":"\\u003c0.812.0\\u003e up\\n"}',
      '  JSON escapes decoded: {"log":"<0.812.0> up\\n"}',
      '  no rule matched',
      'line 3: nothing',
      '  no rule matched',
      '',
    ].join('\n'));
  });

  it('refuses user rules that can backtrack catastrophically, exit 2', async () => {
    const run = await runCli(['rules', 'explain', '--rules', `${FIXTURES}/unsafe.yaml`], 'x\n');

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(logLines(run.stderr).map((l) => l['msg'])).toEqual([
      expect.stringMatching(new RegExp(`^${FIXTURES}/unsafe\\.yaml: rule "nested-quantifier": ` +
        'pattern can backtrack catastrophically')) as unknown,
    ]);
  }, 60_000);

  it('stops on a bad rule file with exit 2 and the file and rule', async () => {
    const run = await runCli(['rules', '--rules', `${FIXTURES}/bad-regex.yaml`]);

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(logLines(run.stderr).map((l) => l['msg'])).toEqual([
      `${FIXTURES}/bad-regex.yaml: rule "broken": pattern does not compile: Invalid regular ` +
        'expression: /\\[(?<pid>\\d+\\]/g: Unterminated group',
    ]);
  });
});
