#!/usr/bin/env node
// `npm run bench`: hostpid against the perl reference a user would write
// instead (issue 7). Prints a Markdown table and writes it, with the raw
// figures, to bench/out/. Run it after `npm run build` (npm run bench does).

import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, createWriteStream, existsSync, mkdirSync, openSync,
  readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { makeFixture } from './make-fixture.mjs';
import { alternate, hasGnuTime, timeRun } from './measure.mjs';
import { latencyProbe, missProbe, startupMs } from './probes.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'bench', 'out');
const HOSTPID = join(REPO, 'bin', 'hostpid');
const LINES = Number(process.env.HOSTPID_BENCH_LINES ?? 2_000_000);
const SMALL_LINES = Math.min(LINES, 500_000);
const ROUNDS = Number(process.env.HOSTPID_BENCH_ROUNDS ?? 3);
const MIB = 1024;

const TARGETS = {
  ratio: 2.0, rssMiB: 100, flood: 0.8, missMs: 50, startupMs: 150, latencyMs: 50,
};

/**
 * The shared dir holds the corpus generator and the reference. It sits beside
 * the repo here; a clone elsewhere names it with HOSTPID_SHARED, which wins.
 */
function sharedDir() {
  const candidates = [process.env.HOSTPID_SHARED, resolve(REPO, '..', 'shared')];
  for (const dir of candidates) {
    if (dir !== undefined && existsSync(join(dir, 'bench', 'reference.pl'))) return dir;
  }
  throw new Error('cannot find bench/make-corpus.mjs and bench/reference.pl: looked in ' +
    `${candidates.filter(Boolean).join(' and ')}; set HOSTPID_SHARED to the shared directory`);
}

/** Writes the corpus afresh each run: it is deterministic and takes seconds. */
function makeCorpus(shared, lines) {
  const file = join(OUT, `corpus-${lines}.log`);
  const fd = openSync(file, 'w');
  const script = join(shared, 'bench', 'make-corpus.mjs');
  const out = spawnSync(process.execPath, [script, String(lines)], {
    stdio: ['ignore', fd, 'inherit'],
  });
  closeSync(fd);
  if (out.status !== 0) throw new Error(`${script} exited ${out.status}`);
  return file;
}

/**
 * Every line names a different PID that no process has, at about the normal
 * corpus's line length, so the per-line rates compare like with like.
 */
async function makeFlood(lines) {
  const file = join(OUT, `flood-${lines}.log`);
  const out = createWriteStream(file);
  let batch = [];
  for (let i = 0; i < lines; i++) {
    const t = `${String(i % 60).padStart(2, '0')}:${String((i >> 6) % 60).padStart(2, '0')}`;
    batch.push(`Dec  3 10:${t} web-1 app[${100_000 + i}]: connection closed by peer ` +
      `192.0.2.${i % 254} port ${1024 + (i % 60000)} after ${i % 900} ms`);
    if (batch.length === 10_000 || i === lines - 1) {
      if (!out.write(`${batch.join('\n')}\n`)) await new Promise((r) => out.once('drain', r));
      batch = [];
    }
  }
  await new Promise((r) => out.end(r));
  return file;
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const perl = spawnSync('perl', ['-e', 'print $^V'], { encoding: 'utf8' }).stdout;
  return { nproc: os.availableParallelism(), cpu: model, node: process.version, perl,
    kernel: os.release(), date: new Date().toISOString(), load: os.loadavg() };
}

/**
 * hostpid runs as users run it: the launcher itself, so the V8 options of
 * its #! line (a smaller young generation) apply as they do for them.
 */
function hostpidArgs(fixture, extra = []) {
  return ['--proc', fixture.root, '--pidns', String(fixture.ns),
    '--log-level', 'silent', ...extra];
}

/** Lines each tool annotated in a small corpus: the bench must not time a no-op. */
function crossCheck(corpus, fixture, shared) {
  const count = (cmd, args, re) => {
    const out = spawnSync(cmd, args, { input: readFileSync(corpus), maxBuffer: 1 << 30 });
    if (out.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${out.stderr}`);
    return out.stdout.toString('latin1').split('\n').filter((l) => re.test(l)).length;
  };
  const ours = /(?: hostpid=|"hostpid":)/;
  return {
    lines: readFileSync(corpus, 'latin1').split('\n').length - 1,
    reference: count('perl', [join(shared, 'bench', 'reference.pl')], / host_pid=/),
    defaultRules: count(HOSTPID, hostpidArgs(fixture), ours),
    fiveRules: count(HOSTPID,
      hostpidArgs(fixture, ['--rules', join(REPO, 'bench', 'five-rules.yaml')]), ours),
  };
}

/** `--jobs` is measured only once hostpid has it (with --out-dir, which it needs). */
function hasJobs() {
  const help = spawnSync(process.execPath, [HOSTPID, '--help'], { encoding: 'utf8' });
  return /--jobs\b/.test(help.stdout) && /--out-dir\b/.test(help.stdout);
}

/** Four copies of a corpus rewritten into a directory, by one job and by two. */
async function benchJobs(fixture, corpus, gnu) {
  const files = [1, 2, 3, 4].map((i) => join(OUT, 'jobs-in', `part-${i}.log`));
  mkdirSync(join(OUT, 'jobs-in'), { recursive: true });
  for (const f of files) copyFileSync(corpus, f);

  const run = (jobs) => () => {
    const outDir = join(OUT, `jobs-out-${jobs}`);
    rmSync(outDir, { recursive: true, force: true });
    return timeRun(HOSTPID, hostpidArgs(fixture,
      ['--jobs', String(jobs), '--out-dir', outDir, ...files]), '/dev/null', gnu);
  };
  const [one, two] = await alternate([run(1), run(2)], ROUNDS);
  // Six copies of the corpus are of no use once timed.
  for (const dir of ['jobs-in', 'jobs-out-1', 'jobs-out-2']) {
    rmSync(join(OUT, dir), { recursive: true, force: true });
  }
  return { files: files.length, lines: 4 * SMALL_LINES, one, two };
}

async function main() {
  mkdirSync(OUT, { recursive: true });
  const shared = sharedDir();
  const gnu = hasGnuTime();
  const info = machine();
  log(`machine: ${info.nproc} cpu, ${info.cpu}, node ${info.node}, load ${fmtLoad(info.load)}`);
  if (!gnu) log('GNU time not found (apt-get install time): sampling VmHWM instead');

  log(`corpus: ${LINES} lines`);
  const corpus = makeCorpus(shared, LINES);
  const small = makeCorpus(shared, SMALL_LINES);
  const check = makeCorpus(shared, 20_000);
  const flood = await makeFlood(SMALL_LINES);
  const fixture = makeFixture(join(OUT, 'proc'));
  const host = makeFixture(join(OUT, 'proc-5000'), 5000);

  const res = { machine: info, gnuTime: gnu, lines: LINES, bytes: statSync(corpus).size };
  res.check = crossCheck(check, fixture, shared);
  log(`annotated lines in 20k: ${JSON.stringify(res.check)}`);

  const reference = join(shared, 'bench', 'reference.pl');
  const five = ['--rules', join(REPO, 'bench', 'five-rules.yaml')];
  const none = ['--rules', join(REPO, 'bench', 'no-match.yaml')];
  log(`throughput: ${ROUNDS} rounds of reference, default rules, five rules, no match`);
  [res.reference, res.defaults, res.five, res.floor] = await alternate([
    () => timeRun('perl', [reference], corpus, gnu),
    () => timeRun(HOSTPID, hostpidArgs(fixture), corpus, gnu),
    () => timeRun(HOSTPID, hostpidArgs(fixture, five), corpus, gnu),
    () => timeRun(HOSTPID, hostpidArgs(fixture, none), corpus, gnu),
  ], ROUNDS);

  log(`flood: ${SMALL_LINES} unknown PIDs against as many corpus lines, 5,000-process host`);
  [res.normalSmall, res.flood] = await alternate([
    () => timeRun(HOSTPID, hostpidArgs(host), small, gnu),
    () => timeRun(HOSTPID, hostpidArgs(host), flood, gnu),
  ], ROUNDS);

  log('miss probe, start-up, latency');
  res.miss = await missProbe(REPO, host, 5);
  res.startupMs = await startupMs(HOSTPID, ['--version'], 10);
  res.emptyRunMs = await startupMs(HOSTPID, hostpidArgs(fixture), 10);
  res.latency = await latencyProbe(HOSTPID, hostpidArgs(fixture), 10);
  res.jobs = hasJobs() ? await benchJobs(fixture, small, gnu) : undefined;
  res.loadAfter = os.loadavg();

  const table = render(res);
  process.stdout.write(`${table}\n`);
  writeFileSync(join(OUT, 'results.md'), `${table}\n`);
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(res, null, 2)}\n`);
}

function render(res) {
  const { machine: m, bytes, lines } = res;
  const rate = (r, n = lines, b = bytes) =>
    `${fmt(n / r.seconds / 1e6, 2)} M lines/s, ${fmt(b / r.seconds / 1e6, 0)} MB/s`;
  const ratio = res.reference.seconds / res.defaults.seconds;
  const fiveRatio = res.reference.seconds / res.five.seconds;
  const floodRatio = res.normalSmall.seconds / res.flood.seconds;
  const peak = Math.max(res.defaults.rssKiB, res.five.rssKiB) / MIB;
  const miss = res.miss;
  const ok = (pass) => (pass ? 'yes' : '**no**');

  const rows = [
    ['reference.pl (perl)', secs(res.reference), rate(res.reference), mib(res.reference), '', ''],
    ['hostpid, default rules', secs(res.defaults), rate(res.defaults), mib(res.defaults),
      `${fmt(ratio, 2)}x ref`, `≥ ${TARGETS.ratio}x: ${ok(ratio >= TARGETS.ratio)}`],
    ['hostpid, five rules', secs(res.five), rate(res.five), mib(res.five),
      `${fmt(fiveRatio, 2)}x ref`, `> default: ${ok(fiveRatio > ratio)}`],
    ['hostpid, a rule that never matches', secs(res.floor), rate(res.floor), mib(res.floor),
      `${fmt(res.reference.seconds / res.floor.seconds, 2)}x ref`, 'stream floor'],
    [`peak memory, ${lines / 1e6}M lines`, '', '', `${fmt(peak, 0)} MiB`, '',
      `≤ ${TARGETS.rssMiB} MiB: ${ok(peak <= TARGETS.rssMiB)}`],
    [`corpus ${SMALL_LINES / 1000}k, 5k-process host`, secs(res.normalSmall),
      rate(res.normalSmall, SMALL_LINES, NaN).split(',')[0], mib(res.normalSmall), '', ''],
    [`unknown-PID flood ${SMALL_LINES / 1000}k`, secs(res.flood),
      rate(res.flood, SMALL_LINES, NaN).split(',')[0], mib(res.flood),
      `${fmt(floodRatio, 2)}x corpus`,
      `≥ ${TARGETS.flood}x: ${ok(floodRatio >= TARGETS.flood)}`],
    [`miss then hit, ${miss.processes} processes`, `${fmt(miss.missThenHitMs, 1)} ms`,
      `max ${fmt(miss.missThenHitMaxMs, 1)} ms`, '', '',
      `≤ ${TARGETS.missMs} ms: ${ok(miss.missThenHitMs <= TARGETS.missMs)}`],
    ['miss that stays a miss (rescan)', `${fmt(miss.absentMs, 1)} ms`, '', '', '', ''],
    [`${miss.burst.count} misses back to back`, `${fmt(miss.burst.ms, 1)} ms`,
      `${miss.burst.scans} rescans`, '', '', ''],
    ['first resolve (full scan)', `${fmt(miss.firstMs, 0)} ms`, '', '', '', ''],
    ['hit', `${fmt(miss.hitUs, 2)} µs`, `${miss.hitScans} scans in 200k hits`, '', '',
      `no /proc read: ${ok(miss.hitScans === 0)}`],
    ['start-up: --version (median of 10)', `${fmt(res.startupMs, 0)} ms`, '', '', '',
      `< ${TARGETS.startupMs} ms: ${ok(res.startupMs < TARGETS.startupMs)}`],
    ['start-up: annotate empty stdin', `${fmt(res.emptyRunMs, 0)} ms`, '', '', '', ''],
    ['idle-pipe latency (median of 10)', `${fmt(res.latency.medianMs, 1)} ms`,
      `max ${fmt(res.latency.maxMs, 1)} ms; first line ${fmt(res.latency.firstMs, 0)} ms`, '',
      '', `< ${TARGETS.latencyMs} ms: ${ok(res.latency.medianMs < TARGETS.latencyMs)}`],
    jobsRow(res.jobs),
  ];

  return [
    `hostpid bench, ${m.date}: ${m.nproc} CPUs (${m.cpu}), Linux ${m.kernel}, node ` +
      `${m.node}, perl ${m.perl}; load average ${fmtLoad(m.load)} before, ` +
      `${fmtLoad(res.loadAfter)} after. Corpus: ${lines} lines, ${fmt(bytes / 1e6, 0)} MB; ` +
      `medians of ${ROUNDS} alternated runs; peak RSS from ` +
      `${res.gnuTime ? 'GNU time (%M)' : 'VmHWM sampled every 10 ms'}.`,
    '',
    '| run | time | rate | peak RSS | ratio | target |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    '',
    `Lines annotated in the first 20,000 lines: reference ${res.check.reference}, ` +
      `hostpid default rules ${res.check.defaultRules}, five rules ${res.check.fiveRules}.`,
  ].join('\n');
}

function jobsRow(jobs) {
  if (jobs === undefined) {
    return ['--jobs 2 vs 1', 'skipped', 'hostpid has no --jobs option yet', '', '', ''];
  }
  const speedup = jobs.one.seconds / jobs.two.seconds;
  return [`--out-dir, ${jobs.files} files of ${SMALL_LINES / 1000}k lines: --jobs 2 vs 1`,
    `${secs(jobs.two)} vs ${secs(jobs.one)}`, '', `${fmt(jobs.two.rssKiB / MIB, 0)} MiB`,
    `${fmt(speedup, 2)}x`, ''];
}

const fmt = (x, digits) => x.toFixed(digits);
const secs = (r) => `${fmt(r.seconds, 2)} s`;
const mib = (r) => `${fmt(r.rssKiB / MIB, 0)} MiB`;
const fmtLoad = (l) => l.map((x) => x.toFixed(2)).join(' ');
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

main().catch((err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
