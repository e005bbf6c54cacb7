import type { Writable } from 'node:stream';


import { errnoCode, HostpidError, usageError } from '../errors.js';
import type { Logger } from '../log.js';
import { checkProcRoot } from '../proc/root.js';
import { writeFileAtomic } from '../snapshot/atomic.js';
import { snapshotJson } from '../snapshot/json.js';
import { takeSnapshot, type TakenSnapshot } from '../snapshot/take.js';

export interface SnapshotOptions {
  procRoot: string;
  /** A file to create or replace whole, or '-' for `output`. */
  out: string;
  output: Writable;
  log: Logger;
}

/** Reads the process table of a procfs once and writes it as JSON. */
export function runSnapshot(options: SnapshotOptions): TakenSnapshot {
  const { log } = options;
  checkProcRoot(options.procRoot);

  const snapshot = takeSnapshot(options.procRoot);
  if (snapshot.unreadableSample !== undefined) {
    log.warn({ count: snapshot.unreadable, path: snapshot.unreadableSample.path,
      reason: snapshot.unreadableSample.reason }, 'some processes could not be read and are ' +
      'not in the snapshot: run as root or with CAP_SYS_PTRACE, and mount /proc without hidepid');
  }

  const text = snapshotJson(snapshot);
  if (options.out === '-') options.output.write(text);
  else writeOut(options.out, text);

  const namespaces = new Set(snapshot.processes.map((p) => p.pidNs)).size;
  log.info({ out: options.out, processes: snapshot.processes.length, namespaces,
    unreadable: snapshot.unreadable }, 'snapshot written');
  return snapshot;
}

function writeOut(file: string, text: string): void {
  try {
    writeFileAtomic(file, text);
  } catch (err) {
    const code = errnoCode(err);
    const message = `cannot write ${file} (${code ?? String(err)})`;
    if (code !== undefined && ['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR'].includes(code)) {
      throw usageError(`${message}: give --out a file in a writable directory, or - for stdout`,
        err);
    }
    throw new HostpidError(message, { cause: err });
  }
}

/** `hostpid snapshot --out FILE`: the process table, for later or offline resolution. */
