import { basename } from 'node:path';

/** What the path of a container log file says about whose log it is. */
export type PathOwner =
  | { kind: 'container'; id: string; runtime: 'docker' | 'kubernetes' }
  | { kind: 'pod'; podUid: string; container: string };

const HEX64 = '[0-9a-f]{64}';
/** /var/lib/docker/containers/<id>/<id>-json.log, and its rotations (.1, .2.gz). */
const DOCKER = new RegExp(`/containers/(?<id>${HEX64})/\\k<id>-json\\.log(?:\\.\\d+)?(?:\\.gz)?$`);
/** /var/log/containers/<pod>_<namespace>_<container>-<id>.log (kubelet symlinks). */
const K8S_LINK = new RegExp(`^[^_/]+_[^_/]+_[^/]+-(?<id>${HEX64})\\.log$`);
/** /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log[.<date>][.gz] */
const K8S_POD = new RegExp(String.raw`/[^_/]+_[^_/]+_(?<uid>[0-9a-f-]{36})` +
  String.raw`/(?<container>[^/]+)/\d+\.log(?:\.[\w.-]+)?$`);

/** The container a log file belongs to, judged by its path alone. */
export function ownerOfLogPath(path: string): PathOwner | undefined {
  const docker = DOCKER.exec(path)?.groups?.['id'];
  if (docker !== undefined) return { kind: 'container', id: docker, runtime: 'docker' };

  const link = K8S_LINK.exec(basename(path))?.groups?.['id'];
  if (link !== undefined) return { kind: 'container', id: link, runtime: 'kubernetes' };

  const pod = K8S_POD.exec(path)?.groups;
  if (pod?.['uid'] !== undefined && pod['container'] !== undefined) {
    return { kind: 'pod', podUid: pod['uid'], container: pod['container'] };
  }

  return undefined;
}
