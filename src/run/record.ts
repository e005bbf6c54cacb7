
import { usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkProcRoot } from '../proc/root.js';
import { record, type RecordStats } from '../snapshot/recorder.js';

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
