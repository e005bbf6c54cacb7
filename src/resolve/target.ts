import { readlinkSync } from 'node:fs';
import { join } from 'node:path';

import { DEFAULT_DOCKER_SOCKET, inspectContainer } from '../docker.js';
import { errnoCode, usageError } from '../errors.js';
import { readContainer } from '../proc/read.js';
import type { ContainerRef } from '../proc/cgroup.js';
import { formatNs, parseNsInode } from '../proc/nslink.js';
import type { Resolver } from './resolver.js';

/** How the user named the namespace whose PIDs a log holds. */
export interface TargetSpec {
  pid?: number;
  pidns?: string;
  container?: string;
  /** Where to ask for a container given by name (resolveTarget only). */
  dockerSocket?: string;
}

export interface Target {
  ns: number;
  /** How the target was found, for the log and for `lookup`. */
  via: string;
  container?: ContainerRef;
}

export const NO_TARGET_HINT =
  'say whose PIDs the log holds: --container ID, --pid HOSTPID (any process in the ' +
  'container, e.g. from docker inspect -f {{.State.Pid}}) or --pidns INODE';

const MIN_ID_PREFIX = 12;

/** Turns --pid, --pidns or --container into a pid namespace inode. */
export function findTarget(spec: TargetSpec, procRoot: string, resolver: Resolver): Target {
  const given = [spec.pid, spec.pidns, spec.container].filter((v) => v !== undefined);
  if (given.length === 0) throw usageError(`no target namespace: ${NO_TARGET_HINT}`);
  if (given.length > 1) throw usageError('give only one of --container, --pid and --pidns');

  if (spec.pid !== undefined) return targetOfPid(spec.pid, procRoot);
  if (spec.pidns !== undefined) return targetOfPidns(spec.pidns, resolver);
  return targetOfContainer(spec.container ?? '', procRoot, resolver);
}

/**
 * findTarget, and for `--container NAME` (anything but a hex id) the Docker
 * engine's answer: the host PID of the container's init names the namespace.
 */
export async function resolveTarget(
  spec: TargetSpec,
  procRoot: string,
  resolver: Resolver,
): Promise<Target> {
  const name = spec.container;
  if (name === undefined || isContainerId(name) || spec.pid !== undefined ||
    spec.pidns !== undefined) {
    return findTarget(spec, procRoot, resolver);
  }

  const found = await inspectContainer(spec.dockerSocket ?? DEFAULT_DOCKER_SOCKET, name);
  const target = targetOfPid(found.pid, procRoot);
  const container = readContainer(procRoot, found.pid) ?? { runtime: 'docker', id: found.id };
  return { ns: target.ns, via: `container ${name} (${found.id.slice(0, 12)}, init ${found.pid})`,
    container };
}

/** A full container id or a prefix long enough to be one; anything else is a name. */
export function isContainerId(text: string): boolean {
  return /^[0-9a-f]+$/i.test(text) && text.length >= MIN_ID_PREFIX;
}

function targetOfPid(pid: number, procRoot: string): Target {
  const path = join(procRoot, String(pid), 'ns', 'pid');
  let link: string;
  try {
    link = readlinkSync(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EACCES' || code === 'EPERM') {
      throw usageError(`cannot read ${path}: run as root or with CAP_SYS_PTRACE`, err);
    }
    throw usageError(`no process ${pid} in ${procRoot}: give --pid the host PID of a ` +
      'process inside the container', err);
  }

  const ns = parseNsInode(link);
  if (ns === undefined) throw usageError(`${path} does not look like a pid namespace link`);
  return { ns, via: `pid ${pid}` };
}

/**
 * `self` is the namespace hostpid runs in: a sidecar that shares its app's
 * pid namespace. A namespace inode is the same through every procfs mount,
 * so our own /proc/self says it even when --proc points at the host's.
 */
function targetOfPidns(text: string, resolver: Resolver): Target {
  const ns = parseNsInode(text === 'self' ? readlinkSync('/proc/self/ns/pid') : text);
  if (ns === undefined) {
    throw usageError(`--pidns ${text}: expected an inode like 4026532388, pid:[4026532388] ` +
      'or self');
  }
  if (!resolver.knowsNamespace(ns)) {
    const unreadable = resolver.table.unreadableCount();
    const hidden = resolver.table.unreadableSample()?.reason === 'denied'
      ? `; ${unreadable} unreadable ${unreadable === 1 ? 'process' : 'processes'} may hold it: ` +
        'run as root or with CAP_SYS_PTRACE'
      : '';
    throw usageError(`no process lives in ${formatNs(ns)} under ${resolver.table.description}: ` +
      `check the inode with readlink /proc/PID/ns/pid${hidden}`);
  }

  return { ns, via: formatNs(ns) };
}

function targetOfContainer(id: string, procRoot: string, resolver: Resolver): Target {
  const wanted = id.toLowerCase();
  if (!/^[0-9a-f]+$/.test(wanted) || wanted.length < MIN_ID_PREFIX) {
    throw usageError(`--container ${id}: give the container id or a prefix of at least ` +
      `${MIN_ID_PREFIX} hex digits (docker ps --no-trunc shows it)`);
  }

  const members = containerMembers(wanted, procRoot, resolver);
  const ids = new Set(members.map((m) => m.container.id));
  if (ids.size === 0) {
    throw usageError(`no process of container ${id} under ${procRoot}: check the id, ` +
      'and give --proc the host\'s /proc when running in a container');
  }
  if (ids.size > 1) {
    throw usageError(`container prefix ${id} matches ${ids.size} containers: give more digits`);
  }

  const outermost = members.reduce((a, b) => (b.level < a.level ? b : a));
  return { ns: outermost.ns, via: `container ${outermost.container.id.slice(0, 12)}`,
    container: outermost.container };
}

/** Processes whose cgroup names a container id starting with `prefix`. */
function containerMembers(prefix: string, procRoot: string, resolver: Resolver) {
  if (!resolver.table.hasScanned) resolver.refresh();

  const members: Array<{ container: ContainerRef; ns: number; level: number }> = [];
  for (const task of resolver.table.live()) {
    const container = readContainer(procRoot, task.info.pid);
    if (container === undefined || !container.id.startsWith(prefix)) continue;

    members.push({ container, ns: task.info.pidNs, level: task.level });
  }

  return members;
}
