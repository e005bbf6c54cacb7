import { usageError } from '../errors.js';
import { readContainer } from '../proc/read.js';
import type { Resolver } from './resolver.js';
import type { Target } from './target.js';

/** The pod's sandbox holder; it has a pid namespace but logs nothing. */
const PAUSE_COMM = 'pause';

/**
 * The pid namespace of a container of a Kubernetes pod, found through the
 * pod uid in cgroup paths. cgroups name containers by id, not by name, so
 * this answers only when the pod's containers share one pid namespace
 * (one container, or shareProcessNamespace); otherwise it asks for the id.
 */
export function targetOfPod(podUid: string, container: string, procRoot: string,
  resolver: Resolver): Target {
  if (!resolver.table.hasScanned) resolver.refresh();

  const namespaces = new Map<number, number>();
  for (const task of resolver.table.live()) {
    if (task.info.comm === PAUSE_COMM) continue;
    const ref = readContainer(procRoot, task.info.pid);
    if (ref?.podUid !== podUid) continue;

    const level = namespaces.get(task.info.pidNs);
    if (level === undefined || task.level < level) namespaces.set(task.info.pidNs, task.level);
  }

  if (namespaces.size === 0) {
    throw usageError(`no process of pod ${podUid} under ${procRoot}: is the pod still ` +
      'running? For an old log give --snapshot, or --container ID');
  }
  if (namespaces.size > 1) {
    throw usageError(`pod ${podUid} has ${namespaces.size} pid namespaces, and cgroups do not ` +
      `say which is container "${container}": give --container ID (crictl ps --name ${container})`);
  }

  const [ns] = namespaces.keys();
  return { ns: ns as number, via: `pod ${podUid} container ${container}` };
}
