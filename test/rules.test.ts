import {
  appendFileSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parse } from 'yaml';

import { HostpidError } from '../src/errors.js';
import { readCache, writeCache } from '../src/rules/cache.js';
import { runExamples } from '../src/rules/examples.js';
import { firstChars, headChars, requiredLiteral } from '../src/rules/first.js';
import {
  compileRule,
  loadCheckedRules,
  loadRules,
  SHIPPED_RULES_DIR,
  updateShippedCache,
} from '../src/rules/load.js';
import {
  checkBacktracking, refuseBacktracking, verdictCacheFile, verdictKey,
} from '../src/rules/redos.js';
import { distinct, findAll } from '../src/rules/match.js';
import type { Rule } from '../src/rules/types.js';
import { deferEach } from './helpers/defer.js';

const FIXTURES = 'test/fixtures/rules';
const shipped = loadRules();

function loadError(run: () => unknown): HostpidError {
  try {
    run();
  } catch (err) {
    if (err instanceof HostpidError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('the shipped rule library', () => {
  it('has at least 25 software families, each with rules', () => {
    const files = readdirSync(SHIPPED_RULES_DIR).filter((f) => f.endsWith('.yaml'));

    expect(files.length).toBeGreaterThanOrEqual(25);
    expect(new Set(shipped.map((r) => r.file)).size).toBe(files.length);
  });

  it('passes every example of every rule, each rule alone', () => {
    const report = runExamples(shipped);

    expect(report.failures.map((f) => `${f.rule.name} #${f.index}`)).toEqual([]);
    expect(report.examples).toBeGreaterThan(200);
    expect(report.traps).toBeGreaterThan(80);
  });

  const each = it.each(shipped.map((r) => [r.name, r] as const));
  each('%s has a description, a PID example and a trap', (_name, rule) => {
    expect(rule.description).not.toBe('');
    expect(rule.description).not.toContain('\n');
    expect(rule.examples.some((e) => e.pids.length + (e.tids ?? []).length > 0)).toBe(true);
    expect(rule.examples.some((e) => e.pids.length + (e.tids ?? []).length === 0)).toBe(true);
  });

  // A rule with neither runs on every line; the pre-filter only pays off
  // when most rules can be skipped without running their regex.
  it('gives every rule a hint or a known first character', () => {
    const unfiltered = shipped.filter((r) => r.hints.length === 0 &&
      firstChars(r.pattern, r.flags) === undefined);

    expect(unfiltered.map((r) => r.name)).toEqual([]);
  });

  // irregexp skips ahead by the shortest alternative of the gate: one
  // character there made the gate half as fast again on the bench corpus.
  it('has no hint shorter than two characters', () => {
    const short = shipped.flatMap((r) => r.hints.filter((h) => h.length < 2)
      .map((h) => `${r.name}: ${h}`));

    expect(short).toEqual([]);
  });

  it('has no pattern that can backtrack catastrophically (recheck)', async () => {
    const verdicts = await checkBacktracking(shipped);
    const bad = verdicts.filter((v) => v.status === 'vulnerable').map((v) => v.rule.name);

    expect(bad).toEqual([]);
    expect(shipped.filter((r) => r.unsafe)).toEqual([]);
  }, 300_000);
});

describe('rule file errors', () => {
  const cases: Array<[string, string[], string]> = [
    ['a regex that does not compile', ['bad-regex.yaml'],
      `${FIXTURES}/bad-regex.yaml: rule "broken": pattern does not compile: Invalid regular ` +
      'expression: /\\[(?<pid>\\d+\\]/g: Unterminated group'],
    ['rules that are not a list', ['bad-shape.yaml'],
      `${FIXTURES}/bad-shape.yaml: expected a top-level "rules:" list`],
    ['a pattern without a pid or tid group', ['no-group.yaml'],
      `${FIXTURES}/no-group.yaml: rule "no-group": the pattern needs a named group "pid..." or ` +
      '"tid..." around the number'],
    ['an unknown key', ['unknown-key.yaml'],
      `${FIXTURES}/unknown-key.yaml: rule "typo": unknown key "hint": use name, description, ` +
      'pattern, flags, host, hints, unsafe, examples'],
    ['a name defined twice', ['dup-a.yaml', 'dup-b.yaml'],
      `${FIXTURES}/dup-b.yaml: rule "twice" is also defined in ${FIXTURES}/dup-a.yaml: ` +
      'rename one'],
  ];

  it.each(cases)('%s', (_what, files, message) => {
    const err = loadError(() => loadRules(files.map((f) => `${FIXTURES}/${f}`)));

    expect(err.message).toBe(message);
    expect(err.usage).toBe(true);
  });

  it('refuses a nested quantifier with the file, the rule and why', async () => {
    const rules = loadRules([`${FIXTURES}/unsafe.yaml`]);
    const err = await refuseBacktracking(rules).then(() => undefined, (e: unknown) => e);

    expect(err).toBeInstanceOf(HostpidError);
    expect((err as HostpidError).usage).toBe(true);
    expect((err as HostpidError).message).toMatch(new RegExp(
      `^${FIXTURES}/unsafe\\.yaml: rule "nested-quantifier": pattern can backtrack ` +
      'catastrophically \\((exponential|polynomial) time on input like .+\\): rewrite it, or ' +
      'set "unsafe: true" to accept that$'));
    expect((err as HostpidError).message).not.toContain('\n');
  }, 60_000);

  it('accepts the same pattern when the rule says unsafe: true', async () => {
    const rules = await loadCheckedRules([`${FIXTURES}/unsafe-allowed.yaml`]);

    expect(rules.map((r) => [r.name, r.unsafe])).toEqual([['nested-quantifier-allowed', true]]);
  }, 60_000);

  describe('the verdict cache', () => {
    const undo = deferEach();
    const cacheFile = () => {
      const dir = mkdtempSync(join(tmpdir(), 'hostpid-verdicts-'));
      undo(() => rmSync(dir, { recursive: true, force: true }));
      return join(dir, 'nested', 'passed.json');
    };
    const refusal = (rules: Rule[], file: string) =>
      refuseBacktracking(rules, file).then(() => 'passed', (e: unknown) => String(e));

    it('keeps the patterns that passed, and only those', async () => {
      const file = cacheFile();
      const good = loadRules([`${FIXTURES}/good.yaml`]);
      const evil = loadRules([`${FIXTURES}/unsafe.yaml`]);

      expect(await refusal(good, file)).toBe('passed');
      expect(await refusal(evil, file)).toMatch(/can backtrack catastrophically/);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(good.map(verdictKey));
    }, 60_000);

    it('does not check a pattern that passed before', async () => {
      // Seeding the key of a bad pattern shows the check is skipped: the
      // cache is trusted as the rule file is.
      const file = cacheFile();
      const evil = loadRules([`${FIXTURES}/unsafe.yaml`]);
      await refusal(loadRules([`${FIXTURES}/good.yaml`]), file);
      writeFileSync(file, JSON.stringify(evil.map(verdictKey)));

      expect(await refusal(evil, file)).toBe('passed');
    }, 60_000);

    it('checks again when the cache is garbage, or cannot be written', async () => {
      const file = cacheFile();
      const evil = loadRules([`${FIXTURES}/unsafe.yaml`]);
      await refusal(loadRules([`${FIXTURES}/good.yaml`]), file);
      writeFileSync(file, '{"not": "a list"');

      expect(await refusal(evil, file)).toMatch(/can backtrack catastrophically/);
      expect(await refusal(evil, '/proc/self/hostpid/passed.json'))
        .toMatch(/can backtrack catastrophically/);
      expect(await refusal(loadRules([`${FIXTURES}/good.yaml`]), '/proc/self/x/passed.json'))
        .toBe('passed');
    }, 60_000);

    it('lives in HOSTPID_CACHE_DIR, else the XDG cache directory; empty turns it off', () => {
      expect(verdictCacheFile({ HOSTPID_CACHE_DIR: '/c' })).toBe('/c/backtracking-passed.json');
      expect(verdictCacheFile({ XDG_CACHE_HOME: '/x' }))
        .toBe('/x/hostpid/backtracking-passed.json');
      expect(verdictCacheFile({})).toBe(join(homedir(), '.cache/hostpid/backtracking-passed.json'));
      for (const xdg of ['', 'relative/dir']) {
        expect(verdictCacheFile({ XDG_CACHE_HOME: xdg }))
          .toBe(join(homedir(), '.cache/hostpid/backtracking-passed.json'));
      }
      expect(verdictCacheFile({ HOSTPID_CACHE_DIR: '' })).toBeUndefined();
    });
  });

  it('reports an example that a rule does not satisfy, and a wrong hint', () => {
    const report = runExamples(loadRules([`${FIXTURES}/failing.yaml`]));

    expect(report.failures.map((f) => [f.rule.name, f.index, f.pids])).toEqual([
      ['wrong-example', 2, []],
      ['wrong-hint', 1, []],
    ]);
  });
});

describe('firstChars', () => {
  const show = (set: Uint8Array | undefined) =>
    set === undefined ? '*' : [...set].map((v, i) => (v ? String.fromCharCode(i) : '')).join('');

  it.each([
    ['^\\d{4}-', '', '0123456789'],
    ['^\\[(?<pid>\\d+)\\] ', '', '['],
    ['^[IWEF]\\d{4} ', '', 'EFIW'],
    ['^(?:_|SYSLOG_)PID=', '', 'S_'],
    ['^(?:\\[ *\\d+\\.\\d+\\] )?\\[ *(?<pid>\\d+)\\]', '', '['],
    ['^(?:\\[\\d+\\] )?\\* PID', '', '*['],
    ['^a|^b', '', '*'],
    ['^(?=x)x', '', '*'],
    ['^[^x]', '', '*'],
    ['^worker', 'i', '*'],
    ['\\bpid=', '', '*'],
  ])('%s /%s -> %s', (pattern, flags, expected) => {
    expect(show(firstChars(pattern, flags))).toBe(expected);
  });
});

describe('headChars', () => {
  const show = (sets: Uint8Array[] | undefined) => sets?.map((set) => {
    const chars = [...set].map((v, i) => (v ? String.fromCharCode(i) : '')).join('');
    return chars === '0123456789' ? 'D' : chars;
  }).join(' ');

  it.each([
    ['^\\d{4}/\\d\\d ', 'D D D D / D D  '],
    ['^\\(node:(?<pid>\\d+)\\) ', '( n o d e :'],
    ['^\\d+:[XCSM] ', 'D'],
    ['^(?<pid>\\d+):', 'D'],
    ['^\\[\\d{2,4}\\]', '[ D D'],
  ])('%s -> %s', (pattern, expected) => {
    expect(show(headChars(pattern, ''))).toBe(expected);
  });

  // Each of these once gave a head that refused a line the pattern matches.
  it.each([
    ['^a{ 2} (?<pid>\\d+)', '', 'a{ 2} 42'],
    ['^a{3,y}(?<pid>\\d+)', '', 'a{3,y}42'],
    ['^[\\.-9](?<pid>\\d+)', '', '542'],
    ['^\u{1F600}?\\[(?<pid>\\d+)', 'u', '[42'],
    ['^\u{1F600}\\[(?<pid>\\d+)', 'u', '\u{1F600}[42'],
  ])('lets through what %s (flags "%s") matches: %s', (pattern, flags, line) => {
    const r = compileRule({ name: 'r', description: 'd', pattern, flags }, 'test.yaml', 0);

    expect(new RegExp(pattern, flags).test(line)).toBe(true);
    expect(distinct(findAll(line, [r]), 'pid')).toEqual([42]);
  });
});

describe('requiredLiteral', () => {
  it.each([
    ['\\b\\w+\\[(?<pid>\\d+)\\]:', '', ']:'],
    ['"pid":(?<pid>\\d+)', '', '"pid":'],
    ['\\bsshd\\[(?<pid>\\d+)\\]', '', 'sshd['],
    ['started by pid (?<pid>\\d+)', '', 'started by pid '],
    ['abc?de', '', 'ab'],
    ['x{2}yz', '', 'yz'],
    ['(?:abc)?de', '', 'de'],
    ['a.bc', 's', 'bc'],
    ['\\<0\\.(?<pid>\\d+)', '', '<0.'],
    ['^(?<pid>\\d+):[XCSM] ', '', undefined],
    ['ab+c', '', undefined],
    ['foo (?<pid>\\d+)|bar (?<pid2>\\d+)', '', undefined],
    ['pid=(?<pid>\\d+)', 'i', undefined],
    ['\\x41bc(?<pid>\\d+)', '', undefined],
    ['(?<w>ab)\\k<w>cd(?<pid>\\d+)', '', undefined],
    ['[]ab(?<pid>\\d+)', '', undefined],
    ['ab\u{1F600}?', 'u', 'ab'],
    ['ab\u{1F600}cde', 'u', 'cde'],
  ])('%s (flags "%s") holds %s', (pattern, flags, expected) => {
    expect(requiredLiteral(pattern, flags)).toBe(expected);
  });

  // The literal becomes a hint that skips the rule on lines without it, so
  // it must be in every line the pattern matches.
  it('is in every line that the pattern matches', () => {
    const patterns = [...shipped.map((r) => [r.pattern, r.flags] as const),
      ['\\b\\w+\\[(?<pid>\\d+)\\]:', ''], ['a(?:bc|d)?ef+gh', ''], ['(?<=x)yz\\.w', '']];
    const withLiteral = patterns.flatMap(([pattern, flags]) => {
      const literal = requiredLiteral(pattern, flags);
      return literal === undefined ? [] : [{ re: new RegExp(pattern, flags), literal }];
    });
    const pieces = [...withLiteral.map((p) => p.literal), ...shipped.flatMap((r) =>
      r.examples.map((e) => e.line)), 'abcefgh', 'adeffgh', 'xyz.w', 'app[12]:'];
    const line = fc.array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 4 }),
      fc.integer({ min: 0, max: 999 }).map(String)), { maxLength: 8 }).map((p) => p.join(''));

    expect(withLiteral.length).toBeGreaterThan(40);
    fc.assert(fc.property(line, (text) => {
      for (const { re, literal } of withLiteral) {
        if (re.test(text)) expect(text).toContain(literal);
      }
    }), { numRuns: 2000 });
  });
});

describe('the parsed copy of the shipped rules (rules/shipped.json)', () => {
  const yamlFiles = (dir: string) =>
    readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort().map((f) => join(dir, f));
  const parseFile = (file: string): unknown => parse(readFileSync(file, 'utf8'));

  it('matches rules/*.yaml; UPDATE_RULES_CACHE=1 npx vitest run test/rules.test.ts rewrites it',
    () => {
      if (process.env['UPDATE_RULES_CACHE'] === '1') updateShippedCache();
      const files = yamlFiles(SHIPPED_RULES_DIR);
      const cached = readCache(SHIPPED_RULES_DIR, files);

      expect(cached, 'rules/shipped.json is stale').toBeDefined();
      expect(Object.fromEntries(cached ?? [])).toEqual(
        Object.fromEntries(files.map((f) => [basename(f), parseFile(f)])));
    });

  it('is ignored once a rule file changes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostpid-rules-'));
    for (const name of ['nginx.yaml', 'redis.yaml']) {
      copyFileSync(join(SHIPPED_RULES_DIR, name), join(dir, name));
    }
    writeCache(dir, yamlFiles(dir), parseFile);

    expect(readCache(dir, yamlFiles(dir))?.size).toBe(2);
    appendFileSync(join(dir, 'redis.yaml'), '# edited\n');
    expect(readCache(dir, yamlFiles(dir))).toBeUndefined();
  });
});
