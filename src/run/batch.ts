import { statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Worker } from 'node:worker_threads';

import { SingleBar } from 'cli-progress';
import { glob, isDynamicPattern } from 'tinyglobby';

import { defined } from '../defined.js';
import { HostpidError, usageError } from '../errors.js';
import type { InputFormat } from '../formats/format.js';
import type { Logger } from '../log.js';
import { checkProcRoot } from '../proc/root.js';
import type { TargetSpec } from '../resolve/target.js';
import { loadCheckedRules } from '../rules/load.js';
import type { Rule } from '../rules/types.js';
import { addStats, newStats, type RunStats } from '../stats.js';
import { checkFiles, targetsOf } from './annotate.js';
import { openResolution, type Resolution } from './resolution.js';
import { type RewriteJob, rewriteFile } from './rewrite.js';

export interface BatchOptions extends TargetSpec {
  /** Files, directories (every file below them) and glob patterns. */
  inputs: string[];
  outDir: string;
  jobs: number;
  procRoot: string;
  rulePaths?: string[];
  maxScan?: number;
  inputFormat?: InputFormat | 'auto';
  /** A file of `hostpid snapshot` or `hostpid record` to resolve against. */
  snapshot?: string;
  /** Draw a progress bar on stderr (a terminal, several files). */
  progress: boolean;
  log: Logger;
}

/** What a worker thread is started with; it builds its own rules and resolver. */
export interface WorkerSetup {
  procRoot: string;
  snapshot?: string;
  rulePaths?: string[];
  maxScan?: number;
  inputFormat?: InputFormat | 'auto';
}

/**
 * Rewrites many files into outDir, keeping their paths relative to the
 * deepest directory that holds them all, their names and their compression.
 * With jobs > 1 the files are shared out among worker threads, each with
 * its own resolver; the targets are found once, here, before any output.
 */
export async function runBatch(options: BatchOptions): Promise<RunStats> {
  if (options.snapshot === undefined) checkProcRoot(options.procRoot);
  const files = await expandInputs(options.inputs);
  checkFiles(files);
  const rules = await loadCheckedRules(options.rulePaths);
  const resolution = openResolution(options);
  try {
    const targets = await targetsOf(files, options, resolution);
    const jobs = plan(files, targets.map((t) => t.ns), options.outDir);
    return await rewriteAll(jobs, options, { ...resolution, rules });
  } finally {
    resolution.close();
  }
}

async function rewriteAll(jobs: RewriteJob[], options: BatchOptions,
  here: Resolution & { rules: readonly Rule[] }): Promise<RunStats> {
  const total = newStats();
  const bar = options.progress && jobs.length > 1 ? new SingleBar({
    format: 'hostpid {bar} {value}/{total} files | {eta_formatted} left',
    stream: process.stderr,
  }) : undefined;
  bar?.start(jobs.length, 0);
  const done = (stats: RunStats, job: RewriteJob) => {
    addStats(total, stats);
    bar?.increment();
    options.log.debug({ path: job.file, out: job.out, lines: stats.lines }, 'rewritten');
  };

  try {
    if (options.jobs <= 1) {
      for (const job of jobs) {
        const stats = newStats();
        await rewriteFile(job, { ...setupOf(options), rules: here.rules,
          resolver: here.resolver, stats, ...(here.history ? { history: here.history } : {}) });
        done(stats, job);
      }
    } else {
      await inWorkers(jobs, Math.min(options.jobs, jobs.length), setupOf(options), done);
    }
  } finally {
    bar?.stop();
  }

  options.log.info({ ...total, files: jobs.length, jobs: options.jobs }, 'summary');
  return total;
}

function setupOf(options: BatchOptions): WorkerSetup {
  return {
    procRoot: options.procRoot,
    ...defined({ snapshot: options.snapshot, rulePaths: options.rulePaths,
      maxScan: options.maxScan, inputFormat: options.inputFormat }),
  };
}

/** Files named by the inputs, each once, in a stable order. */
export async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files = new Set<string>();

  for (const input of inputs) {
    const found = isDynamicPattern(input)
      ? await glob(input, { absolute: true, onlyFiles: true })
      : isDirectory(input)
        ? await glob('**/*', { cwd: input, absolute: true, onlyFiles: true, dot: true })
        : [resolve(input)];
    if (found.length === 0) throw usageError(`${input}: matches no file`);
    for (const file of found.sort()) files.add(file);
  }

  return [...files];
}

/** Where each file goes: the same relative path under outDir. */
function plan(files: readonly string[], namespaces: readonly number[], outDir: string) {
  const base = commonDir(files);

  return files.map((file, i): RewriteJob => {
    const out = join(resolve(outDir), relative(base, file));
    if (out === file) {
      throw usageError(`--out-dir ${outDir} would overwrite ${file}: give another directory`);
    }
    return { file, out, ns: namespaces[i] as number };
  });
}

function commonDir(files: readonly string[]): string {
  const parts = files.map((file) => dirname(file).split(sep));
  const first = parts[0] ?? [];
  let depth = 0;
  while (depth < first.length && parts.every((p) => p[depth] === first[depth])) depth++;
  return first.slice(0, depth).join(sep) || sep;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A worker's answer for one job: its stats, or its error; usage is set when
 * the error was a HostpidError, whose message names the file and the fix.
 */
interface WorkerReply {
  stats?: RunStats;
  error?: string;
  usage?: boolean;
}

/** Runs the jobs on `count` worker threads, each taking the next when free. */
async function inWorkers(jobs: RewriteJob[], count: number, setup: WorkerSetup,
  done: (stats: RunStats, job: RewriteJob) => void): Promise<void> {
  const queue = [...jobs];
  const url = new URL('./batch-worker.js', import.meta.url);

  const runOne = (worker: Worker) => new Promise<void>((resolveAll, reject) => {
    const next = () => {
      const job = queue.shift();
      if (job === undefined) {
        resolveAll();
        return;
      }
      worker.once('message', (reply: WorkerReply) => {
        if (reply.error !== undefined) {
          reject(reply.usage === undefined ? new Error(`${job.file}: ${reply.error}`)
            : new HostpidError(reply.error, { usage: reply.usage }));
          return;
        }
        done(reply.stats ?? newStats(), job);
        next();
      });
      worker.postMessage(job);
    };
    worker.once('error', reject);
    next();
  });

  const workers = Array.from({ length: count }, () => new Worker(url, { workerData: setup }));
  try {
    await Promise.all(workers.map(runOne));
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
