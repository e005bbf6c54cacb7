import { accessSync, constants, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { defined } from '../defined.js';
import { errnoCode, usageError } from '../errors.js';
import type { InputFormat } from '../formats/format.js';
import { ownerOfLogPath } from '../formats/logpath.js';
import { maybeGunzip } from '../lines/gunzip.js';
import { LineMerger } from '../lines/merge.js';
import { serveMetrics, renderMetrics } from '../live/metrics.js';
import { openSource, type Source } from '../live/sources.js';
import type { Logger } from '../log.js';
import { createAnnotator, type Annotator } from '../pipeline.js';
import { checkProcRoot } from '../proc/root.js';
import { targetOfPod } from '../resolve/pod.js';
import {
  findTarget,
  NO_TARGET_HINT,
  resolveTarget,
  type Target,
  type TargetSpec,
} from '../resolve/target.js';
import type { Resolver } from '../resolve/resolver.js';
import { loadCheckedRules } from '../rules/load.js';
import { newStats, type RunStats } from '../stats.js';
import { openResolution, type Resolution, recordedTargetOf } from './resolution.js';

export interface AnnotateOptions extends TargetSpec {
  files: string[];
  procRoot: string;
  rulePaths?: string[];
  maxScan?: number;
  inputFormat?: InputFormat | 'auto';
  /** A file of `hostpid snapshot` or `hostpid record` to resolve against. */
  snapshot?: string;
  /** Follow files as they grow (tail -F); stdin is always read to its end. */
  follow?: boolean;
  /** Rescan the procfs in the background this often (ms), so exits are seen. */
  watchMs?: number;
  /** How long an exited process still answers for its PID (ms). */
  rememberMs?: number;
  statsIntervalMs?: number;
  metricsPort?: number;
  metricsHost?: string;
  input: Readable;
  output: Writable;
  log: Logger;
  /** The process to take signals from; tests pass an EventEmitter. */
  signals?: NodeJS.EventEmitter;
}

const POLL_MS = 250;

/**
 * The main job: every file (or stdin) through its own annotator into one
 * output. One after the other, or all at once with --follow, whole lines
 * only. Each file gets its own splitter and format, so a file that lacks a
 * final newline never runs into the next one, and a file whose path names
 * its container resolves in that container.
 *
 * SIGTERM and SIGINT stop the inputs; what was read is annotated, written
 * and counted, and the run ends normally. SIGHUP reloads the rule files and
 * keeps the old rules when the new ones are bad.
 */
export async function runAnnotate(options: AnnotateOptions): Promise<RunStats> {
  const { log } = options;
  if (options.snapshot === undefined) checkProcRoot(options.procRoot);
  let rules = await loadCheckedRules(options.rulePaths);
  const files = options.files.length === 0 ? ['-'] : options.files;
  checkFiles(files);
  const resolution = openResolution(options);
  const { resolver, history } = resolution;
  const targets = await targetsOf(files, options, resolution);
  for (const target of targets) resolver.pin(target.ns);
  const stats = newStats();
  const running = new Set<{ source: Source; annotator: Annotator }>();
  let stopped = false;

  const stop = (signal: string) => {
    log.info({ signal }, 'stopping: flushing what was read');
    stopped = true;
    for (const { source } of running) source.stop();
  };
  // A new rule file is checked like the first one: a pattern that would
  // backtrack catastrophically is refused, and the old rules stay.
  const reload = () => {
    loadCheckedRules(options.rulePaths).then((fresh) => {
      rules = fresh;
      for (const { annotator } of running) annotator.setRules(rules);
      log.info({ rules: rules.length }, 'rules reloaded');
    }, (err: unknown) => {
      log.error({ err: (err as Error).message }, 'rules not reloaded; the old ones stay');
    });
  };
  const background = await startBackground(options, resolver, stats);
  const signals = options.signals ?? process;
  signals.on('SIGTERM', stop).on('SIGINT', stop).on('SIGHUP', reload);

  const one = async (i: number, sink: Writable, end: boolean) => {
    const file = files[i] as string;
    const target = targets[i] as Target;
    log.debug({ path: file, ns: target.ns, via: target.via }, 'target namespace');

    const source = await openSource(file, { stdin: options.input, follow: options.follow === true,
      pollMs: POLL_MS });
    const annotator = createAnnotator({ ns: target.ns, rules, resolver, stats,
      ...defined({ maxScan: options.maxScan, input: options.inputFormat, history }) });
    const entry = { source, annotator };
    running.add(entry);
    if (stopped) source.stop();
    try {
      await pipeline(maybeGunzip(source.stream), annotator, sink, { end });
    } finally {
      running.delete(entry);
    }
  };

  try {
    if (options.follow === true) {
      const merger = new LineMerger(options.output, files.length > 1);
      await Promise.all(files.map((file, i) => one(i, merger.sink(file), false)));
    } else {
      for (let i = 0; i < files.length && !stopped; i++) {
        await one(i, options.output, i === files.length - 1);
      }
    }
  } finally {
    signals.off('SIGTERM', stop).off('SIGINT', stop).off('SIGHUP', reload);
    background.close();
    resolution.close();
  }

  log.info({ ...stats, rescans: resolver.stats.scans,
    readErrors: Object.fromEntries(resolver.table.readErrors),
    ns: [...new Set(targets.map((t) => t.ns))] }, 'summary');
  return stats;
}

/** Timers and the metrics endpoint of a long run; close() ends them all. */
async function startBackground(options: AnnotateOptions, resolver: Resolver, stats: RunStats) {
  const timers: NodeJS.Timeout[] = [];
  if (options.watchMs !== undefined && options.watchMs > 0) {
    timers.push(setInterval(() => resolver.refresh(), options.watchMs));
  }
  if (options.statsIntervalMs !== undefined && options.statsIntervalMs > 0) {
    timers.push(setInterval(() => options.log.info(
      { ...stats, rescans: resolver.stats.scans, processes: resolver.table.size() }, 'stats'),
    options.statsIntervalMs));
  }
  for (const timer of timers) timer.unref();

  const server = options.metricsPort === undefined
    ? undefined
    : await serveMetrics(options.metricsPort, options.metricsHost ?? '127.0.0.1',
      () => renderMetrics(stats, resolver));

  return {
    close() {
      for (const timer of timers) clearInterval(timer);
      server?.close();
    },
  };
}

/**
 * One target per file: the one the user named, or else the container that
 * the file's path names. All are found before the first byte goes out.
 */
export async function targetsOf(files: readonly string[],
  options: TargetSpec & { procRoot: string }, resolution: Resolution): Promise<Target[]> {
  const { procRoot } = options;
  const { resolver, recorded } = resolution;
  const named = [options.pid, options.pidns, options.container].some((v) => v !== undefined);
  if (named) {
    const target = recordedTargetOf(resolution, options)
      ?? await resolveTarget(options, procRoot, resolver);
    return files.map(() => target);
  }

  return files.map((file) => {
    const owner = file === '-' ? undefined : ownerOfLogPath(resolvePath(file));
    if (owner === undefined) {
      const what = file === '-' ? 'stdin' : `${file}: its path names no container, so`;
      throw usageError(`no target namespace for ${what}: ${NO_TARGET_HINT}`);
    }
    if (owner.kind === 'pod') {
      if (recorded !== undefined) {
        throw usageError(`${file}: a snapshot cannot tell a pod's containers apart: ` +
          'give --container ID');
      }
      return targetOfPod(owner.podUid, owner.container, procRoot, resolver);
    }

    return recordedTargetOf(resolution, { container: owner.id })
      ?? findTarget({ container: owner.id }, procRoot, resolver);
  });
}

/** Checks every file before the first byte goes out, so a typo costs no output. */
export function checkFiles(files: readonly string[]): void {
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
