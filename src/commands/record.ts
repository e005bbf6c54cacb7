import type { Argv } from 'yargs';

import type { CliContext, CommonArgs } from './context.js';

/** `hostpid record`; its work (run/record.ts) loads only when the command runs. */
export function registerRecord<T>(y: Argv<T>, ctx: CliContext): Argv<T> {
  return y.command('record', 'record process starts and exits into an SQLite file until ' +
    'SIGINT or SIGTERM, to resolve old logs by time with --snapshot later',
  (sub) => sub
    .option('out', { type: 'string', demandOption: true, requiresArg: true,
      describe: 'SQLite file to create (an existing file is refused)' })
    .option('interval', { type: 'number', default: 1000,
      describe: 'milliseconds between scans; a process that lives less than this may be missed' }),
  async (args) => {
    const common = args as unknown as CommonArgs;
    const { runRecord } = await import('../run/record.js');
    const { signal, release } = stopSignal();
    try {
      await runRecord({ procRoot: common.proc, out: args.out, intervalMs: args.interval,
        log: ctx.log(), signal });
    } finally {
      release();
    }
  });
}

/** Aborts on the first SIGINT or SIGTERM; `release` takes the handlers away again. */
function stopSignal(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const release = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  return { signal: controller.signal, release };
}
