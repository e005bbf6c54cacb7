import { existsSync, linkSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import Database from 'better-sqlite3';

import { errnoCode, HostpidError, usageError } from '../errors.js';
import type { ContainerRef } from '../proc/cgroup.js';
import type { Coverage, RecordedProcess } from './history.js';

export const RECORD_FORMAT = 'hostpid-record';
export const RECORD_VERSION = 1;
/** "hpid": lets `file` and other tools tell a record from any SQLite file. */
const APPLICATION_ID = 0x68706964;

/**
 * One row per process for its whole life, and one row per (namespace, PID)
 * at every level whose namespace is known, keyed so that "the latest start
 * at or before T of PID N in namespace X" is a single backward index seek.
 * Rows are added when a process is first seen and touched once more when it
 * is missed, so the file grows with the number of processes, not with time.
 */
const SCHEMA = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value ANY NOT NULL) STRICT;
CREATE TABLE container (
  id INTEGER PRIMARY KEY,
  runtime TEXT NOT NULL,
  cid TEXT NOT NULL,
  pod_uid TEXT NOT NULL DEFAULT '',
  UNIQUE (runtime, cid, pod_uid)
) STRICT;
CREATE TABLE process (
  id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  ppid INTEGER NOT NULL,
  ns_pid TEXT NOT NULL,
  pid_ns INTEGER NOT NULL,
  start_time INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  exited_ms INTEGER,
  comm TEXT NOT NULL,
  container INTEGER REFERENCES container (id)
) STRICT;
CREATE INDEX process_alive ON process (pid) WHERE exited_ms IS NULL;
CREATE INDEX process_container ON process (container) WHERE container IS NOT NULL;
CREATE TABLE ns_pid (
  ns INTEGER NOT NULL,
  vpid INTEGER NOT NULL,
  started_ms INTEGER NOT NULL,
  process INTEGER NOT NULL REFERENCES process (id),
  PRIMARY KEY (ns, vpid, started_ms, process)
) STRICT, WITHOUT ROWID;
`;

/** Everything a record says about itself, from its meta table. */
export interface RecordMeta extends Coverage {
  procRoot: string;
  bootTimeMs: number;
  intervalMs: number;
}

interface ProcessRow {
  pid: number;
  ppid: number;
  ns_pid: string;
  pid_ns: number;
  start_time: number;
  started_ms: number;
  exited_ms: number | null;
  comm: string;
  runtime: string | null;
  cid: string | null;
  pod_uid: string | null;
}

/** The appending side: one recorder owns the file while it runs. */
export class RecordWriter {
  private readonly db: Database.Database;
  private readonly containers = new Map<string, number>();
  private readonly statements;

  /** Creates `file`; an existing file is never overwritten or appended to. */
  constructor(file: string, meta: Omit<RecordMeta, 'toMs'>) {
    if (existsSync(file)) throw exists(file);

    createRecord(file, meta);
    this.db = openDb(file, {});
    // WAL: a kill -9 loses at most the scan being written, never the file;
    // NORMAL sync is enough for that (it only risks the last scans on power loss).
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.statements = prepareWriter(this.db);
  }

  /** Runs `work` as one transaction: a scan is in the file whole or not at all. */
  inTransaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  /**
   * Stores a process and its PID at each level whose namespace `ancestry`
   * names; returns its row id.
   */
  addProcess(p: RecordedProcess, ancestry: ReadonlyArray<number | undefined>): number {
    const container = p.container === undefined ? null : this.containerId(p.container);
    const id = Number(this.statements.process.run(p.pid, p.ppid, p.nsPid.join(' '), p.pidNs,
      p.startTime, p.startedMs, container, p.comm).lastInsertRowid);

    for (const [level, ns] of ancestry.entries()) {
      const vpid = p.nsPid[level];
      if (ns !== undefined && vpid !== undefined) {
        this.statements.nsPid.run(ns, vpid, p.startedMs, id);
      }
    }

    return id;
  }

  markExited(id: number, exitedMs: number): void {
    this.statements.exited.run(exitedMs, id);
  }

  /** Moves the end of the coverage: the scan at `toMs` is in the file. */
  coverTo(toMs: number): void {
    this.statements.toMs.run(toMs);
  }

  /**
   * Folds the WAL into the main file and leaves WAL mode, so a finished
   * record is one self-contained file to copy, and readers opening it
   * read-only need no -wal or -shm beside it.
   */
  close(): void {
    if (!this.db.open) return;

    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('journal_mode = DELETE');
    } catch {
      // A reader still has the file open: it stays in WAL mode, whole all the same.
    } finally {
      this.db.close();
    }
  }

  private containerId(ref: ContainerRef): number {
    const key = `${ref.runtime}/${ref.id}/${ref.podUid ?? ''}`;
    const known = this.containers.get(key);
    if (known !== undefined) return known;

    this.statements.container.run(ref.runtime, ref.id, ref.podUid ?? '');
    const id = this.statements.containerId.get(ref.runtime, ref.id, ref.podUid ?? '') as number;
    this.containers.set(key, id);
    return id;
  }
}

/**
 * Writes the schema and meta into a temporary file and links it in place,
 * so a reader never finds `file` empty or without its meta table, and a
 * file that appeared meanwhile is never replaced.
 */
function createRecord(file: string, meta: Omit<RecordMeta, 'toMs'>): void {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    const db = openDb(temp, {});
    db.pragma(`application_id = ${APPLICATION_ID}`);
    db.exec(SCHEMA);
    const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      for (const [key, value] of Object.entries({ format: RECORD_FORMAT,
        version: RECORD_VERSION, ...meta, toMs: meta.fromMs })) setMeta.run(key, integer(value));
    })();
    db.close();
    linkSync(temp, file);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') throw exists(file);
    if (err instanceof HostpidError) throw err;
    throw new HostpidError(`cannot create ${file} (${errnoCode(err) ?? String(err)})`,
      { cause: err });
  } finally {
    rmSync(temp, { force: true });
  }
}

/** better-sqlite3 binds a JS number as REAL; a BigInt goes in as INTEGER. */
function integer(value: string | number): string | number | bigint {
  return typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : value;
}

function exists(file: string) {
  return usageError(`${file} exists: give hostpid record a new file to write`);
}

function prepareWriter(db: Database.Database) {
  return {
    process: db.prepare('INSERT INTO process (pid, ppid, ns_pid, pid_ns, start_time, ' +
      'started_ms, container, comm) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    nsPid: db.prepare('INSERT OR IGNORE INTO ns_pid (ns, vpid, started_ms, process) ' +
      'VALUES (?, ?, ?, ?)'),
    exited: db.prepare('UPDATE process SET exited_ms = ? WHERE id = ?'),
    toMs: db.prepare("UPDATE meta SET value = CAST(? AS INTEGER) WHERE key = 'toMs'"),
    container: db.prepare('INSERT OR IGNORE INTO container (runtime, cid, pod_uid) ' +
      'VALUES (?, ?, ?)'),
    containerId: db.prepare('SELECT id FROM container WHERE runtime = ? AND cid = ? ' +
      'AND pod_uid = ?').pluck(),
  };
}

const SELECT_PROCESS = `
SELECT p.pid, p.ppid, p.ns_pid, p.pid_ns, p.start_time, p.started_ms, p.exited_ms, p.comm,
  c.runtime, c.cid, c.pod_uid
FROM process p LEFT JOIN container c ON c.id = p.container`;

/** The latest process that held (ns, vpid) and started at or before a time. */
export const AT_QUERY = `
SELECT p.pid, p.started_ms AS startedMs, p.exited_ms AS exitedMs
FROM ns_pid n JOIN process p ON p.id = n.process
WHERE n.ns = ? AND n.vpid = ? AND n.started_ms <= ?
ORDER BY n.started_ms DESC, n.process DESC
LIMIT 1`;

/** The reading side, safe to open while a recorder still writes. */
export class RecordReader {
  readonly meta: RecordMeta;
  private readonly db: Database.Database;
  private readonly atStatement;

  constructor(readonly file: string) {
    this.db = openDb(file, { readonly: true, fileMustExist: true });
    this.meta = readMeta(this.db, file);
    this.atStatement = this.db.prepare<[number, number, number],
      { pid: number; startedMs: number; exitedMs: number | null }>(AT_QUERY);
  }

  /** The candidate for history: see decide() for what is made of it. */
  latestStartedBy(ns: number, vpid: number, timeMs: number) {
    const row = this.atStatement.get(ns, vpid, Math.floor(timeMs));
    if (row === undefined) return undefined;

    const found = { pid: row.pid, startedMs: row.startedMs };
    return row.exitedMs === null ? found : { ...found, exitedMs: row.exitedMs };
  }

  /** Processes still running when the record ended (or was killed). */
  alive(): RecordedProcess[] {
    return this.rows(`${SELECT_PROCESS} WHERE p.exited_ms IS NULL`);
  }

  /** Every process the record saw, in the order it saw them. */
  all(): RecordedProcess[] {
    return this.rows(`${SELECT_PROCESS} ORDER BY p.id`);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private rows(sql: string): RecordedProcess[] {
    return (this.db.prepare(sql).all() as ProcessRow[]).map(toProcess);
  }
}

function toProcess(row: ProcessRow): RecordedProcess {
  const p: RecordedProcess = { pid: row.pid, ppid: row.ppid, nsPid: row.ns_pid.split(' ')
    .map(Number), pidNs: row.pid_ns, startTime: row.start_time, comm: row.comm,
  startedMs: row.started_ms };
  if (row.exited_ms !== null) p.exitedMs = row.exited_ms;
  if (row.runtime !== null && row.cid !== null) {
    const ref = { runtime: row.runtime as ContainerRef['runtime'], id: row.cid };
    p.container = row.pod_uid === null || row.pod_uid === '' ? ref : { ...ref,
      podUid: row.pod_uid };
  }
  return p;
}

function readMeta(db: Database.Database, file: string): RecordMeta {
  let rows: Array<{ key: string; value: unknown }>;
  try {
    rows = db.prepare('SELECT key, value FROM meta').all() as typeof rows;
  } catch (err) {
    throw usageError(`${file} is an SQLite file but not a hostpid record`, err);
  }

  const meta = new Map(rows.map((r) => [r.key, r.value]));
  if (meta.get('format') !== RECORD_FORMAT) {
    throw usageError(`${file} is an SQLite file but not a hostpid record`);
  }
  if (meta.get('version') !== RECORD_VERSION) {
    throw usageError(`${file} is a hostpid record of version ${String(meta.get('version'))}; ` +
      `this hostpid reads ${RECORD_VERSION}`);
  }

  const number = (key: string) => Number(meta.get(key));
  return { procRoot: String(meta.get('procRoot')), bootTimeMs: number('bootTimeMs'),
    intervalMs: number('intervalMs'), fromMs: number('fromMs'), toMs: number('toMs') };
}

function openDb(file: string, options: Database.Options): Database.Database {
  try {
    return new Database(file, options);
  } catch (err) {
    throw new HostpidError(`cannot open ${file} as SQLite (${String(err)})`, { cause: err });
  }
}
