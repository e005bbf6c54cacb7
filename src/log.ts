import { createRequire } from 'node:module';

import type { Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

// Both are required on first use, not imported at the top: a run that logs
// nothing (--version, --help) should not pay their load time, and most runs
// log JSON and never need pino-pretty.
const require = createRequire(import.meta.url);

export type LogFormat = 'json' | 'pretty';

/**
 * Diagnostics go to stderr, synchronously, so the summary and a fatal error
 * are out before the process exits; stdout carries data only. A person at a
 * terminal gets one readable line per message, a log collector gets JSON.
 */
export function createLogger(level = 'info', format?: LogFormat): Logger {
  const pino = require('pino') as typeof import('pino');
  const options = { name: 'hostpid', level, base: null, timestamp: pino.stdTimeFunctions.isoTime };
  const chosen = format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (chosen === 'json') return pino(options, pino.destination({ fd: 2, sync: true }));

  const pretty = require('pino-pretty') as
    (options: PrettyOptions) => NodeJS.WritableStream;
  const stream = pretty({
    destination: 2,
    sync: true,
    ignore: 'time,name',
    singleLine: true,
    colorize: process.stderr.isTTY,
    messageFormat: 'hostpid: {msg}',
  });
  return pino(options, stream);
}

export type { Logger };
