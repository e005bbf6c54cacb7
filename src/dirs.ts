import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

import { errnoCode } from './errors.js';

/**
 * mkdir -p, one directory at a time from the top. Node's own
 * `mkdirSync(dir, { recursive: true })` spins forever where mkdir answers
 * ENOENT under a parent that exists, as it does anywhere in /proc: a
 * mistyped `--out-dir /proc/...` would hang instead of failing. Here the
 * kernel's answer comes back as the error it is.
 */
export function makeDirs(dir: string, mode = 0o777): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (tryMkdir(d, mode)) break;
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) tryMkdir(d, mode, true);
}

/** True when the directory was made or is there; ENOENT is false (parent missing). */
function tryMkdir(dir: string, mode: number, mustMake = false): boolean {
  try {
    mkdirSync(dir, { mode });
    return true;
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return true;
    if (code === 'ENOENT' && !mustMake) return false;
    throw err;
  }
}
