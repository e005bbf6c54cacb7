import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { compileRule, loadRules } from '../src/rules/load.js';
import { distinct, explain, findAll, matchText, PID_MAX } from '../src/rules/match.js';
import type { Rule } from '../src/rules/types.js';

function rule(fields: Record<string, unknown>): Rule {
  return compileRule({ name: 'r', description: 'test rule', ...fields }, 'test.yaml', 0);
}

const shipped = loadRules();
const pids = (line: string, rules: readonly Rule[] = shipped) =>
  distinct(findAll(line, rules), 'pid');

describe('findAll', () => {
  it('orders numbers by their place in the line, across rules', () => {
    const rules = [
      rule({ name: 'late', pattern: 'child (?<pid>\\d+)' }),
      rule({ name: 'early', pattern: '^\\[(?<pid>\\d+)\\]' }),
    ];

    expect(pids('[1] child 27', rules)).toEqual([1, 27]);
  });

  it('puts a host rule first when two rules take the same number', () => {
    const rules = [
      rule({ name: 'plain', pattern: 'pid=(?<pid>\\d+)' }),
      rule({ name: 'kernel', pattern: 'pid=(?<pid>\\d+)', host: true }),
    ];
    const found = findAll('oom pid=48213', rules);

    expect(found.map((f) => [f.rule.name, f.host])).toEqual([['kernel', true], ['plain', false]]);
  });

  it.each([
    ['zero', 'pid=0', []],
    ['above the kernel limit', `pid=${PID_MAX + 1}`, []],
    ['the kernel limit', `pid=${PID_MAX}`, [PID_MAX]],
  ])('skips numbers that are no PID: %s', (_what, line, expected) => {
    expect(pids(line, [rule({ pattern: 'pid=(?<pid>\\d+)' })])).toEqual(expected);
  });

  it('reads groups named with hex as hexadecimal', () => {
    expect(pids('session 6750e5a0.4d2', [rule({ pattern: '\\.(?<pidhex>[0-9a-f]+)' })]))
      .toEqual([1234]);
  });

  it('skips a rule whose hints are not in the line', () => {
    const r = rule({ pattern: 'worker (?<pid>\\d+)', hints: ['Worker '] });

    expect(pids('worker 7', [r])).toEqual([]);
    expect(pids('Worker 7 / worker 8', [r])).toEqual([8]);
  });

  it('finds a hint at any place its root stands, not only the first', () => {
    // "pid" is the root of "pid=": the line holds the root twice, the hint
    // only at the second place.
    const rules = [
      rule({ name: 'json', pattern: '"pid":(?<pid>\\d+)', hints: ['"pid"'] }),
      rule({ name: 'kv', pattern: '\\bpid=(?<pid>\\d+)', hints: ['pid='] }),
      rule({ name: 'bare', pattern: 'pid (?<pid>\\d+)', hints: ['pid'] }),
    ];

    expect(pids('{"pid":3} then pid=4', rules)).toEqual([3, 4]);
    expect(pids('pid=4 pid 5', rules)).toEqual([4, 5]);
  });

  it('runs the chosen rules in rule order whichever hint is seen first', () => {
    const rules = [
      rule({ name: 'plain', pattern: 'at (?<pid>\\d+)', hints: ['zz'] }),
      rule({ name: 'kernel', pattern: 'at (?<pid>\\d+)', hints: ['aa'], host: true }),
      rule({ name: 'other', pattern: 'at (?<pid>\\d+)', hints: ['at '] }),
    ];
    const found = findAll('aa at 5 zz', rules);

    expect(found.map((f) => f.rule.name)).toEqual(['kernel', 'plain', 'other']);
  });

  it('skips an anchored rule whose first character does not fit', () => {
    const r = rule({ pattern: '^\\[(?<pid>\\d+)\\]' });

    expect(pids('x[7]', [r])).toEqual([]);
    expect(pids('[7]', [r])).toEqual([7]);
  });
});

describe('the pre-filter', () => {
  // Hints and heads only skip work: on any line, the shipped rules must match
  // exactly where running every rule on the line matches.
  const everyRule = (line: string) => {
    const text = matchText(line);
    const spans: string[] = [];
    for (const r of shipped) {
      const re = new RegExp(r.re.source, r.re.flags.includes('g') ? r.re.flags : `${r.re.flags}g`);
      for (const m of text.matchAll(re)) spans.push(`${r.name}@${m.index}`);
    }
    return spans.sort();
  };
  const chosen = (line: string) =>
    explain(line, shipped).matches.map((m) => `${m.rule.name}@${m.start}`).sort();

  const pieces = [...new Set(shipped.flatMap((r) =>
    [...r.hints, ...r.examples.map((e) => e.line)]))];
  const piece = fc.oneof(
    fc.constantFrom(...pieces),
    fc.constantFrom(' ', '[', ']', ':', '#', '"', '=', '(', ')', '{', '}', ',', 'pid', 'PID'),
    fc.integer({ min: 1, max: 99999 }).map(String),
    fc.string({ maxLength: 6 }),
  );

  it('matches what running every rule matches, on lines built from hints and examples', () => {
    fc.assert(fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
      const line = parts.join('').replace(/[\r\n]/g, ' ');
      expect(chosen(line)).toEqual(everyRule(line));
    }), { numRuns: 3000 });
  });

  it('matches what running every rule matches, on every shipped example', () => {
    for (const line of pieces) expect(chosen(line)).toEqual(everyRule(line));
  });
});

describe('JSON lines', () => {
  it('decodes escapes in place before matching', () => {
    const line = '{"log":"\\u003c0.812.0\\u003e said \\"pid\\":9\\n","stream":"stdout"}';

    expect(matchText(line)).toBe('{"log":"<0.812.0> said "pid":9\n","stream":"stdout"}');
    expect(pids(line)).toEqual([9]);
  });

  it('leaves lines without a backslash or not starting with { alone', () => {
    expect(matchText('{"pid":7}')).toBe('{"pid":7}');
    expect(matchText('x {"log":"\\u003c"}')).toBe('x {"log":"\\u003c"}');
  });

  it.each([
    ['journald -o json', '{"_PID":"812","SYSLOG_IDENTIFIER":"sshd","MESSAGE":"Accepted"}', [812]],
    ['pino', '{"level":30,"pid":7,"hostname":"api","msg":"ok"}', [7]],
    ['an Erlang pid in an escaped value', '{"log":"\\u003c0.812.0\\u003e accepting\\n"}', []],
    ['a URL parameter in a value', '{"msg":"GET /jobs?pid=4242","status":502}', []],
  ])('%s', (_what, line, expected) => {
    expect(pids(line)).toEqual(expected);
  });
});

describe('look-alikes stay unannotated by the whole library', () => {
  it.each([
    ['HTTP status and bytes', '192.0.2.1 - - [03/Dec/2026:10:00:00 +0000] "GET / HTTP/1.1" 502 7'],
    ['a port', 'Server listening on 0.0.0.0 port 22.'],
    ['a duration', 'INFO: request finished in 812 ms'],
    ['a dmesg timestamp', '[12345.678901] eth0: link up'],
    ['an Erlang pid', '2026-12-03 10:00:05.000000+00:00 [info] <0.812.0> accepting connection'],
    ['a job number', '[1]+  Done                    ./warmup.sh'],
    ['a Sidekiq thread token', '2026-12-03T10:00:01.000Z tid=4242 class=HardWorker INFO: start'],
    ['a MySQL connection id', '2026-12-03T10:01:00.000000Z 12 [Note] Aborted connection 12 to db'],
    ['a URL parameter', 'GET /api/jobs?pid=4242&ppid=1 HTTP/1.1'],
    ['a goroutine', 'goroutine 42 [running]:'],
  ])('%s', (_what, line) => {
    expect(pids(line)).toEqual([]);
  });
});

describe('explain', () => {
  it('gives each match its span and captures, skipped ones marked', () => {
    const line = '2026/12/03 10:06:00 [notice] 7#0: signal process started';
    const { matches } = explain(line, shipped);

    expect(matches.map((m) => [m.rule.name, m.start, m.end, m.captures])).toEqual([
      ['nginx-error-prefix', 0, 34, [
        { group: 'pid', kind: 'pid', text: '7', value: 7 },
        { group: 'tid', kind: 'tid', text: '0', value: undefined },
      ]],
    ]);
  });
});

describe('order of several PIDs', () => {
  it('follows where each number stands, not where its digits first occur', () => {
    const rules = loadRules();
    const line = '2026/12/03 10:00:00 [notice] 1#1: start worker process 2';

    expect(distinct(findAll(line, rules), 'pid')).toEqual([1, 2]);
  });
});
