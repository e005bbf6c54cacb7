import { closeSync, createReadStream, createWriteStream, openSync, readSync, renameSync,
  rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

import { defined } from '../defined.js';
import { makeDirs } from '../dirs.js';
import { errnoCode, HostpidError } from '../errors.js';
import type { InputFormat } from '../formats/format.js';
import { maybeGunzip } from '../lines/gunzip.js';
import { createAnnotator } from '../pipeline.js';
import type { Resolver } from '../resolve/resolver.js';
import type { Rule } from '../rules/types.js';
import type { PidHistory } from '../snapshot/history.js';
import type { RunStats } from '../stats.js';

export interface RewriteJob {
  file: string;
  out: string;
  ns: number;
}

export interface RewriteContext {
  rules: readonly Rule[];
  resolver: Resolver;
  stats: RunStats;
  maxScan?: number;
  inputFormat?: InputFormat | 'auto';
  history?: PidHistory;
}

/**
 * Rewrites one file into `out`, annotated, compressed again if it was
 * gzip. The output appears under its name only when complete: it is written
 * beside it first and renamed, so an interrupted run leaves no half file.
 */
export async function rewriteFile(job: RewriteJob, ctx: RewriteContext): Promise<void> {
  const partial = `${job.out}.hostpid-partial`;
  const annotator = createAnnotator({ ns: job.ns, rules: ctx.rules, resolver: ctx.resolver,
    stats: ctx.stats,
    ...defined({ maxScan: ctx.maxScan, input: ctx.inputFormat, history: ctx.history }) });

  try {
    makeDirs(dirname(job.out));
    const input = maybeGunzip(createReadStream(job.file));
    const output = createWriteStream(partial);
    if (isGzipFile(job.file)) await pipeline(input, annotator, createGzip(), output);
    else await pipeline(input, annotator, output);
    renameSync(partial, job.out);
  } catch (err) {
    removePartial(partial);
    throw ioFailure(err, job);
  }
}

/** Removes the half-written output, if it was made at all. */
function removePartial(partial: string): void {
  try {
    rmSync(partial, { force: true });
  } catch {
    // ENOTDIR and the like: its directory could not be made, so neither was it.
  }
}

/**
 * A system error as one line: which path, what the kernel said, what to do.
 * An error with a code and no path comes from the data (zlib on a damaged
 * gzip file): it names the input.
 */
function ioFailure(err: unknown, job: RewriteJob): unknown {
  const code = errnoCode(err);
  if (code === undefined || err instanceof HostpidError) return err;

  const path = (err as { path?: unknown }).path;
  if (typeof path !== 'string') {
    return new HostpidError(`${job.file}: ${(err as Error).message} (${code}) while reading: ` +
      'check that it is a whole log or gzip file', { cause: err });
  }
  const reading = path === job.file;
  const fix = reading ? 'check that it is readable' : 'give --out-dir a directory you can write';
  return new HostpidError(`${path}: ${code} while ${reading ? 'reading' : 'writing'} ` +
    `(${job.file} into ${job.out}): ${fix}`, { cause: err });
}

function isGzipFile(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}
