import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * The real-namespace tests need root and a few programs. Missing any of
 * them fails the run here, with what to do, instead of letting those tests
 * skip quietly: a skipped test hides what it was there to find. Without
 * root, HOSTPID_SKIP_REAL=1 runs the fixture tests alone, on purpose.
 */
const PROGRAMS = ['unshare', 'nsenter', 'setpriv', 'mount', 'mkfifo', 'redis-server', 'redis-cli'];

export default function setup(): () => void {
  // The suite's backtracking verdicts stay with the suite, not in ~/.cache.
  const cache = mkdtempSync(join(tmpdir(), 'hostpid-test-cache-'));
  process.env['HOSTPID_CACHE_DIR'] = cache;
  const teardown = () => rmSync(cache, { recursive: true, force: true });
  if (process.env['HOSTPID_SKIP_REAL'] === '1') return teardown;

  const missing = PROGRAMS.filter((p) => !onPath(p));
  if (!existsSync('/usr/sbin/nginx')) missing.push('nginx');
  const problems = [
    ...(process.getuid?.() === 0 ? [] : ['root (the tests make pid namespaces and cgroups)']),
    ...missing,
  ];
  if (problems.length === 0) return teardown;

  teardown();
  throw new Error(`the real-namespace tests need ${problems.join(', ')}: run ` +
    'test/install-deps.sh and npm test as root, or set HOSTPID_SKIP_REAL=1 to run only ' +
    'the tests on fixture trees');
}

function onPath(program: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
