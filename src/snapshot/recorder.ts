import { setTimeout as sleep } from 'node:timers/promises';

import type { Logger } from '../log.js';
import { readBootTime } from '../proc/boottime.js';
import type { ProcessInfo } from '../proc/read.js';
import { ProcfsSource, type ProcessSource, type ScanDelta } from '../resolve/source.js';
import { ProcessTable } from '../resolve/table.js';
import { RecordWriter } from './db.js';
import { withTimes } from './take.js';

export interface RecorderOptions {
  procRoot: string;
  /** The SQLite file to create. */
  out: string;
  intervalMs: number;
  log: Logger;
  now?: () => number;
}

export interface RecordStats {
  scans: number;
  /** Processes stored: those running at the first scan and every one started after. */
  processes: number;
  exited: number;
}

/**
 * Hands every scan delta through to the table and keeps the last one, so
 * the recorder learns exactly what the table added and lost.
 */
class TappedSource implements ProcessSource {
  last: ScanDelta = { added: [], gone: [], failed: new Map() };

  constructor(private readonly inner: ProcessSource) {}

  get description(): string {
    return this.inner.description;
  }

  scan(known: ReadonlySet<number>): ScanDelta {
    this.last = this.inner.scan(known);
    return this.last;
  }
}

/**
 * Scans a procfs and appends what changed to a record. The ProcessTable
 * works out each new process's namespace at every level while its parents
 * are still there to ask; the recorder stores that once per process.
 *
 * Each scan lists the PIDs and reads only new ones, so a host PID that is
 * freed and taken again between two scans (the PID counter wrapping around
 * pid_max within one interval) is taken for the same process.
 */
export class Recorder {
  readonly stats: RecordStats = { scans: 0, processes: 0, exited: 0 };
  private readonly tap: TappedSource;
  private readonly table: ProcessTable;
  private readonly writer: RecordWriter;
  private readonly bootTimeMs: number;
  private readonly now: () => number;
  /** Host PID -> row and start ticks of the process the record holds open. */
  private readonly open = new Map<number, { id: number; startTime: number }>();
  private warnedUnreadable = false;

  constructor(private readonly options: RecorderOptions) {
    this.now = options.now ?? Date.now;
    this.tap = new TappedSource(new ProcfsSource(options.procRoot));
    // Exited tasks are in the file already; the table need not remember them.
    this.table = new ProcessTable(this.tap, 0);

    const fromMs = this.now();
    const bootTime = readBootTime(options.procRoot, fromMs);
    this.bootTimeMs = bootTime.ms;
    this.writer = new RecordWriter(options.out, { procRoot: options.procRoot,
      bootTimeMs: bootTime.ms, intervalMs: options.intervalMs, fromMs });
    options.log.debug({ bootTimeMs: bootTime.ms, from: bootTime.from }, 'boot time');
    this.scan(fromMs);
  }

  /** One scan, written as one transaction together with the new end of coverage. */
  scan(now = this.now()): { added: number; gone: number } {
    this.table.scan(now);
    const delta = this.tap.last;

    this.writer.inTransaction(() => {
      for (const pid of delta.gone) this.exit(pid, now);
      for (const info of delta.added) this.admit(info, now);
      this.writer.coverTo(now);
    });

    this.stats.scans++;
    this.warnUnreadable(delta);
    return { added: delta.added.length, gone: delta.gone.length };
  }

  close(): void {
    this.writer.close();
  }

  private admit(info: ProcessInfo, now: number): void {
    const held = this.open.get(info.pid);
    if (held !== undefined && held.startTime === info.startTime) return;
    if (held !== undefined) this.exit(info.pid, now);

    const task = this.table.get(info.pid);
    const ancestry = task?.info === info ? task.ancestry : ownLevelOnly(info);
    const id = this.writer.addProcess(withTimes(this.options.procRoot, this.bootTimeMs, info),
      ancestry);
    this.open.set(info.pid, { id, startTime: info.startTime });
    this.stats.processes++;
  }

  private exit(pid: number, now: number): void {
    const held = this.open.get(pid);
    if (held === undefined) return;

    this.writer.markExited(held.id, now);
    this.open.delete(pid);
    this.stats.exited++;
  }

  private warnUnreadable(delta: ScanDelta): void {
    const sample = delta.failed.values().next().value;
    if (sample === undefined || this.warnedUnreadable) return;

    this.warnedUnreadable = true;
    this.options.log.warn({ count: delta.failed.size, path: sample.path, reason: sample.reason },
      'some processes could not be read and are not recorded: run as root or with ' +
      'CAP_SYS_PTRACE, and mount /proc without hidepid');
  }
}

/** A process's own namespace at its own level, where nothing else is known. */
function ownLevelOnly(info: ProcessInfo): Array<number | undefined> {
  const level = info.nsPid.length - 1;
  return info.nsPid.map((_, k) => (k === level ? info.pidNs : undefined));
}

/**
 * Records until `signal` aborts, then scans once more so the file covers
 * up to the stop, and closes it. Scans start every intervalMs; one that
 * takes longer delays the next rather than piling up.
 */
export async function record(options: RecorderOptions, signal: AbortSignal): Promise<RecordStats> {
  const now = options.now ?? Date.now;
  const recorder = new Recorder(options);
  let next = now() + options.intervalMs;

  try {
    while (!signal.aborted) {
      const slept = await sleep(Math.max(0, next - now()), true, { signal }).catch(() => false);
      if (!slept) break;

      next = now() + options.intervalMs;
      const changed = recorder.scan();
      if (changed.added + changed.gone > 0) options.log.debug(changed, 'scan');
    }

    recorder.scan();
  } finally {
    recorder.close();
  }

  return recorder.stats;
}
