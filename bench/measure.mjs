// Timing helpers for the bench: wall time and peak memory of a child process,
// alternated runs, medians. Peak memory comes from GNU time when it is there,
// because it reads the kernel's own high-water mark after the child exits.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

/** True when /usr/bin/time is GNU time (busybox and BSD lack -f %M). */
export function hasGnuTime() {
  if (!existsSync(GNU_TIME)) return false;

  const probe = spawnSync(GNU_TIME, ['-f', '%M', 'true'], { encoding: 'utf8' });
  return probe.status === 0 && /^\d+\s*$/.test(probe.stderr.trim().split('\n').at(-1) ?? '');
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/**
 * Runs `cmd args` with stdin from a file and stdout to /dev/null, and returns
 * wall seconds, peak RSS in KiB, and stderr (for the error message when the
 * exit code is not 0).
 */
export async function timeRun(cmd, args, stdinPath = '/dev/null', useGnuTime = true) {
  const stdin = openSync(stdinPath, 'r');
  const stdout = openSync('/dev/null', 'w');
  const rssFile = join(tmpdir(), `hostpid-bench-rss-${process.pid}`);
  const argv = useGnuTime ? ['-f', '%M', '-o', rssFile, cmd, ...args] : args;

  const start = process.hrtime.bigint();
  const child = spawn(useGnuTime ? GNU_TIME : cmd, argv, { stdio: [stdin, stdout, 'pipe'] });
  const sampler = useGnuTime ? undefined : sampleHwm(child.pid);
  const { code, stderr } = await exited(child);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(stdin);
  closeSync(stdout);

  const rssKiB = useGnuTime ? readRss(rssFile) : sampler.stop();
  if (code !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  }
  return { seconds, rssKiB };
}

function readRss(file) {
  const text = readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '';
  rmSync(file, { force: true });
  return Number(text);
}

function exited(child) {
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/**
 * Without GNU time: VmHWM is the kernel's peak RSS so far, so reading it every
 * 10 ms loses at most what the child grew in its last 10 ms.
 */
function sampleHwm(pid) {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m !== null) peak = Math.max(peak, Number(m[1]));
    } catch {
      // It exited between two samples: the last reading stands.
    }
  }, 10);
  return { stop: () => { clearInterval(timer); return peak; } };
}

/**
 * Runs every job `rounds` times, interleaved (A B A B ...), so a burst of
 * load from elsewhere on the machine lands on both sides rather than one.
 */
export async function alternate(jobs, rounds) {
  const results = jobs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, job] of jobs.entries()) results[i].push(await job());
  }

  return results.map((runs) => ({
    seconds: median(runs.map((x) => x.seconds)),
    all: runs.map((x) => x.seconds),
    rssKiB: Math.max(...runs.map((x) => x.rssKiB ?? 0)),
  }));
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
