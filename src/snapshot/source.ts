import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

import { errnoCode, usageError } from '../errors.js';
import type { ContainerRef } from '../proc/cgroup.js';
import type { ProcessSource, ScanDelta } from '../resolve/source.js';
import { ProcessTable } from '../resolve/table.js';
import { RecordReader } from './db.js';
import {
  type Coverage,
  decide,
  type HistoryAnswer,
  type PidHistory,
  type RecordedProcess,
} from './history.js';
import { parseSnapshot, type Snapshot } from './json.js';
import { StaticSource } from './static.js';

/**
 * A snapshot or a record, as a ProcessSource for the Resolver (and so for
 * annotate, lookup and tree) plus the history of who held which PID when.
 *
 * scan() gives the processes running when the file was last written: the
 * whole table of a snapshot, the ones still alive at the end of a record.
 * Processes that exited during a record are not in scan(): ask `history`
 * with the time of the line instead, so a PID reused later never answers
 * for a line written before it was reused.
 */
export interface RecordedSource extends ProcessSource {
  readonly kind: 'snapshot' | 'record';
  readonly file: string;
  /** The procfs the file was taken from. */
  readonly procRoot: string;
  readonly bootTimeMs: number;
  /** The time the file saw: fromMs = toMs = takenAt for a snapshot. */
  readonly coverage: Coverage;
  readonly history: PidHistory;
  /** What scan() gives, with wall-clock starts and containers. */
  processes(): RecordedProcess[];
  /** Every process the file knows, exited ones of a record included. */
  allProcesses(): RecordedProcess[];
  /** The container a host PID belongs to, for `tree`. */
  containerOf(pid: number): ContainerRef | undefined;
  /**
   * The pid namespace of a container, given its id or a prefix of it: the
   * namespace of its outermost process, the latest started if it ran twice.
   */
  containerNamespace(idPrefix: string): number | undefined;
  /** Releases the file (a record keeps it open); scan() and history stop working. */
  close(): void;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** Opens a snapshot (JSON) or a record (SQLite), told apart by their first bytes. */
export function openRecordedSource(file: string): RecordedSource {
  const head = readHead(file, SQLITE_MAGIC.length);
  if (head.equals(SQLITE_MAGIC)) return new RecordSource(new RecordReader(file));

  return new SnapshotSource(parseSnapshot(readFileSync(file, 'utf8'), file), file);
}

function readHead(file: string, length: number): Buffer {
  try {
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(length);
      return head.subarray(0, readSync(fd, head, 0, length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw usageError(`cannot read ${file} (${errnoCode(err) ?? String(err)}): give --snapshot ` +
      'a file written by hostpid snapshot or hostpid record', err);
  }
}

/** What the two kinds of file share: a fixed process list and lookups on it. */
abstract class FixedSource implements RecordedSource {
  abstract readonly kind: 'snapshot' | 'record';
  abstract readonly history: PidHistory;
  readonly description: string;
  private readonly inner: StaticSource;
  private readonly byPid: ReadonlyMap<number, RecordedProcess>;

  constructor(
    readonly file: string,
    readonly procRoot: string,
    readonly bootTimeMs: number,
    readonly coverage: Coverage,
    private readonly alive: RecordedProcess[],
  ) {
    this.description = `${file} (${procRoot} at ${new Date(coverage.toMs).toISOString()})`;
    this.inner = new StaticSource(this.description, alive);
    this.byPid = new Map(alive.map((p) => [p.pid, p]));
  }

  scan(known: ReadonlySet<number>): ScanDelta {
    return this.inner.scan(known);
  }

  processes(): RecordedProcess[] {
    return [...this.alive];
  }

  abstract allProcesses(): RecordedProcess[];

  containerOf(pid: number): ContainerRef | undefined {
    return this.byPid.get(pid)?.container;
  }

  containerNamespace(idPrefix: string): number | undefined {
    const members = this.allProcesses().filter((p) => p.container?.id.startsWith(idPrefix));
    const outer = members.sort((a, b) => a.nsPid.length - b.nsPid.length ||
      b.startedMs - a.startedMs)[0];
    return outer?.pidNs;
  }

  close(): void {
    // Only a record holds a file open.
  }
}

/**
 * A snapshot: one instant. Its history knows a PID's owner from that
 * process's start up to the instant; before a start it cannot know.
 */
class SnapshotSource extends FixedSource {
  readonly kind = 'snapshot' as const;
  readonly history: PidHistory;

  constructor(snapshot: Snapshot, file: string) {
    const coverage = { fromMs: snapshot.takenAtMs, toMs: snapshot.takenAtMs };
    super(file, snapshot.procRoot, snapshot.bootTimeMs, coverage, snapshot.processes);

    const table = new ProcessTable(new StaticSource(this.description, snapshot.processes));
    const byPid = new Map(snapshot.processes.map((p) => [p.pid, p]));
    this.history = {
      at: (ns, vpid, timeMs): HistoryAnswer => {
        if (!table.hasScanned) table.scan(snapshot.takenAtMs);
        const task = table.lookup(ns, vpid);
        return decide(task === undefined ? undefined : byPid.get(task.info.pid), timeMs,
          coverage);
      },
    };
  }

  allProcesses(): RecordedProcess[] {
    return this.processes();
  }
}

/** A record: history comes from the file's index, one query per question. */
class RecordSource extends FixedSource {
  readonly kind = 'record' as const;
  readonly history: PidHistory;

  constructor(private readonly reader: RecordReader) {
    const { meta } = reader;
    super(reader.file, meta.procRoot, meta.bootTimeMs, { fromMs: meta.fromMs, toMs: meta.toMs },
      reader.alive());

    this.history = {
      at: (ns, vpid, timeMs) => decide(reader.latestStartedBy(ns, vpid, timeMs), timeMs,
        this.coverage),
    };
  }

  allProcesses(): RecordedProcess[] {
    return this.reader.all();
  }

  override close(): void {
    this.reader.close();
  }
}
