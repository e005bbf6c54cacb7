import pino, { type Logger } from 'pino';

/**
 * Diagnostics go to stderr, synchronously, so the summary and a fatal error
 * are on the terminal before the process exits; stdout carries data only.
 */
export function createLogger(level = 'info'): Logger {
  return pino(
    { name: 'hostpid', level, base: null, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
