import { headChars } from './first.js';
import type { GroupSpec, Rule } from './types.js';

/** One number a rule captured in a line. */
export interface Found {
  value: number;
  kind: 'pid' | 'tid';
  /** True when the rule says the number is a host PID already. */
  host: boolean;
  /** Offset of the number in the text matched, to keep PIDs in order of appearance. */
  at: number;
  /** Offset of the whole match, where the rule matched. */
  matchAt: number;
  /** `at` may be wrong: the captured digits occur more than once in the match. */
  vague: boolean;
  rule: Rule;
  group: string;
  /** The text of the match's `time` group, when the rule has one. */
  time?: string;
}

/** Highest PID Linux can hand out (PID_MAX_LIMIT on 64-bit, 2^22). */
export const PID_MAX = 4_194_304;

/**
 * Every PID and TID that any rule finds in the line, ordered by where they
 * stand in it (a host rule first when two rules capture the same spot).
 * Numbers outside 1..PID_MAX are not process ids (nginx prints tid 0 when
 * built without threads, httpd before 2.4.60 a pthread_t) and are skipped.
 */
export function findAll(line: string, rules: readonly Rule[]): Found[] {
  const found: Found[] = [];

  scan(line, rules, (rule, m) => {
    collect(found, rule, m, rule.pidGroups, 'pid');
    collect(found, rule, m, rule.tidGroups, 'tid');
  });

  if (found.length > 1) {
    const mixed = found.some((f) => f.value !== found[0]?.value);
    if (mixed && found.some((f) => f.vague)) placeExactly(found, line);
    found.sort(byPlace);
  }
  return found;
}

/**
 * Where each number stands, to the character. The first pass takes the
 * place the captured digits occur in the match, which is exact when they
 * occur there once, and can mislead the order of several numbers when not
 * ("2026/12/03 ... 1#1: start worker process 2" holds a "2" early). Only
 * those vague ones, on lines with different numbers, pay for this second
 * pass, which re-runs the rule at its match with group indices ('d') on.
 */
function placeExactly(found: Found[], line: string): void {
  const text = matchText(line);

  for (const f of found) {
    if (!f.vague) continue;

    const re = indexed(f.rule);
    re.lastIndex = f.matchAt;
    const span = re.exec(text)?.indices?.groups?.[f.group];
    if (span !== undefined) f.at = span[0];
  }
}

const indexedRegexes = new WeakMap<Rule, RegExp>();

function indexed(rule: Rule): RegExp {
  let re = indexedRegexes.get(rule);
  if (re === undefined) {
    re = new RegExp(rule.re.source, `${rule.re.flags.replace('g', '')}dy`);
    indexedRegexes.set(rule, re);
  }
  return re;
}

/** Distinct values of one kind, in order of first appearance. */
export function distinct(found: readonly Found[], kind: 'pid' | 'tid'): number[] {
  const seen = new Set<number>();
  for (const f of found) if (f.kind === kind) seen.add(f.value);
  return [...seen];
}

/**
 * Runs every rule that the pre-filter (see buildPlan) lets through over the
 * text to match,
 * calling onMatch for each match, and returns that text. The text is the
 * line itself, except for a JSON object line with backslash escapes: its
 * escapes are decoded in place first (see matchText).
 */
export function scan(
  line: string,
  rules: readonly Rule[],
  onMatch: (rule: Rule, m: RegExpExecArray) => void,
): string {
  const text = matchText(line);
  const plan = planFor(rules);
  const present = plan.hintsIn(text);

  for (const i of plan.candidates(text)) {
    const rule = rules[i] as Rule;
    if (!plan.wanted(i, present, text)) continue;

    const first = plan.probe(i).exec(text);
    if (first === null) continue;

    onMatch(rule, first);
    if (plan.once(i)) continue;

    rule.re.lastIndex = first.index + (first[0] === '' ? 1 : first[0].length);
    for (let m = rule.re.exec(text); m !== null; m = rule.re.exec(text)) {
      onMatch(rule, m);
      if (m[0] === '') rule.re.lastIndex++;
    }
  }
  return text;
}

/**
 * JSON lines are matched on their values as the program wrote them: a line
 * that starts with "{" and holds a backslash gets its JSON string escapes
 * decoded where they stand (\u003c becomes "<", \" a quote, \n a newline),
 * keeping the keys, quotes and commas around them. Rules written for JSON
 * ("pid":7, "_PID":"812") still see the JSON shape, and rules for the text
 * inside a value see its real characters. Decoding is one regex replace
 * and only such lines pay for it; everything else is matched as it is.
 */
export function matchText(line: string): string {
  if (line.charCodeAt(0) !== 0x7b || !line.includes('\\')) return line;

  return line.replace(JSON_ESCAPE, decodeEscape);
}

const JSON_ESCAPE = /\\(?:u([0-9a-fA-F]{4})|([^u]))/g;
const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f' };

function decodeEscape(_all: string, hex: string | undefined, char: string | undefined): string {
  if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
  return SIMPLE_ESCAPES[char ?? ''] ?? char ?? '';
}

function collect(
  found: Found[],
  rule: Rule,
  m: RegExpExecArray,
  groups: readonly GroupSpec[],
  kind: 'pid' | 'tid',
): void {
  for (const group of groups) {
    const text = m.groups?.[group.name];
    if (text === undefined) continue;

    const value = group.hex ? parseInt(text, 16) : Number(text);
    if (!Number.isSafeInteger(value) || value < 1 || value > PID_MAX) continue;

    const first = m[0].indexOf(text);
    const vague = first !== m[0].lastIndexOf(text);
    const time = m.groups?.['time'];
    found.push({ value, kind, host: rule.host, at: m.index + Math.max(0, first),
      matchAt: m.index, vague, rule, group: group.name, ...(time === undefined ? {} : { time }) });
  }
}

function byPlace(a: Found, b: Found): number {
  return a.at - b.at || Number(b.host) - Number(a.host);
}

/**
 * The pre-filter of one rule set. A rule anchored with "^" is skipped when
 * the line's first characters cannot start it (see headChars). Then hints:
 * each hint that contains a shorter hint is filed under it ("worker (" under
 * "worker "), and the remaining roots, none a prefix of another, are folded
 * into one alternation scanned once per line, stepping one character past
 * each hit so that every root present is seen. A rule runs when one of its
 * hints is in the line: its root was seen, and the hint is the root itself
 * or text.includes finds it.
 */
interface Plan {
  /** Rules whose head allows the line's first character, in rule order. */
  candidates(text: string): readonly number[];
  hintsIn(text: string): Uint8Array;
  wanted(rule: number, present: Uint8Array, text: string): boolean;
  /**
   * The rule's regex without the g flag, for its first match: a global
   * regex that fails (most do, on most lines) costs about twice as much,
   * for reading and writing lastIndex.
   */
  probe(rule: number): RegExp;
  /** Anchored with "^" (a head was read): it cannot match a second time. */
  once(rule: number): boolean;
}

const plans = new WeakMap<readonly Rule[], Plan>();

function planFor(rules: readonly Rule[]): Plan {
  let plan = plans.get(rules);
  if (plan === undefined) {
    plan = buildPlan(rules);
    plans.set(rules, plan);
  }
  return plan;
}

function buildPlan(rules: readonly Rule[]): Plan {
  const hints = [...new Set(rules.flatMap((r) => r.hints))].sort((a, b) => a.length - b.length);
  const roots: string[] = [];
  const rootOf = new Map<string, number>();
  for (const hint of hints) {
    const inside = roots.findIndex((root) => hint.includes(root));
    if (inside === -1) roots.push(hint);
    rootOf.set(hint, inside === -1 ? roots.length - 1 : inside);
  }

  const ids = new Map(roots.map((root, i) => [root, i]));
  const ruleHints = rules.map((r) => r.hints.map((hint) => ({ hint, root: rootOf.get(hint) ?? 0,
    exact: roots.includes(hint) })));
  const heads = rules.map((r) => headChars(r.pattern, r.flags));
  // In name order irregexp shares the work of alternatives with a common
  // start: about 10% faster on the bench corpus than in length order.
  const alternation = [...roots].sort().map(escape).join('|');
  const gate = roots.length === 0 ? undefined : new RegExp(alternation, 'g');
  const all = rules.map((_r, i) => i);
  const probes = rules.map((r) => new RegExp(r.re.source, r.re.flags.replace('g', '')));
  const byFirst = Array.from({ length: 128 }, (_v, code) =>
    all.filter((i) => heads[i]?.[0]?.[code] !== 0));

  return {
    candidates(text) {
      const code = text.charCodeAt(0);
      return code < 128 ? (byFirst[code] ?? all) : all;
    },
    hintsIn(text) {
      const present = new Uint8Array(roots.length);
      if (gate === undefined) return present;

      gate.lastIndex = 0;
      for (let m = gate.exec(text); m !== null; m = gate.exec(text)) {
        present[ids.get(m[0]) ?? 0] = 1;
        gate.lastIndex = m.index + 1;
      }
      return present;
    },
    probe(rule) {
      return probes[rule] as RegExp;
    },
    once(rule) {
      return heads[rule] !== undefined;
    },
    wanted(rule, present, text) {
      const head = heads[rule];
      if (head !== undefined && !startsLike(text, head)) return false;

      const needed = ruleHints[rule] ?? [];
      if (needed.length === 0) return true;
      for (const { hint, root, exact } of needed) {
        if (present[root] === 1 && (exact || text.includes(hint))) return true;
      }
      return false;
    },
  };
}

/** Whether the text fits the head; position 0 was checked by candidates. */
function startsLike(text: string, head: readonly Uint8Array[]): boolean {
  if (text.length < head.length) return false;

  for (let i = 1; i < head.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 128 && head[i]?.[code] === 0) return false;
  }
  return true;
}

function escape(literal: string): string {
  return literal.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** One match of one rule, for `hostpid rules explain`. */
export interface Explained {
  rule: Rule;
  start: number;
  end: number;
  /** Every pid/tid group that took part, kept or not. */
  captures: Array<{ group: string; kind: 'pid' | 'tid'; text: string; value: number | undefined }>;
}

/**
 * What findAll sees in a line, match by match: the text it matched (the
 * line, or its JSON-decoded form) and each rule's span and captures. A
 * capture's value is undefined when it is no PID (0, or above PID_MAX).
 */
export function explain(
  line: string,
  rules: readonly Rule[],
): { text: string; matches: Explained[] } {
  const matches: Explained[] = [];

  const text = scan(line, rules, (rule, m) => {
    const captures: Explained['captures'] = [];
    for (const [kind, groups] of [['pid', rule.pidGroups], ['tid', rule.tidGroups]] as const) {
      for (const group of groups) {
        const captured = m.groups?.[group.name];
        if (captured === undefined) continue;

        const found: Found[] = [];
        collect(found, rule, m, [group], kind);
        captures.push({ group: group.name, kind, text: captured, value: found[0]?.value });
      }
    }
    matches.push({ rule, start: m.index, end: m.index + m[0].length, captures });
  });

  matches.sort((a, b) => a.start - b.start);
  return { text, matches };
}
