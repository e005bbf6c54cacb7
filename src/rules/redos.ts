import { usageError } from '../errors.js';
import type { Rule } from './types.js';

/** What the backtracking check says about one rule. */
export interface BacktrackVerdict {
  rule: Rule;
  status: 'safe' | 'vulnerable' | 'unknown';
  /** For a vulnerable pattern: its complexity and an attack string. */
  reason?: string;
}

/**
 * Asks recheck (makenowjust-labs/recheck) whether each pattern can backtrack
 * catastrophically. recheck is loaded only here: it costs about 100 ms to
 * import, and its native checker takes from 20 ms to a second per pattern, so
 * it runs in `hostpid rules test`, on user rule files and in the test suite,
 * never on the start-up path of the shipped rules.
 */
export async function checkBacktracking(rules: readonly Rule[]): Promise<BacktrackVerdict[]> {
  const { check } = await import('recheck');
  const verdicts: BacktrackVerdict[] = [];

  for (const rule of rules) {
    const diagnostics = await check(rule.pattern, rule.flags, { timeout: 10_000 });
    if (diagnostics.status !== 'vulnerable') {
      verdicts.push({ rule, status: diagnostics.status });
      continue;
    }

    const attack = diagnostics.attack.pattern;
    const reason = `${diagnostics.complexity.type} time on input like ${attack}`;
    verdicts.push({ rule, status: 'vulnerable', reason });
  }
  return verdicts;
}

/**
 * Refuses the first rule whose pattern is vulnerable, unless the rule says
 * `unsafe: true`. An unknown verdict (the checker ran out of time) passes.
 */
export async function refuseBacktracking(rules: readonly Rule[]): Promise<void> {
  const checked = rules.filter((rule) => !rule.unsafe);
  for (const verdict of await checkBacktracking(checked)) {
    if (verdict.status !== 'vulnerable') continue;

    throw usageError(`${verdict.rule.file}: rule "${verdict.rule.name}": pattern can backtrack ` +
      `catastrophically (${verdict.reason}): rewrite it, or set "unsafe: true" to accept that`);
  }
}
