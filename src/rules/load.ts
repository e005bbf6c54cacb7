import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { errnoCode, usageError } from '../errors.js';
import { readCache, writeCache } from './cache.js';
import { refuseBacktracking } from './redos.js';
import type { Rule, RuleExample } from './types.js';

// The yaml package takes 35 ms or more to import; with the parsed copy of the
// shipped rules (cache.ts) most runs need no YAML at all, so it is required
// on first use only.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown =>
  (require('yaml') as typeof import('yaml')).parse(text);

/** The rule set that ships with hostpid, one YAML file per software family. */
export const SHIPPED_RULES_DIR = fileURLToPath(new URL('../../rules', import.meta.url));

const ALLOWED_FLAGS = /^[imsuv]*$/;
const GROUP_NAME = /\(\?<([A-Za-z_$][\w$]*)>/g;

/**
 * Loads every rule from the given files and directories (a directory gives
 * its *.yaml and *.yml files in name order). Any problem is a usage error
 * naming the file, the rule and what to change.
 */
export function loadRules(paths: readonly string[] = [SHIPPED_RULES_DIR]): Rule[] {
  const rules: Rule[] = [];
  const names = new Map<string, string>();
  const files = paths.flatMap(expand);
  const cached = isShipped(paths) ? readCache(SHIPPED_RULES_DIR, files) : undefined;

  for (const file of files) {
    for (const rule of loadRuleFile(file, cached?.get(basename(file)))) {
      const other = names.get(rule.name);
      if (other !== undefined) {
        throw usageError(`${file}: rule "${rule.name}" is also defined in ${other}: rename one`);
      }

      names.set(rule.name, file);
      rules.push(rule);
    }
  }

  if (rules.length === 0) {
    throw usageError(`no rules found in ${paths.join(', ')}: give --rules a YAML rule file`);
  }
  return rules;
}

/**
 * loadRules plus the backtracking check for rule files the user names
 * (`--rules`); the shipped set is checked by the test suite instead, which
 * keeps recheck off the start-up path.
 */
export async function loadCheckedRules(paths?: readonly string[]): Promise<Rule[]> {
  if (paths === undefined) return loadRules();

  const rules = loadRules(paths);
  await refuseBacktracking(rules);
  return rules;
}

/** Rules of one file; doc is its content when already parsed (the cache). */
export function loadRuleFile(file: string, doc: unknown = parseDocument(file)): Rule[] {
  const where = displayPath(file);

  if (!isRecord(doc) || !Array.isArray(doc['rules'])) {
    throw usageError(`${where}: expected a top-level "rules:" list`);
  }

  return doc['rules'].map((entry, i) => compileRule(entry, where, i));
}

const KEYS = ['name', 'description', 'pattern', 'flags', 'host', 'hints', 'unsafe', 'examples'];

export function compileRule(entry: unknown, where: string, position: number): Rule {
  const label = isRecord(entry) && typeof entry['name'] === 'string'
    ? `rule "${entry['name']}"`
    : `rule #${position + 1}`;
  const fail = (reason: string) => usageError(`${where}: ${label}: ${reason}`);

  if (!isRecord(entry)) throw fail('expected a mapping with name and pattern');
  const unknown = Object.keys(entry).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) throw fail(`unknown key "${unknown}": use ${KEYS.join(', ')}`);

  const { name, pattern, flags = '', description = '', host = false, hints = [],
    unsafe = false, examples = [] } = entry;
  if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) {
    throw fail('"name" must be letters, digits, ".", "_" or "-"');
  }
  if (typeof pattern !== 'string' || pattern === '') throw fail('"pattern" must be a string');
  if (typeof flags !== 'string' || !ALLOWED_FLAGS.test(flags)) {
    throw fail('"flags" may hold only i, m, s, u and v (g and d are added by hostpid)');
  }
  if (typeof description !== 'string') throw fail('"description" must be a string');
  if (typeof host !== 'boolean') throw fail('"host" must be true or false');
  if (typeof unsafe !== 'boolean') throw fail('"unsafe" must be true or false');
  if (!isHintList(hints)) throw fail('"hints" must be a list of non-empty strings');

  const re = buildRegex(pattern, flags, fail);
  const groups = [...pattern.matchAll(GROUP_NAME)].map((m) => m[1] ?? '');
  const pidGroups = groups.filter((g) => g.startsWith('pid')).map(groupSpec);
  const tidGroups = groups.filter((g) => g.startsWith('tid')).map(groupSpec);
  if (pidGroups.length + tidGroups.length === 0) {
    throw fail('the pattern needs a named group "pid..." or "tid..." around the number');
  }

  const checked = checkExamples(examples, fail);
  return { name, file: where, description, pattern, flags, re, pidGroups, tidGroups, host,
    hints, unsafe, examples: checked };
}

function buildRegex(pattern: string, flags: string, fail: (r: string) => Error): RegExp {
  try {
    return new RegExp(pattern, `${flags}g`);
  } catch (err) {
    throw fail(`pattern does not compile: ${(err as Error).message}`);
  }
}

/** Groups whose name holds "hex" carry a hexadecimal PID (PostgreSQL %c). */
function groupSpec(name: string) {
  return { name, hex: name.toLowerCase().includes('hex') };
}

function checkExamples(examples: unknown, fail: (r: string) => Error): RuleExample[] {
  if (!Array.isArray(examples)) throw fail('"examples" must be a list of {line, pids}');

  return examples.map((example, i) => {
    const at = `example #${i + 1}`;
    if (!isRecord(example) || typeof example['line'] !== 'string') {
      throw fail(`${at} needs a "line" string`);
    }

    const pids = example['pids'] ?? [];
    const tids = example['tids'];
    if (!isPidList(pids)) throw fail(`${at}: "pids" must be a list of numbers`);
    if (tids !== undefined && !isPidList(tids)) throw fail(`${at}: "tids" must be a list`);

    return tids === undefined
      ? { line: example['line'], pids }
      : { line: example['line'], pids, tids };
  });
}

/** Rewrites the parsed copy of the shipped rules that loadRules reads first. */
export function updateShippedCache(): void {
  writeCache(SHIPPED_RULES_DIR, expand(SHIPPED_RULES_DIR), parseDocument);
}

function isShipped(paths: readonly string[]): boolean {
  return paths.length === 1 && paths[0] === SHIPPED_RULES_DIR;
}

function parseDocument(file: string): unknown {
  const where = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`${where}: cannot read rule file (${errnoCode(err) ?? String(err)})`, err);
  }

  try {
    return parseYaml(text);
  } catch (err) {
    const reason = (err as Error).message.split('\n')[0] ?? 'invalid YAML';
    throw usageError(`${where}: not valid YAML: ${reason}`, err);
  }
}

function expand(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (err) {
    throw usageError(`${path}: no such rule file or directory (${errnoCode(err) ?? err})`);
  }
  if (!isDir) return [path];

  return readdirSync(path)
    .filter((name) => ['.yaml', '.yml'].includes(extname(name)))
    .sort()
    .map((name) => join(path, name));
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  if (file.startsWith(SHIPPED_RULES_DIR)) return `rules/${basename(file)}`;
  return rel.startsWith('..') ? file : rel;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isHintList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '');
}

function isPidList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isSafeInteger(v) && v > 0);
}
