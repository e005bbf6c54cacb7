import type { Logger } from '../log.js';
import { Resolver } from '../resolve/resolver.js';
import type { Target, TargetSpec } from '../resolve/target.js';
import type { PidHistory } from '../snapshot/history.js';
import { LiveHistory } from '../snapshot/live.js';
import { openRecordedSource, type RecordedSource } from '../snapshot/source.js';
import { recordedTarget } from '../snapshot/target.js';

/** Where answers come from: a live procfs, or a snapshot or record file. */
export interface Resolution {
  resolver: Resolver;
  /** Who had a PID when, for lines that carry a time. */
  history?: PidHistory;
  /** The file, when answers come from one. */
  recorded?: RecordedSource;
  close(): void;
}

export interface ResolutionOptions {
  procRoot: string;
  /** A file of `hostpid snapshot` or `hostpid record` to use instead of procRoot. */
  snapshot?: string;
  rememberMs?: number;
  log: Logger;
}

export function openResolution(options: ResolutionOptions): Resolution {
  const { log } = options;
  if (options.snapshot !== undefined) {
    const recorded = openRecordedSource(options.snapshot);
    const resolver = new Resolver({ source: recorded });
    return { resolver, history: recorded.history, recorded, close: () => recorded.close() };
  }

  const resolver = new Resolver({
    procRoot: options.procRoot,
    ...(options.rememberMs === undefined ? {} : { rememberMs: options.rememberMs }),
    onUnreadable: (count, sample) => log.warn({ count, path: sample.path, reason: sample.reason },
      'some processes could not be read; their PIDs stay "?": run as root or with ' +
      'CAP_SYS_PTRACE, and mount /proc without hidepid'),
  });
  return { resolver, ...liveHistory(resolver, options), close: () => undefined };
}

/**
 * Times of lines are compared with start times, which need the boot time
 * (btime in PROCROOT/stat). A procfs copy without it still annotates;
 * its timed lines are then resolved as if they had no time.
 */
function liveHistory(resolver: Resolver, options: ResolutionOptions) {
  try {
    return { history: new LiveHistory(resolver, options.procRoot) };
  } catch (err) {
    options.log.debug({ err: (err as Error).message, path: options.procRoot },
      'no boot time: lines with a time are resolved as if they had none');
    return {};
  }
}

/** The target of a run against a file, where --pid and --container mean recorded ones. */
export function recordedTargetOf(resolution: Resolution, spec: TargetSpec): Target | undefined {
  if (resolution.recorded === undefined) return undefined;
  return recordedTarget(spec, resolution.recorded, resolution.resolver);
}
