import { readFileSync } from 'node:fs';

import yargs, { type Argv } from 'yargs';

import { runAnnotate } from './commands/annotate.js';
import { errnoCode, HostpidError } from './errors.js';
import { createLogger, type Logger } from './log.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const VERSION = (JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string }).version;

interface Common {
  proc: string;
  'log-level': string;
}

function targetOptions<T>(y: Argv<T>) {
  return y
    .option('container', {
      type: 'string',
      describe: 'container id, or a prefix of at least 12 hex digits',
    })
    .option('pid', {
      type: 'number',
      describe: 'host PID of any process in the container (docker inspect -f {{.State.Pid}})',
    })
    .option('pidns', { type: 'string', describe: 'pid namespace: 4026532388 or pid:[4026532388]' })
    .group(['container', 'pid', 'pidns'], 'Whose PIDs the log holds (give one):');
}

function buildParser(argv: string[], log: () => Logger) {
  return yargs(argv)
    .scriptName('hostpid')
    .usage('$0 [annotate] [FILE...]\n\n' +
      'Adds the host PID to every PID that container log lines name.\n' +
      'Reads FILEs in order, or stdin; writes every line to stdout, in order,\n' +
      'with " hostpid=VPID:HOSTPID,..." appended (a "hostpid" member for JSON lines).')
    .option('proc', { type: 'string', default: '/proc', describe: 'procfs mount to read' })
    .option('log-level', {
      type: 'string',
      default: 'info',
      choices: ['fatal', 'error', 'warn', 'info', 'debug', 'silent'],
      describe: 'stderr diagnostics (pino JSON); info logs the end-of-run summary',
    })
    .command(['annotate [files..]', '$0 [files..]'], 'annotate log lines (the default)',
      (y) => targetOptions(y)
        .positional('files', { type: 'string', array: true, describe: 'log files; none: stdin' })
        .option('rules', {
          type: 'string',
          array: true,
          describe: 'rule file or directory, repeatable; replaces the shipped rules',
        })
        .option('max-scan', {
          type: 'number',
          describe: 'bytes of a line the rules look at; longer lines pass through whole',
          default: 64 * 1024,
        }),
      async (args) => {
        await runAnnotate({
          files: (args.files as string[] | undefined) ?? [],
          procRoot: (args as unknown as Common).proc,
          ...(args.rules === undefined ? {} : { rulePaths: args.rules }),
          maxScan: args['max-scan'],
          ...(args.pid === undefined ? {} : { pid: args.pid }),
          ...(args.pidns === undefined ? {} : { pidns: args.pidns }),
          ...(args.container === undefined ? {} : { container: args.container }),
          input: process.stdin,
          output: process.stdout,
          log: log(),
        });
      })
    .strict()
    .version(VERSION)
    .help()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .exitProcess(false)
    .fail((message, err) => {
      throw err ?? new HostpidError(message, { usage: true });
    });
}

/** Runs hostpid with `argv` and returns the exit code; never calls exit. */
export async function main(argv: string[]): Promise<number> {
  let logger: Logger | undefined;
  const log = () => (logger ??= createLogger(levelOf(argv)));

  try {
    await buildParser(argv, log).parseAsync();
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

function levelOf(argv: string[]): string {
  const at = argv.findIndex((a) => a === '--log-level' || a.startsWith('--log-level='));
  if (at === -1) return 'info';

  const arg = argv[at] ?? '';
  return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[at + 1] ?? 'info';
}
