import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

import type { Argv } from 'yargs';
import { pipeline } from 'node:stream/promises';

import { errnoCode, usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { createAnnotator } from '../pipeline.js';
import { checkProcRoot } from '../proc/root.js';
import { Resolver } from '../resolve/resolver.js';
import { findTarget, type TargetSpec } from '../resolve/target.js';
import { loadRules } from '../rules/load.js';
import { newStats, type RunStats } from '../stats.js';
import { type CliContext, type CommonArgs, defined, targetOptions } from './context.js';

export interface AnnotateOptions extends TargetSpec {
  files: string[];
  procRoot: string;
  rulePaths?: string[];
  maxScan?: number;
  input: Readable;
  output: Writable;
  log: Logger;
}

/**
 * The main job: every file (or stdin) through the annotator, in order, into
 * one output. Each file gets its own splitter, so a file that lacks a final
 * newline never runs into the next file's first line.
 */
export async function runAnnotate(options: AnnotateOptions): Promise<RunStats> {
  const { log, output } = options;
  checkProcRoot(options.procRoot);
  const rules = loadRules(options.rulePaths);
  const resolver = new Resolver({
    procRoot: options.procRoot,
    onUnreadable: (count, sample) => log.warn({ count, path: sample.path, reason: sample.reason },
      'some processes could not be read; their PIDs stay "?": run as root or with ' +
      'CAP_SYS_PTRACE, and mount /proc without hidepid'),
  });
  const target = findTarget(options, options.procRoot, resolver);
  log.debug({ ns: target.ns, via: target.via, rules: rules.length }, 'target namespace');

  const stats = newStats();
  const sources = options.files.length === 0 ? ['-'] : options.files;
  checkFiles(sources);
  for (const [i, file] of sources.entries()) {
    const input = file === '-' ? options.input : createReadStream(file);
    const annotator = createAnnotator({ ns: target.ns, rules, resolver, stats,
      ...(options.maxScan === undefined ? {} : { maxScan: options.maxScan }) });
    const last = i === sources.length - 1;
    await pipeline(input, annotator, output, { end: last });
  }

  log.info({ ...stats, rescans: resolver.stats.scans, ns: target.ns }, 'summary');
  return stats;
}

/** Checks every file before the first byte goes out, so a typo costs no output. */
function checkFiles(files: readonly string[]): void {
  for (const file of files) {
    if (file === '-') continue;

    try {
      accessSync(file, constants.R_OK);
      if (statSync(file).isDirectory()) throw Object.assign(new Error(), { code: 'EISDIR' });
    } catch (err) {
      throw usageError(`cannot read ${file} (${errnoCode(err) ?? String(err)}): ` +
        'give files to read, or none to read stdin');
    }
  }
}

/** `hostpid [annotate] [FILE...]`, the default command. */
export function registerAnnotate<T>(y: Argv<T>, ctx: CliContext): Argv<T> {
  return y.command(['annotate [files..]', '$0 [files..]'], 'annotate log lines (the default)',
    (sub) => targetOptions(sub)
      .positional('files', { type: 'string', array: true, describe: 'log files; none: stdin' })
      .option('rules', {
        type: 'string',
        array: true,
        describe: 'rule file or directory, repeatable; replaces the shipped rules',
      })
      .option('max-scan', {
        type: 'number',
        default: 64 * 1024,
        describe: 'bytes of each line the rules look at; the rest passes through unread',
      }),
    async (args) => {
      const common = args as unknown as CommonArgs;
      await runAnnotate({
        files: (args.files as string[] | undefined) ?? [],
        procRoot: common.proc,
        maxScan: args['max-scan'],
        ...defined({ rulePaths: args.rules, pid: args.pid, pidns: args.pidns,
          container: args.container }),
        input: ctx.stdin,
        output: ctx.stdout,
        log: ctx.log(),
      });
    });
}
