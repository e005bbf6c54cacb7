import { usageError } from '../errors.js';
import type { Resolver } from '../resolve/resolver.js';
import { findTarget, isContainerId, type Target, type TargetSpec } from '../resolve/target.js';
import type { RecordedSource } from './source.js';

/**
 * The target namespace in a snapshot or record: a --pid is looked up among
 * the recorded processes, a --container among their cgroups. Container
 * names need a running engine, so a file knows ids only.
 */
export function recordedTarget(spec: TargetSpec, source: RecordedSource,
  resolver: Resolver): Target {
  const { pid, container } = spec;
  if (!resolver.table.hasScanned) resolver.refresh();
  if (pid !== undefined) {
    const ns = resolver.table.get(pid)?.info.pidNs;
    if (ns === undefined) throw usageError(`no process ${pid} in ${source.description}`);
    return { ns, via: `pid ${pid}` };
  }
  if (container === undefined) return findTarget(spec, source.procRoot, resolver);
  if (!isContainerId(container)) {
    throw usageError(`--container ${container}: a snapshot knows container ids, not names`);
  }

  const ns = source.containerNamespace(container.toLowerCase());
  if (ns === undefined) {
    throw usageError(`no process of container ${container} in ${source.description}`);
  }
  return { ns, via: `container ${container.slice(0, 12)}` };
}
