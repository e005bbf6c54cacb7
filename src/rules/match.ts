import { headChars, requiredLiteral } from './first.js';
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
    sortByPlace(found);
  }
  return found;
}

/**
 * Insertion sort: stable, and a line holds a handful of numbers, where
 * Array.prototype.sort with a comparator was a tenth of the matching time.
 */
function sortByPlace(found: Found[]): void {
  for (let i = 1; i < found.length; i++) {
    const f = found[i] as Found;
    let j = i;
    for (; j > 0 && byPlace(found[j - 1] as Found, f) > 0; j--) found[j] = found[j - 1] as Found;
    found[j] = f;
  }
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
  const chosen = plan.select(text);

  for (const i of chosen) {
    const rule = rules[i] as Rule;
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
    const f: Found = { value, kind, host: rule.host, at: m.index + Math.max(0, first),
      matchAt: m.index, vague, rule, group: group.name };
    const time = m.groups?.['time'];
    if (time !== undefined) f.time = time;
    found.push(f);
  }
}

function byPlace(a: Found, b: Found): number {
  return a.at - b.at || Number(b.host) - Number(a.host);
}

/**
 * The pre-filter of one rule set. Hints first: each hint that contains a
 * shorter hint is filed under it ("worker (" under "worker "), and the
 * remaining roots, none inside another, are folded into one alternation
 * scanned once per line, stepping one character past each hit so that every
 * place a root stands is seen. Each hit offers the rules filed under its
 * root; a rule is chosen when its hint is the root itself or stands around
 * the hit (every place the hint stands holds its root, so no place is
 * missed, and the check reads the hint's length, not the line's). A rule
 * that names no hints gets the literal its every match holds, when its head
 * says little (see derivedHints); rules with no hint at all are offered on
 * every line.
 * Then heads: a rule anchored with "^" is dropped when the line's first
 * characters cannot start it (see headChars). Only the chosen rules run,
 * so the cost of a line follows the few rules it could match, not the
 * size of the library.
 */
interface Plan {
  /**
   * The rules to run on the text, in rule order. The list is the plan's own
   * and is overwritten by the next call.
   */
  select(text: string): readonly number[];
  /**
   * The rule's regex without the g flag, for its first match: a global
   * regex that fails (most do, on most lines) costs about twice as much,
   * for reading and writing lastIndex.
   */
  probe(rule: number): RegExp;
  /** Anchored with "^" (a head was read): it cannot match a second time. */
  once(rule: number): boolean;
}

/** A rule filed under a root, with the hint of the rule that put it there. */
interface Offer {
  rule: number;
  hint: string;
  /** Where the root stands in the hint. */
  rootAt: number;
  /** The hint is the root: the hit is enough. */
  exact: boolean;
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
  const heads = rules.map((r) => headChars(r.pattern, r.flags));
  const hintsOf = rules.map((r, i) => (r.hints.length > 0 ? r.hints : derivedHints(r, heads[i])));
  const hints = [...new Set(hintsOf.flat())].sort((a, b) => a.length - b.length);
  const roots: string[] = [];
  const rootOf = new Map<string, number>();
  for (const hint of hints) {
    const inside = roots.findIndex((root) => hint.includes(root));
    if (inside === -1) roots.push(hint);
    rootOf.set(hint, inside === -1 ? roots.length - 1 : inside);
  }

  const offers: Offer[][] = roots.map(() => []);
  hintsOf.forEach((ruleHints, rule) => {
    for (const hint of ruleHints) {
      const root = rootOf.get(hint) ?? 0;
      const rootAt = hint.indexOf(roots[root] ?? '');
      offers[root]?.push({ rule, hint, rootAt, exact: hint === roots[root] });
    }
  });
  // In name order irregexp shares the work of alternatives with a common
  // start: about 10% faster on the bench corpus than in length order.
  const alternation = [...roots].sort().map(escape).join('|');
  const gate = roots.length === 0 ? undefined : new RegExp(alternation, 'g');
  const hintless = hintsOf.flatMap((ruleHints, i) => (ruleHints.length === 0 ? [i] : []));
  const hintlessBy = Array.from({ length: 128 }, (_v, code) =>
    hintless.filter((i) => heads[i]?.[0]?.[code] !== 0));
  const probes = rules.map((r) => new RegExp(r.re.source, r.re.flags.replace('g', '')));

  // Scratch space reused line after line: which line last chose each rule
  // (a counter, so nothing needs clearing) and the list handed back.
  const chosenOn = new Float64Array(rules.length);
  let lineNo = 0;
  const chosen: number[] = [];

  // Which root a hit was: test() makes no match array, and exactly one root
  // ends where it stopped, since none is inside another.
  const byLast = new Map<number, number[]>();
  roots.forEach((root, i) => {
    const last = root.charCodeAt(root.length - 1);
    byLast.set(last, [...(byLast.get(last) ?? []), i]);
  });
  const rootEndingAt = (text: string, end: number): number => {
    const endingSo = byLast.get(text.charCodeAt(end - 1)) ?? [];
    for (const i of endingSo) {
      const root = roots[i] ?? '';
      if (text.startsWith(root, end - root.length)) return i;
    }
    return 0;
  };

  const fits = (rule: number, text: string): boolean => {
    const head = heads[rule];
    return head === undefined || startsLike(text, head);
  };
  // Kept in rule order as it grows, so that two rules capturing the same
  // spot come out as they always have; the list is a handful long, and
  // Array.prototype.sort with a comparator cost more than the rest of the
  // pre-filter.
  const choose = (rule: number): void => {
    chosenOn[rule] = lineNo;
    let i = chosen.length;
    chosen.push(rule);
    for (; i > 0 && (chosen[i - 1] ?? 0) > rule; i--) chosen[i] = chosen[i - 1] ?? 0;
    chosen[i] = rule;
  };

  return {
    select(text) {
      lineNo++;
      chosen.length = 0;
      const code = text.charCodeAt(0);
      for (const rule of (code < 128 ? hintlessBy[code] : undefined) ?? hintless) {
        if (fits(rule, text)) choose(rule);
      }
      if (gate === undefined) return chosen;

      gate.lastIndex = 0;
      while (gate.test(text)) {
        const end = gate.lastIndex;
        const root = rootEndingAt(text, end);
        const at = end - (roots[root] ?? '').length;
        const offered = offers[root] ?? [];
        for (let k = 0; k < offered.length; k++) {
          const { rule, hint, rootAt, exact } = offered[k] as Offer;
          if (chosenOn[rule] === lineNo) continue;
          if ((exact || text.startsWith(hint, at - rootAt)) && fits(rule, text)) choose(rule);
        }
        gate.lastIndex = at + 1;
      }
      return chosen;
    },
    probe(rule) {
      return probes[rule] as RegExp;
    },
    once(rule) {
      return heads[rule] !== undefined;
    },
  };
}

/**
 * A hint for a rule that names none and whose head says little (a user's
 * rule file, most often): the literal every match holds, if there is one.
 * A rule with a long head is left alone: its head already filters, and each
 * hint added to the gate costs every line a little.
 */
function derivedHints(rule: Rule, head: readonly Uint8Array[] | undefined): string[] {
  if (head !== undefined && head.length >= 4) return [];

  const literal = requiredLiteral(rule.pattern, rule.flags);
  return literal === undefined ? [] : [literal];
}

/** Whether the text's first characters fit the head. */
function startsLike(text: string, head: readonly Uint8Array[]): boolean {
  if (text.length < head.length) return false;

  for (let i = 0; i < head.length; i++) {
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
