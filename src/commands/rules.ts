import type { Argv } from 'yargs';

import type { RulesFormat } from '../run/rules.js';
import type { CliContext } from './context.js';

// The work (run/rules.ts, with split2 and recheck) loads only when it runs.
const run = () => import('../run/rules.js');
const load = () => import('../rules/load.js');

const RULES_OPTION = {
  type: 'string',
  array: true,
  describe: 'rule file or directory, repeatable; replaces the shipped rules',
} as const;

/** `hostpid rules [list|test|explain]`. */
export function registerRules<T>(y: Argv<T>, ctx: CliContext): Argv<T> {
  return y.command('rules', 'list the rules, test them, explain what they match',
    (sub) => sub
      .option('rules', RULES_OPTION)
      .command(['list', '$0'], 'list the rules: name, file, description',
        (list) => list.option('format', { choices: ['text', 'json'] as const, default: 'text' }),
        async (args) => {
          const [{ runRulesList }, { loadRules }] = await Promise.all([run(), load()]);
          runRulesList(loadRules(rulePaths(args.rules)), args.format as RulesFormat, ctx.stdout);
        })
      .command('test', 'run every rule on its examples and check its pattern for backtracking; ' +
        'exit 1 on a failure',
        (test) => test.option('backtracking', {
          type: 'boolean',
          default: true,
          describe: 'also check every pattern with recheck (about 10 s for the shipped rules)',
        }),
        async (args) => {
          const [{ runRulesTest }, { loadRules }] = await Promise.all([run(), load()]);
          const rules = loadRules(rulePaths(args.rules));
          await runRulesTest(rules, { backtracking: args.backtracking, output: ctx.stdout });
        })
      .command('explain [files..]', 'show, for each line, which rule matched which span and ' +
        'captured which PID/TID',
        (ex) => ex.positional('files', { type: 'string', array: true,
          describe: 'files of log lines; none: stdin' }),
        async (args) => {
          const [{ runRulesExplain }, { loadCheckedRules }] = await Promise.all([run(), load()]);
          const rules = await loadCheckedRules(rulePaths(args.rules));
          await runRulesExplain(rules, { files: (args.files as string[] | undefined) ?? [],
            input: ctx.stdin, output: ctx.stdout });
        }),
    () => undefined);
}

function rulePaths(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 ? value.map(String) : undefined;
}
