import type { Writable } from 'node:stream';

import type { Argv } from 'yargs';

import { type CliContext, type CommonArgs, defined } from './context.js';

/** `hostpid tree`; its work (run/tree.ts) loads only when the command runs. */
export function registerTree<T>(y: Argv<T>, ctx: CliContext): Argv<T> {
  return y.command('tree', 'show the pid namespace hierarchy (tree, table or json)',
    (sub) => sub.option('snapshot', {
      type: 'string',
      describe: 'read a file of hostpid snapshot or hostpid record instead of --proc',
    }).option('format', {
      choices: ['tree', 'table', 'json'] as const,
      describe: 'tree draws it (default on a terminal); table is the seed\'s ' +
        '"<init_PID> <parent_of_init_PID> <level>" per namespace below the root ' +
        '(default when stdout is not a terminal); json for programs',
    }),
    async (args) => {
      const common = args as unknown as CommonArgs;
      const tty = (ctx.stdout as Writable & { isTTY?: boolean }).isTTY === true;
      const { runTree } = await import('../run/tree.js');
      runTree({
        procRoot: common.proc,
        ...defined({ snapshot: args.snapshot }),
        format: args.format ?? (tty ? 'tree' : 'table'),
        output: ctx.stdout,
        log: ctx.log(),
      });
    });
}
