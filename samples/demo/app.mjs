// A small service that logs the way real servers do, for `npm run demo`.
// run-demo.mjs starts it as pid 1 of a fresh pid namespace; it forks three
// workers and every process writes its own PID (and the master its workers'
// PIDs) as this namespace sees them, in the shapes hostpid's rules know.
import { fork } from 'node:child_process';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov',
  'Dec'];
const pad = (n, width = 2) => String(n).padStart(width, '0');

function clock(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `Dec  3 19:20:01 demo app[1]: ...`, as rsyslog writes what openlog(LOG_PID) sent. */
function syslog(message) {
  const d = new Date();
  const day = String(d.getDate()).padStart(2, ' ');
  return `${MONTHS[d.getMonth()]} ${day} ${clock(d)} demo app[${process.pid}]: ${message}`;
}

/** `2026/12/03 19:20:01 [notice] 1#1: ...`, nginx's error log. */
function nginx(level, message) {
  const d = new Date();
  const date = `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())}`;
  return `${date} ${clock(d)} [${level}] ${process.pid}#${process.pid}: ${message}`;
}

/** `1:M 03 Dec 2026 19:20:01.123 * ...`, redis; role C is a forked child. */
function redis(role, message) {
  const d = new Date();
  const date = `${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
  return `${process.pid}:${role} ${date} ${clock(d)}.${pad(d.getMilliseconds(), 3)} * ${message}`;
}

/** One pino-style JSON line. */
function json(msg) {
  return JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, hostname: 'demo', msg });
}

const say = (line) => process.stdout.write(`${line}\n`);

const WORKERS = {
  http: () => say(nginx('info', '*1 client 127.0.0.1 closed keepalive connection')),
  saver: () => say(redis('C', 'DB saved on disk')),
  api: async () => {
    say(json('api listening on :8080'));
    // Node prints this itself, as "(node:PID) Warning: ..." on stderr, from
    // a listener that runs before ours: once ours runs, the line is out.
    const printed = new Promise((resolve) => process.once('warning', resolve));
    process.emitWarning('cache size limit not set, using 64 MiB');
    await printed;
  },
};

async function master() {
  say(syslog(`starting ${Object.keys(WORKERS).length} workers`));

  const ready = Object.keys(WORKERS).map((kind) => {
    // The workers' stdout and stderr are the master's stdout: one log.
    const child = fork(new URL(import.meta.url), ['worker', kind],
      { stdio: ['ignore', 1, 1, 'ipc'] });
    if (kind === 'http') say(nginx('notice', `start worker process ${child.pid}`));
    if (kind === 'saver') say(redis('M', `Background saving started by pid ${child.pid}`));
    if (kind === 'api') say(`level=info msg="api worker forked" pid=${child.pid}`);
    return new Promise((resolve) => child.once('message', resolve));
  });

  await Promise.all(ready);
  say(syslog('all workers ready'));
  stayAlive();
}

/**
 * Every process lives until the namespace ends (run-demo kills pid 1), so
 * the demo can compare each PID it logged with /proc while it still exists.
 */
function stayAlive() {
  setInterval(() => undefined, 60_000);
}

async function worker(kind) {
  await WORKERS[kind]?.();
  process.send?.('ready');
  stayAlive();
}

if (process.argv[2] === 'worker') await worker(process.argv[3]);
else await master();
