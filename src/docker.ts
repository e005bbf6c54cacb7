import { request } from 'node:http';

import { errnoCode, usageError } from './errors.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** What hostpid needs from `docker inspect NAME`. */
export interface DockerContainer {
  /** Full container id, 64 hex digits. */
  id: string;
  /** Host PID of the container's init (State.Pid); 0 when it is not running. */
  pid: number;
  name: string;
}

const TIMEOUT_MS = 5_000;

/**
 * Asks the Docker Engine API for a container by name (or id) over its unix
 * socket: `GET /containers/{name}/json`, unversioned, so every engine answers
 * with its own API version. Failures are usage errors (exit 2): the name, the
 * socket path or the engine is what the user has to fix.
 */
export async function inspectContainer(
  socketPath: string,
  name: string,
): Promise<DockerContainer> {
  const { status, body } = await get(socketPath, `/containers/${encodeURIComponent(name)}/json`);

  if (status === 404) {
    throw usageError(`no container ${name} (the Docker engine at ${socketPath} says: ` +
      `${messageOf(body) ?? 'not found'}): check docker ps -a`);
  }
  if (status !== 200) {
    throw usageError(`the Docker engine at ${socketPath} answered ${status} for container ` +
      `${name}: ${messageOf(body) ?? 'no message'}`);
  }

  return containerOf(body, name, socketPath);
}

function containerOf(body: string, name: string, socketPath: string): DockerContainer {
  let parsed: { Id?: unknown; State?: { Pid?: unknown } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch (err) {
    throw usageError(`${socketPath} did not answer like a Docker engine (not JSON)`, err);
  }

  const id = parsed.Id;
  const pid = parsed.State?.Pid;
  if (typeof id !== 'string' || typeof pid !== 'number') {
    throw usageError(`${socketPath} did not answer like a Docker engine (no Id or State.Pid)`);
  }
  if (pid <= 0) throw usageError(`container ${name} is not running: start it, then ask again`);

  return { id, pid, name };
}

function messageOf(body: string): string | undefined {
  try {
    const message = (JSON.parse(body) as { message?: unknown }).message;
    return typeof message === 'string' ? message : undefined;
  } catch {
    return undefined;
  }
}

function get(socketPath: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { socketPath, path, method: 'GET', headers: { Host: 'docker' } };
    const req = request(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0,
        body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });

    req.setTimeout(TIMEOUT_MS, () => req.destroy(Object.assign(new Error('timed out'),
      { code: 'ETIMEDOUT' })));
    req.on('error', (err) => reject(socketError(socketPath, err)));
    req.end();
  });
}

function socketError(socketPath: string, err: unknown) {
  const code = errnoCode(err) ?? String(err);
  const hint = code === 'EACCES'
    ? 'run as root or as a member of the docker group'
    : 'is the Docker engine running? give --docker-socket its socket, or give --pid ' +
      'or --container ID instead of a name';
  return usageError(`cannot reach the Docker engine at ${socketPath} (${code}): ${hint}`, err);
}
