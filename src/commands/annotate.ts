import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

import { pipeline } from 'node:stream/promises';
import { resolve as resolvePath } from 'node:path';

import type { Argv } from 'yargs';

import { errnoCode, usageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { InputFormat } from '../formats/format.js';
import { INPUT_FORMATS } from '../formats/format.js';
import { ownerOfLogPath } from '../formats/logpath.js';
import { maybeGunzip } from '../lines/gunzip.js';
import { createAnnotator } from '../pipeline.js';
import { checkProcRoot } from '../proc/root.js';
import { Resolver } from '../resolve/resolver.js';
import { targetOfPod } from '../resolve/pod.js';
import {
  findTarget,
  NO_TARGET_HINT,
  resolveTarget,
  type Target,
  type TargetSpec,
} from '../resolve/target.js';
import { loadRules } from '../rules/load.js';
import { newStats, type RunStats } from '../stats.js';
import { type CliContext, type CommonArgs, defined, targetOptions } from './context.js';

export interface AnnotateOptions extends TargetSpec {
  files: string[];
  procRoot: string;
  rulePaths?: string[];
  maxScan?: number;
  inputFormat?: InputFormat | 'auto';
  input: Readable;
  output: Writable;
  log: Logger;
}

/**
 * The main job: every file (or stdin) through the annotator, in order, into
 * one output. Each file gets its own splitter and format, so a file that
 * lacks a final newline never runs into the next file's first line, and a
 * file whose path names its container resolves in that container.
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

  const sources = options.files.length === 0 ? ['-'] : options.files;
  checkFiles(sources);
  const targets = await targetsOf(sources, options, resolver);

  const stats = newStats();
  for (const [i, file] of sources.entries()) {
    const target = targets[i] as Target;
    log.debug({ path: file, ns: target.ns, via: target.via }, 'target namespace');

    const raw = file === '-' ? options.input : createReadStream(file);
    const annotator = createAnnotator({ ns: target.ns, rules, resolver, stats,
      ...defined({ maxScan: options.maxScan, input: options.inputFormat }) });
    await pipeline(maybeGunzip(raw), annotator, output, { end: i === sources.length - 1 });
  }

  const namespaces = [...new Set(targets.map((t) => t.ns))];
  log.info({ ...stats, rescans: resolver.stats.scans, ns: namespaces }, 'summary');
  return stats;
}

/**
 * One target for every source: the one the user named, or else the
 * container that each file's path names. All are found before any output.
 */
async function targetsOf(sources: readonly string[], spec: AnnotateOptions,
  resolver: Resolver): Promise<Target[]> {
  const { procRoot } = spec;
  const named = [spec.pid, spec.pidns, spec.container].some((v) => v !== undefined);
  if (named) {
    const target = await resolveTarget(spec, procRoot, resolver);
    return sources.map(() => target);
  }

  return sources.map((file) => {
    const owner = file === '-' ? undefined : ownerOfLogPath(resolvePath(file));
    if (owner === undefined) {
      const what = file === '-' ? 'stdin' : `${file}: its path names no container, so`;
      throw usageError(`no target namespace for ${what}: ${NO_TARGET_HINT}`);
    }

    return owner.kind === 'pod'
      ? targetOfPod(owner.podUid, owner.container, procRoot, resolver)
      : findTarget({ container: owner.id }, procRoot, resolver);
  });
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
      .option('input', {
        choices: INPUT_FORMATS,
        default: 'auto' as const,
        describe: 'line framing: docker-json (json-file), cri (containerd, CRI-O), ' +
          'timestamped (docker logs -t), raw; auto decides per file on its first line',
      })
      .option('docker-socket', {
        type: 'string',
        default: '/var/run/docker.sock',
        describe: 'Docker Engine API socket, asked when --container is a name',
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
        inputFormat: args.input,
        ...defined({ rulePaths: args.rules, pid: args.pid, pidns: args.pidns,
          container: args.container, dockerSocket: args['docker-socket'] }),
        input: ctx.stdin,
        output: ctx.stdout,
        log: ctx.log(),
      });
    });
}
