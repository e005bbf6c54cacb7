// `npm run demo`: hostpid's main job on real processes, checked against /proc.
//
// Starts samples/demo/app.mjs as pid 1 of a fresh pid namespace (what a
// container runtime does), pipes its log through `node bin/hostpid --pid
// <its host PID>` as it is written, and under every annotated line shows what
// /proc/HOSTPID/status says of each PID: NSpid must end with the PID the line
// named. Ends by itself once the app has logged that its workers are ready.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APP = fileURLToPath(new URL('app.mjs', import.meta.url));
const HOSTPID = `${ROOT}bin/hostpid`;
const LAST_LINE = 'all workers ready';
const GIVE_UP_MS = 15_000;

const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

const tty = process.stdout.isTTY;
const paint = (code, text) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const green = (text) => paint(32, text);
const red = (text) => paint(31, text);
const dim = (text) => paint(2, text);

function fail(code, message) {
  console.error(`hostpid demo: ${message}`);
  process.exit(code);
}

function checkCanRun() {
  if (process.getuid?.() !== 0) {
    fail(EXIT_USAGE, 'making a pid namespace needs root; run it as: sudo npm run demo');
  }
  if (spawnSync('unshare', ['--version']).error !== undefined) {
    fail(EXIT_USAGE, 'unshare(1) is missing; install util-linux, then: sudo npm run demo');
  }
  if (!existsSync(`${ROOT}dist/cli.js`)) {
    fail(EXIT_USAGE, 'hostpid is not built; run: npm run build (npm run demo does both)');
  }
}

/** NSpid of a host process, outermost first, or undefined once it is gone. */
function nsPidOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    return /^NSpid:\s*(.*)$/m.exec(status)?.[1].trim().split(/\s+/).map(Number);
  } catch {
    return undefined;
  }
}

function ppidOf(pid) {
  try {
    return Number(/^PPid:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1]);
  } catch {
    return undefined;
  }
}

/** The forked child of unshare: pid 1 of the new namespace. */
async function initOf(unsharePid) {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const init = readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)
      .find((pid) => ppidOf(pid) === unsharePid);
    if (init !== undefined) return init;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

/**
 * The numbers hostpid attached to a line: ` hostpid=1:4242,7:? hosttid=1:4242`
 * at its end, or "hostpid"/"hosttid" members in a JSON line, as
 * [kind, vpid, host] with host undefined for `?` (null in JSON).
 */
function pairsOf(line) {
  const pairs = [];
  for (const kind of ['pid', 'tid']) {
    const json = new RegExp(`"host${kind}":\\{([^}]*)\\}`).exec(line);
    const text = new RegExp(` host${kind}=([\\d:?,]+)(?= |$)`).exec(line);
    if (json !== null) {
      for (const [v, h] of Object.entries(JSON.parse(`{${json[1]}}`))) {
        pairs.push([kind, Number(v), h ?? undefined]);
      }
    } else if (text !== null) {
      for (const pair of text[1].split(',')) {
        const [v, h] = pair.split(':');
        pairs.push([kind, Number(v), h === '?' ? undefined : Number(h)]);
      }
    }
  }
  return pairs;
}

/**
 * What /proc says of one pair: ok when the host process (or thread) has
 * that number in the demo's namespace. /proc/TID/status exists for threads
 * too, though readdir does not list them.
 */
function check(kind, vpid, host, level) {
  const label = `${kind} ${String(vpid).padStart(2)}`;
  if (host === undefined) return { ok: false, text: `${label} -> ?  (hostpid could not map it)` };

  const nsPid = nsPidOf(host);
  const seen = nsPid === undefined ? 'gone' : `NSpid: ${nsPid.join(' ')}`;
  const ok = nsPid !== undefined && nsPid[0] === host && nsPid[level] === vpid;
  return { ok, text: `${label} -> ${String(host).padEnd(7)} /proc/${host}/status ${seen}` };
}

function summaryOf(stderr) {
  for (const line of stderr.split('\n')) {
    try {
      const record = JSON.parse(line);
      if (record.msg === 'summary') return record;
    } catch {
      // Not one of pino's JSON lines: shown as it is at the end if the run failed.
    }
  }
  return undefined;
}

/** app.mjs as pid 1 of a new pid namespace; `stop` kills that init, ending it all. */
async function startApp() {
  const app = spawn('unshare', ['--pid', '--fork', '--kill-child', process.execPath, APP],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  app.stderr.on('data', (b) => { stderr += b; });
  const init = await initOf(app.pid);
  const stop = () => {
    try {
      process.kill(init ?? app.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  process.once('exit', stop);

  let ns;
  try {
    ns = readlinkSync(`/proc/${init}/ns/pid`);
  } catch {
    fail(EXIT_FAILED, `the demo app did not start:\n${stderr}`);
  }
  return { app, init, ns, stop };
}

/** Prints each annotated line with its checks; returns how many checks failed. */
async function printChecked(output, level, stop) {
  let checked = 0;
  let bad = 0;
  for await (const line of createInterface({ input: output, crlfDelay: Infinity })) {
    console.log(line);
    for (const [kind, vpid, host] of pairsOf(line)) {
      const result = check(kind, vpid, host, level);
      checked++;
      if (!result.ok) bad++;
      console.log(`    ${result.text}  ${result.ok ? green('ok') : red('MISMATCH')}`);
    }
    // Everything is logged and checked: end the namespace, which ends the log.
    if (line.includes(LAST_LINE)) stop();
  }
  return { checked, bad };
}

async function main() {
  checkCanRun();
  // `npm run demo | head`: a reader that left ends the demo, quietly.
  process.stdout.on('error', (err) => process.exit(err.code === 'EPIPE' ? 0 : EXIT_FAILED));
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => process.exit(EXIT_FAILED));
  }
  const timer = setTimeout(() => fail(EXIT_FAILED, `gave up after ${GIVE_UP_MS / 1000} s`),
    GIVE_UP_MS);

  const { app, init, ns, stop } = await startApp();
  const level = (nsPidOf(init)?.length ?? 1) - 1;
  console.log(`app.mjs runs as pid 1 of a new pid namespace ${ns}; host PID ${init}.`);
  console.log(`Its log goes through: ${dim(`node bin/hostpid --pid ${init}`)}`);
  console.log('Under each line: every PID (and thread id) it names, the host PID hostpid ' +
    'gave it,\nand what /proc says of that host PID.\n');

  const cli = spawn(process.execPath, [HOSTPID, '--pid', String(init), '--log-format', 'json'],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  app.stdout.pipe(cli.stdin);
  let stderr = '';
  cli.stderr.on('data', (b) => { stderr += b; });
  const cliDone = new Promise((resolve) => cli.on('close', resolve));
  const { checked, bad } = await printChecked(cli.stdout, level, stop);
  const code = await cliDone;
  clearTimeout(timer);

  console.log('');
  const summary = summaryOf(stderr);
  if (summary === undefined || code !== 0) {
    console.log(red(`hostpid exited with ${code}; its stderr:\n${stderr}`));
    return EXIT_FAILED;
  }

  const unresolved = Object.values(summary.unresolved).reduce((a, b) => a + b, 0);
  console.log(`hostpid: ${summary.lines} lines, ${summary.linesWithPids} with PIDs, ` +
    `${summary.pids} PIDs, ${summary.resolved} resolved, ${unresolved} unresolved.`);
  const verdict = `${checked - bad} of ${checked} host PIDs and TIDs match ` +
    '/proc/HOSTPID/status NSpid.';
  const passed = bad === 0 && checked > 0;
  console.log(passed ? green(verdict) : red(verdict));
  return passed ? 0 : EXIT_FAILED;
}

process.exitCode = await main();
