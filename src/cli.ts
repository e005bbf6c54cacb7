import { readFileSync } from 'node:fs';

import yargs from 'yargs';

import { registerAnnotate } from './commands/annotate.js';
import type { CliContext, RegisterCommand } from './commands/context.js';
import { registerLookup } from './commands/lookup.js';
import { registerRecord } from './commands/record.js';
import { registerRules } from './commands/rules.js';
import { registerSnapshot } from './commands/snapshot.js';
import { registerTree } from './commands/tree.js';
import { errnoCode, HostpidError } from './errors.js';
import { createLogger, type LogFormat, type Logger } from './log.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const VERSION = (JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string }).version;

const COMMANDS: RegisterCommand[] = [
  registerAnnotate,
  registerLookup,
  registerTree,
  registerSnapshot,
  registerRecord,
  registerRules,
];

function buildParser(argv: string[], ctx: CliContext) {
  const parser = yargs(argv)
    .scriptName('hostpid')
    .usage('$0 [annotate] [FILE...]')
    .epilog(
      [
        'Reads FILEs in order, or stdin, and writes every line to stdout in order.',
        'Lines that name PIDs get " hostpid=VPID:HOSTPID,..." (HOSTPID "?" when unresolved);',
        'Lines naming thread ids also get " hosttid=VTID:HOSTTID,...".',
        'JSON object lines get "hostpid" (and "hosttid") members instead.',
        'Exit codes: 0 done, 1 runtime failure, 2 bad usage or configuration.',
        '',
        'Limits: reading other users\' /proc/PID/ns/pid needs root or CAP_SYS_PTRACE (without',
        'it their PIDs stay "?", with one warning); rules see the first --max-scan bytes of',
        'a line; --follow watches the FILEs named at start, not files created later.',
      ].join('\n'),
    )
    .option('proc', { type: 'string', default: '/proc', describe: 'procfs mount to read' })
    .option('log-level', {
      type: 'string',
      default: 'info',
      choices: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'],
      describe: 'stderr diagnostics; info logs the end-of-run summary',
    })
    .option('log-format', {
      choices: ['json', 'pretty'],
      describe: 'stderr as pino JSON lines, or one readable line each (default on a terminal)',
    })
    .strict()
    .version(VERSION)
    .help()
    .wrap(null)
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new HostpidError(message, { usage: true });
    });

  return COMMANDS.reduce((y, register) => register(y, ctx), parser);
}

/** Runs hostpid with `argv` and returns the exit code; never calls exit. */
export async function main(argv: string[]): Promise<number> {
  let logger: Logger | undefined;
  const log = () => (logger ??= createLogger(flagValue(argv, 'log-level') ?? 'info',
    flagValue(argv, 'log-format') as LogFormat | undefined));

  try {
    const ctx: CliContext = { stdin: process.stdin, stdout: process.stdout, log };
    await buildParser(argv, ctx).parseAsync();
    return EXIT_OK;
  } catch (err) {
    return exitCodeFor(err, log());
  }
}

function exitCodeFor(err: unknown, log: Logger): number {
  // A reader that went away (`| head`) is the normal end of a pipe, not a failure.
  if (errnoCode(err) === 'EPIPE') return EXIT_OK;

  if (err instanceof HostpidError) {
    log.error({ err: err.cause === undefined ? undefined : String(err.cause) }, err.message);
    return err.usage ? EXIT_USAGE : EXIT_FAILURE;
  }

  log.error({ err }, 'unexpected failure');
  return EXIT_FAILURE;
}

/** Reads a flag before yargs does: the logger must exist to report parse errors. */
function flagValue(argv: string[], name: string): string | undefined {
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at === -1) return undefined;

  const arg = argv[at] ?? '';
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1];
}
