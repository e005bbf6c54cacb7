import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { canUnshare } from './helpers/ns.js';

/*
 * `npm run demo` is the README's first command: it must run to its end by
 * itself, find every PID its app logged where /proc says it is, and tell a
 * user without root how to run it.
 */
const DEMO = fileURLToPath(new URL('../samples/demo/run-demo.mjs', import.meta.url));

const hasSetpriv = spawnSync('setpriv', ['--version']).error === undefined;

describe.skipIf(!canUnshare)('npm run demo', () => {
  it('annotates the app\'s log and every PID matches /proc', () => {
    const run = spawnSync(process.execPath, [DEMO], { encoding: 'utf8', timeout: 20_000 });

    expect(run.status).toBe(0);
    expect(run.stdout).not.toMatch(/MISMATCH/);
    const checks = run.stdout.match(/ ok$/gm) ?? [];
    const verdict = /^(\d+) of (\d+) host PIDs and TIDs match/m.exec(run.stdout);
    expect(verdict?.[1]).toBe(verdict?.[2]);
    expect(Number(verdict?.[1])).toBe(checks.length);
    // Every shape the app writes came out annotated.
    for (const shape of [/ app\[1\]: .* hostpid=1:\d+$/m, /1#1: start worker process \d+ /,
      /^1:M .* started by pid \d+ hostpid=1:\d+,\d+:\d+$/m, /^\d+:C .* hostpid=\d+:\d+$/m,
      /"hostpid":\{"\d+":\d+\}\}$/m, /^\(node:\d+\) Warning: .* hostpid=\d+:\d+$/m]) {
      expect(run.stdout).toMatch(shape);
    }
  });

  it.skipIf(!hasSetpriv)('says it needs root, and how to run it, with exit 2', () => {
    const run = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups',
      process.execPath, DEMO], { encoding: 'utf8', timeout: 20_000 });

    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/sudo npm run demo/)]);
  });
});
