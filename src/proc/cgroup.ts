/** A container as its cgroup path names it. */
export interface ContainerRef {
  runtime: 'docker' | 'containerd' | 'cri-o' | 'podman' | 'kubernetes';
  /** The runtime's full container id (64 hex digits). */
  id: string;
  /** The Kubernetes pod uid, with dashes, when the path is under kubepods. */
  podUid?: string;
}

const HEX64 = '[0-9a-f]{64}';

/**
 * Path segments that name a container, as the runtimes lay them out under
 * cgroup v1 and v2, with the cgroupfs and the systemd drivers. A `conmon`
 * scope belongs to podman's or cri-o's monitor process, not to the container.
 */
const SEGMENT_RULES: ReadonlyArray<{ runtime: ContainerRef['runtime']; re: RegExp }> = [
  { runtime: 'docker', re: new RegExp(`^docker-(?<id>${HEX64})\\.scope$`) },
  { runtime: 'containerd', re: new RegExp(`^cri-containerd-(?<id>${HEX64})\\.scope$`) },
  { runtime: 'cri-o', re: new RegExp(`^crio-(?<id>${HEX64})\\.scope$`) },
  { runtime: 'podman', re: new RegExp(`^libpod-(?<id>${HEX64})\\.scope$`) },
];
const PARENT_RUNTIME: Record<string, ContainerRef['runtime']> = {
  docker: 'docker',
  libpod_parent: 'podman',
};
const BARE_ID = new RegExp(`^(?<id>${HEX64})$`);
const POD_UID = /^(?:kubepods-(?:besteffort-|burstable-)?)?pod(?<uid>[0-9a-f_-]{36})(?:\.slice)?$/;

/**
 * Finds the container that a /proc/PID/cgroup text names, or undefined for a
 * process that is in no container. Every line (one per v1 hierarchy, one for
 * v2) is tried; the first that names a container wins.
 */
export function parseCgroup(text: string): ContainerRef | undefined {
  for (const line of text.split('\n')) {
    const path = line.split(':').slice(2).join(':');
    const ref = containerOfPath(path);
    if (ref !== undefined) return ref;
  }

  return undefined;
}

export function containerOfPath(path: string): ContainerRef | undefined {
  const segments = path.split('/').filter((s) => s !== '');
  const podUid = findPodUid(segments);

  for (let i = segments.length - 1; i >= 0; i--) {
    const segment = segments[i] ?? '';
    const scoped = SEGMENT_RULES.find((rule) => rule.re.test(segment));
    const id = (scoped?.re ?? BARE_ID).exec(segment)?.groups?.['id'];
    if (id === undefined) continue;

    const runtime = scoped?.runtime ?? bareRuntime(segments[i - 1], podUid);
    return podUid === undefined ? { runtime, id } : { runtime, id, podUid };
  }

  return undefined;
}

function bareRuntime(parent: string | undefined, podUid: string | undefined) {
  if (podUid !== undefined) return 'kubernetes';
  return PARENT_RUNTIME[parent ?? ''] ?? 'containerd';
}

function findPodUid(segments: string[]): string | undefined {
  for (const segment of segments) {
    const uid = POD_UID.exec(segment)?.groups?.['uid'];
    if (uid !== undefined) return uid.replaceAll('_', '-');
  }

  return undefined;
}
