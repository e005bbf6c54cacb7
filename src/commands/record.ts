import type { Argv } from 'yargs';

import { usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkProcRoot } from '../proc/root.js';
import { record, type RecordStats } from '../snapshot/recorder.js';
import type { CliContext, CommonArgs } from './context.js';

export interface RecordCommandOptions {
  procRoot: string;
  out: string;
  intervalMs: number;
  log: Logger;
  /** Stops the record; the CLI aborts it on SIGINT and SIGTERM. */
  signal: AbortSignal;
}

/** Scans shorter than this would spend the machine on reading /proc. */
const MIN_INTERVAL_MS = 10;

/** Records process starts and exits into an SQLite file until told to stop. */
export async function runRecord(options: RecordCommandOptions): Promise<RecordStats> {
  const { log } = options;
  if (options.out === '-') throw usageError('a record is an SQLite file: give --out a file name');
  if (!Number.isSafeInteger(options.intervalMs) || options.intervalMs < MIN_INTERVAL_MS) {
    throw usageError(`--interval must be a whole number of milliseconds, at least ` +
      `${MIN_INTERVAL_MS}`);
  }
  checkProcRoot(options.procRoot);

  log.info({ out: options.out, intervalMs: options.intervalMs, procRoot: options.procRoot },
    'recording until SIGINT or SIGTERM');
  const stats = await record({ procRoot: options.procRoot, out: options.out,
    intervalMs: options.intervalMs, log }, options.signal);
  log.info({ ...stats, out: options.out }, 'record closed');
  return stats;
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

/** `hostpid record --out FILE --interval MS`: process starts and exits, until stopped. */
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
    const { signal, release } = stopSignal();
    try {
      await runRecord({ procRoot: common.proc, out: args.out, intervalMs: args.interval,
        log: ctx.log(), signal });
    } finally {
      release();
    }
  });
}
