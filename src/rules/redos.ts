import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

import { makeDirs } from '../dirs.js';
import { usageError } from '../errors.js';
import type { Rule } from './types.js';

/** What the backtracking check says about one rule. */
export interface BacktrackVerdict {
  rule: Rule;
  status: 'safe' | 'vulnerable' | 'unknown';
  /** For a vulnerable pattern: its complexity and an attack string. */
  reason?: string;
}

// The fuzz checker found every polynomial pattern the automaton checker did
// on this rule set, in 11 s for all of it instead of 77 s (the automaton
// checker spends seconds on patterns with long literal runs). recheck seeds
// its fuzzer with a fixed value, so verdicts repeat from run to run.
const CHECK_PARAMS = { checker: 'fuzz', timeout: 10_000 } as const;

/**
 * Asks recheck (makenowjust-labs/recheck) whether each pattern can backtrack
 * catastrophically. recheck is loaded only here: it costs about 100 ms to
 * import and its native checker up to a second per pattern, so it runs in
 * `hostpid rules test`, on user rule files and in the test suite, never on
 * the start-up path of the shipped rules. One rule at a time: the checker
 * serves concurrent requests no faster, and they then run into the timeout.
 */
export async function checkBacktracking(rules: readonly Rule[]): Promise<BacktrackVerdict[]> {
  const { check } = await import('recheck');
  const verdicts: BacktrackVerdict[] = [];

  for (const rule of rules) {
    const diagnostics = await check(rule.pattern, rule.flags, CHECK_PARAMS);
    if (diagnostics.status !== 'vulnerable') {
      verdicts.push({ rule, status: diagnostics.status });
      continue;
    }

    const attack = diagnostics.attack.pattern;
    const reason = `${diagnostics.complexity.type} time on input like ${attack}`;
    verdicts.push({ rule, status: 'vulnerable', reason });
  }
  return verdicts;
}

/**
 * Refuses the first rule whose pattern is vulnerable, unless the rule says
 * `unsafe: true`. An unknown verdict (the checker ran out of time) passes.
 * Patterns that passed before, with this recheck and these settings, are
 * not checked again (see the verdict cache below): the check costs half a
 * second or more at every start, which a script running hostpid once per
 * archived file would pay per file.
 */
export async function refuseBacktracking(
  rules: readonly Rule[],
  cacheFile: string | undefined = verdictCacheFile(),
): Promise<void> {
  const passed = readPassed(cacheFile);
  const keys = new Map(rules.map((rule) => [rule, verdictKey(rule)]));
  const checked = rules.filter((rule) => !rule.unsafe && !passed.has(keys.get(rule) ?? ''));
  if (checked.length === 0) return;

  const verdicts = await checkBacktracking(checked);
  const bad = verdicts.find((verdict) => verdict.status === 'vulnerable');
  for (const verdict of verdicts) {
    const key = keys.get(verdict.rule) ?? '';
    passed.delete(key);
    // Only a sure pass is kept: "unknown" (the checker ran out of time, as
    // it may on a loaded machine) passes this run and is checked again.
    if (verdict.status === 'safe') passed.add(key);
  }
  writePassed(cacheFile, passed);
  if (bad === undefined) return;

  throw usageError(`${bad.rule.file}: rule "${bad.rule.name}": pattern can backtrack ` +
    `catastrophically (${bad.reason}): rewrite it, or set "unsafe: true" to accept that`);
}

/*
 * The verdict cache: one JSON list of the keys of patterns that passed, in
 * $HOSTPID_CACHE_DIR, else $XDG_CACHE_HOME/hostpid, else ~/.cache/hostpid.
 * A key hashes the pattern, its flags, the recheck version and the check's
 * settings, so a new checker or a stricter setting checks everything anew.
 * Only sure passes are kept: a refused pattern is refused again, with its
 * reason, and one the checker could not decide in time is checked again.
 * Whoever can write this file can let a bad pattern through, as whoever can
 * write the rule file can mark it unsafe; it lives with the user's files.
 * Any failure to read or write it costs a check, never a run.
 */
const CACHE_NAME = 'backtracking-passed.json';
/** Keys kept, newest last: rule files edited for years stay a few hundred KB. */
const CACHE_KEYS = 5_000;

export function verdictCacheFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // An empty or relative XDG_CACHE_HOME is to be ignored (XDG base dirs).
  const xdg = env['XDG_CACHE_HOME'];
  const dir = env['HOSTPID_CACHE_DIR'] ?? (xdg !== undefined && isAbsolute(xdg)
    ? join(xdg, 'hostpid')
    : join(homedir(), '.cache', 'hostpid'));
  return dir === '' ? undefined : join(dir, CACHE_NAME);
}

let checkerVersion: string | undefined;

export function verdictKey(rule: Rule): string {
  checkerVersion ??= (createRequire(import.meta.url)('recheck/package.json') as
    { version: string }).version;
  return createHash('sha256')
    .update(JSON.stringify([checkerVersion, CHECK_PARAMS, rule.pattern, rule.flags]))
    .digest('hex');
}

function readPassed(file: string | undefined): Set<string> {
  if (file === undefined) return new Set();
  try {
    const keys: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return new Set(Array.isArray(keys) ? keys.filter((k) => typeof k === 'string') : []);
  } catch {
    return new Set();
  }
}

function writePassed(file: string | undefined, keys: ReadonlySet<string>): void {
  if (file === undefined) return;
  try {
    makeDirs(dirname(file), 0o700);
    // Written aside and renamed, so that two runs at once never leave half a file.
    const aside = `${file}.${process.pid}`;
    writeFileSync(aside, JSON.stringify([...keys].slice(-CACHE_KEYS)), { mode: 0o600 });
    renameSync(aside, file);
  } catch {
    // Read-only home, full disk: the next run checks again, as before.
  }
}
