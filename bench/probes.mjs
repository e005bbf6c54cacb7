// Bench probes that are not throughput: start-up, the delay of one line on an
// idle pipe, and the cost of a resolver miss on a host with many processes.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

import { containerProcess, CONTAINER_NS, HOST_BASE, writeProcess } from './make-fixture.mjs';
import { median, sleep, timeRun } from './measure.mjs';

/** Median wall time of `runs` runs of one command, in milliseconds. */
export async function startupMs(cmd, args, runs) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    times.push((await timeRun(cmd, args, '/dev/null', false)).seconds);
  }
  return median(times) * 1000;
}

/**
 * Spawns hostpid on a pipe and writes one line at a time with idle gaps in
 * between: a line must come out without waiting for more input. The first
 * line is timed from spawn, so it also shows start-up as a user meets it.
 */
export async function latencyProbe(cmd, args, runs, gapMs = 100) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  let seen = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    seen += d;
    for (const w of waiters.splice(0)) w();
  });
  const until = async (marker) => {
    while (!seen.includes(marker)) await new Promise((resolve) => waiters.push(resolve));
  };

  const line = (i) => `Dec  3 10:00:00 web-1 app[${(i % 300) + 1}]: probe-${i}.\n`;
  const spawned = performance.now();
  child.stdin.write(line(0));
  await until('probe-0.');
  const firstMs = performance.now() - spawned;

  const times = [];
  for (let i = 1; i <= runs; i++) {
    await sleep(gapMs);
    const t0 = performance.now();
    child.stdin.write(line(i));
    await until(`probe-${i}.`);
    times.push(performance.now() - t0);
  }

  child.stdin.end();
  await new Promise((resolve) => child.on('close', resolve));
  return { firstMs, medianMs: median(times), maxMs: Math.max(...times) };
}

/**
 * In-process, on a fixture host: the first resolve (full scan), a hit, a miss
 * that a rescan turns into a hit (the process appeared after the first scan),
 * a miss that stays one, and a burst of misses.
 */
export async function missProbe(repo, fixture, runs) {
  const url = pathToFileURL(join(repo, 'dist', 'resolve', 'resolver.js')).href;
  const { Resolver } = await import(url);
  const resolver = new Resolver({ procRoot: fixture.root });
  const ns = CONTAINER_NS;
  const timed = (vpid) => {
    const t0 = performance.now();
    const answer = resolver.resolve(ns, vpid);
    return { ms: performance.now() - t0, answer };
  };

  const first = timed(1);
  const hit = hitCost(resolver, ns);
  const rescanMs = resolver.minRescanMs ?? 250;

  const appeared = [];
  for (let i = 1; i <= runs; i++) {
    await sleep(rescanMs + 10);
    writeProcess(fixture.root, containerProcess(300 + i));
    const r = timed(300 + i);
    if (!r.answer.ok || r.answer.hostPid !== HOST_BASE + 300 + i) {
      throw new Error(`miss probe: pid ${300 + i} did not resolve after a rescan`);
    }
    appeared.push(r.ms);
  }

  await sleep(rescanMs + 10);
  const absent = timed(99_999);
  const burst = missBurst(resolver, ns, 20);
  return { processes: fixture.processes, firstMs: first.ms, hitUs: hit.us,
    hitScans: hit.scans, missThenHitMs: median(appeared), missThenHitMaxMs: Math.max(...appeared),
    absentMs: absent.ms, burst };
}

/**
 * `count` PIDs that no process has, asked back to back: the rate limit on
 * rescans (whatever its shape) is what keeps this cheap.
 */
function missBurst(resolver, ns, count) {
  const scans = resolver.stats.scans;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) resolver.resolve(ns, 200_000 + i);
  return { count, ms: performance.now() - t0, scans: resolver.stats.scans - scans };
}

/** Mean cost of a hit over many lookups, and how many scans they caused (should be 0). */
function hitCost(resolver, ns) {
  const n = 200_000;
  const scans = resolver.stats.scans;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) resolver.resolve(ns, (i % 300) + 1);
  const us = ((performance.now() - t0) * 1000) / n;
  return { us, scans: resolver.stats.scans - scans };
}
