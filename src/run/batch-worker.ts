import { parentPort, workerData } from 'node:worker_threads';

import { defined } from '../defined.js';
import { HostpidError } from '../errors.js';
import { createLogger } from '../log.js';
import { loadRules } from '../rules/load.js';
import { newStats } from '../stats.js';
import type { WorkerSetup } from './batch.js';
import { openResolution } from './resolution.js';
import { type RewriteJob, rewriteFile } from './rewrite.js';

/*
 * One worker thread of `--jobs N`: it loads the rules and keeps a resolver of
 * its own, then rewrites the files the main thread sends, one at a time, and
 * answers each with that file's counts.
 */
const setup = workerData as WorkerSetup;
const rules = loadRules(setup.rulePaths);
const { resolver, history } = openResolution({ ...setup, log: createLogger('silent') });

parentPort?.on('message', (job: RewriteJob) => {
  const stats = newStats();
  rewriteFile(job, { rules, resolver, stats,
    ...defined({ history, maxScan: setup.maxScan, inputFormat: setup.inputFormat }) })
    .then(() => parentPort?.postMessage({ stats }))
    .catch((err: unknown) => parentPort?.postMessage({ error: (err as Error).message,
      ...(err instanceof HostpidError ? { usage: err.usage } : {}) }));
});
