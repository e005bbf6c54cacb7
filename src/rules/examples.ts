import { distinct, findAll } from './match.js';
import type { Rule, RuleExample } from './types.js';

/** One example whose rule found something else than the file says. */
export interface ExampleFailure {
  rule: Rule;
  /** 1-based position of the example under the rule. */
  index: number;
  example: RuleExample;
  pids: number[];
  tids: number[];
}

export interface ExampleReport {
  rules: number;
  examples: number;
  /** Examples that expect no PID and no TID. */
  traps: number;
  failures: ExampleFailure[];
}

/**
 * Runs each rule over its own examples, alone, through the same matcher
 * the annotator uses (hints and JSON decoding included), and compares the
 * distinct PIDs and TIDs, in order, with what the example says.
 */
export function runExamples(rules: readonly Rule[]): ExampleReport {
  const report: ExampleReport = { rules: rules.length, examples: 0, traps: 0, failures: [] };

  for (const rule of rules) {
    const alone = [rule];
    for (const [i, example] of rule.examples.entries()) {
      report.examples++;
      const expectedTids = example.tids ?? [];
      if (example.pids.length === 0 && expectedTids.length === 0) report.traps++;

      const found = findAll(example.line, alone);
      const pids = distinct(found, 'pid');
      const tids = distinct(found, 'tid');
      if (sameList(pids, example.pids) && sameList(tids, expectedTids)) continue;

      report.failures.push({ rule, index: i + 1, example, pids, tids });
    }
  }
  return report;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
