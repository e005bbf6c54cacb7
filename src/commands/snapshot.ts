import type { Argv } from 'yargs';

import type { CliContext, CommonArgs } from './context.js';

/** `hostpid snapshot`; its work (run/snapshot.ts) loads only when the command runs. */
export function registerSnapshot<T>(y: Argv<T>, ctx: CliContext): Argv<T> {
  return y.command('snapshot', 'write the process table as JSON, to resolve old logs with ' +
    '--snapshot later',
  (sub) => sub.option('out', {
    type: 'string',
    demandOption: true,
    // Without it yargs takes a lone '-' for a positional argument.
    requiresArg: true,
    describe: 'file to write (replaced whole, never half-written), or - for stdout',
  }),
  async (args) => {
    const common = args as unknown as CommonArgs;
    const { runSnapshot } = await import('../run/snapshot.js');
    runSnapshot({ procRoot: common.proc, out: args.out, output: ctx.stdout, log: ctx.log() });
  });
}
