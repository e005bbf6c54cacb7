import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { inspectContainer } from '../src/docker.js';
import { runCli } from './helpers/cli.js';
import { makeFakeProc } from './helpers/fakeproc.js';
import { CONTAINER_STORY, INNER_NS } from './fixtures/hierarchy/seed.js';

const WEB_ID = 'fedcba9876543210'.repeat(4);

/**
 * A stand-in for the Docker engine on a unix socket: the Engine API's
 * `GET [/vX.Y]/containers/{name}/json`, with and without the version prefix
 * that docker clients put in front, and its 404 body for unknown names.
 */
const CONTAINERS: Record<string, object> = {
  web: { Id: WEB_ID, Name: '/web', State: { Status: 'running', Running: true, Pid: 16263 } },
  stopped: { Id: WEB_ID, Name: '/stopped', State: { Status: 'exited', Running: false, Pid: 0 } },
};

let dir: string;
let socket: string;
let server: Server;
const requests: string[] = [];
let story: ReturnType<typeof makeFakeProc>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hostpid-docker-'));
  socket = join(dir, 'docker.sock');
  story = makeFakeProc(CONTAINER_STORY);
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const name = /^(?:\/v\d+\.\d+)?\/containers\/([^/]+)\/json$/.exec(req.url ?? '')?.[1];
    const found = name === undefined ? undefined : CONTAINERS[decodeURIComponent(name)];
    res.setHeader('Content-Type', 'application/json');
    res.statusCode = found === undefined ? 404 : 200;
    res.end(JSON.stringify(found ?? { message: `No such container: ${name ?? '?'}` }));
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
  story.cleanup();
});

describe('the Docker engine client', () => {
  it('asks GET /containers/{name}/json and reads Id and State.Pid', async () => {
    requests.length = 0;
    const found = await inspectContainer(socket, 'web');

    expect(found).toEqual({ id: WEB_ID, pid: 16263, name: 'web' });
    expect(requests).toEqual(['GET /containers/web/json']);
  });

  it('escapes names so a slash cannot reach another endpoint', async () => {
    requests.length = 0;
    await expect(inspectContainer(socket, '../info')).rejects.toThrow('no container ../info');

    expect(requests).toEqual(['GET /containers/..%2Finfo/json']);
  });
});

describe('hostpid lookup --container NAME', () => {
  it('finds the namespace from the engine\'s State.Pid', async () => {
    const run = await runCli(['lookup', '3', '--container', 'web', '--docker-socket', socket,
      '--proc', story.root]);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(`host pid 16268 (bad): pid 3 in pid:[${INNER_NS}]`);
  });

  const failures = [
    { name: 'no such container', container: 'nosuch', socket: () => socket,
      message: 'no container nosuch (the Docker engine at ' },
    { name: 'a container that is not running', container: 'stopped', socket: () => socket,
      message: 'container stopped is not running' },
    { name: 'no engine at the socket', container: 'web', socket: () => join(dir, 'none.sock'),
      message: 'cannot reach the Docker engine at ' },
  ];

  for (const f of failures) {
    it(`says so in one line and exits 2 for ${f.name}`, async () => {
      const run = await runCli(['lookup', '3', '--container', f.container,
        '--docker-socket', f.socket(), '--proc', story.root]);
      const lines = run.stderr.trim().split('\n');

      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(f.message);
    });
  }
});
