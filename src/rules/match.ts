import type { Rule } from './types.js';

/** One number a rule captured in a line. */
export interface Found {
  value: number;
  kind: 'pid' | 'tid';
  /** True when the rule says the number is a host PID already. */
  host: boolean;
  /** Offset of the number in the line, to keep PIDs in order of appearance. */
  at: number;
  rule: Rule;
  group: string;
}

/** Highest PID Linux can hand out (PID_MAX_LIMIT on 64-bit, 2^22). */
export const PID_MAX = 4_194_304;

/**
 * Every PID and TID that any rule finds in the line, ordered by where they
 * stand in it. Numbers outside 1..PID_MAX are not process ids (nginx prints
 * tid 0 when built without threads) and are skipped.
 */
export function findAll(line: string, rules: readonly Rule[]): Found[] {
  const found: Found[] = [];

  for (const rule of rules) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(line); m !== null; m = rule.re.exec(line)) {
      collect(found, rule, m, 'pid');
      collect(found, rule, m, 'tid');
      if (m[0] === '') rule.re.lastIndex++;
    }
  }

  if (found.length > 1) found.sort((a, b) => a.at - b.at);
  return found;
}

function collect(found: Found[], rule: Rule, m: RegExpExecArray, kind: 'pid' | 'tid'): void {
  const groups = kind === 'pid' ? rule.pidGroups : rule.tidGroups;

  for (const group of groups) {
    const text = m.groups?.[group.name];
    if (text === undefined) continue;

    const value = group.hex ? parseInt(text, 16) : Number(text);
    if (!Number.isSafeInteger(value) || value < 1 || value > PID_MAX) continue;

    const at = m.index + Math.max(0, m[0].indexOf(text));
    found.push({ value, kind, host: rule.host, at, rule, group: group.name });
  }
}

/** Distinct values of one kind, in order of first appearance. */
export function distinct(found: readonly Found[], kind: 'pid' | 'tid'): number[] {
  const seen = new Set<number>();
  for (const f of found) if (f.kind === kind) seen.add(f.value);
  return [...seen];
}
