import { usageError } from '../errors.js';
import type { Rule } from './types.js';

/** What the backtracking check says about one rule. */
export interface BacktrackVerdict {
  rule: Rule;
  status: 'safe' | 'vulnerable' | 'unknown';
  /** For a vulnerable pattern: its complexity and an attack string. */
  reason?: string;
}

// The fuzz checker found every polynomial pattern the automaton checker did
// on this rule set, in 11 s for all of it instead of 77 s (the automaton
// checker spends seconds on patterns with long literal runs). recheck seeds
// its fuzzer with a fixed value, so verdicts repeat from run to run.
const CHECK_PARAMS = { checker: 'fuzz', timeout: 10_000 } as const;

/**
 * Asks recheck (makenowjust-labs/recheck) whether each pattern can backtrack
 * catastrophically. recheck is loaded only here: it costs about 100 ms to
 * import and its native checker up to a second per pattern, so it runs in
 * `hostpid rules test`, on user rule files and in the test suite, never on
 * the start-up path of the shipped rules. One rule at a time: the checker
 * serves concurrent requests no faster, and they then run into the timeout.
 */
export async function checkBacktracking(rules: readonly Rule[]): Promise<BacktrackVerdict[]> {
  const { check } = await import('recheck');
  const verdicts: BacktrackVerdict[] = [];

  for (const rule of rules) {
    const diagnostics = await check(rule.pattern, rule.flags, CHECK_PARAMS);
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
