import type { ProcessInfo } from '../proc/read.js';
import type { ProcessSource, ScanDelta } from '../resolve/source.js';

/**
 * A process list that never changes, as a snapshot or the end of a record
 * holds it: the first scan adds everything, later scans find nothing new.
 */
export class StaticSource implements ProcessSource {
  private readonly byPid: ReadonlyMap<number, ProcessInfo>;

  constructor(readonly description: string, processes: readonly ProcessInfo[]) {
    this.byPid = new Map(processes.map((p) => [p.pid, p]));
  }

  scan(known: ReadonlySet<number>): ScanDelta {
    const delta: ScanDelta = { added: [], gone: [], failed: new Map() };

    for (const [pid, info] of this.byPid) if (!known.has(pid)) delta.added.push(info);
    for (const pid of known) if (!this.byPid.has(pid)) delta.gone.push(pid);

    return delta;
  }
}
