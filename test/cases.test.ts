import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { createFormat } from '../src/formats/detect.js';
import { Resolver } from '../src/resolve/resolver.js';
import type { ProcessSource } from '../src/resolve/source.js';
import { loadRules } from '../src/rules/load.js';
import { distinct, findAll } from '../src/rules/match.js';
import { newStats } from '../src/stats.js';

/**
 * The project's shared cases (shared/cases/cases.jsonl), copied here so that
 * a clone anywhere passes its tests. Where shared/ sits beside the clone (as
 * in CI) or HOSTPID_SHARED names it, a test below holds the copy to it.
 */
const CASES = fileURLToPath(new URL('fixtures/cases/cases.jsonl', import.meta.url));
const SHARED_CASES = join(process.env['HOSTPID_SHARED']
  ?? fileURLToPath(new URL('../../shared', import.meta.url)), 'cases', 'cases.jsonl');

interface Case {
  id: string;
  source: string;
  line: string;
  pids: number[];
  note: string;
}

const cases = readFileSync(CASES, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => JSON.parse(line) as Case);

const rules = loadRules();

/** A source with no processes: these tests look at which PIDs are found, not mapped. */
const NOTHING: ProcessSource = {
  description: 'no processes',
  scan: () => ({ added: [], gone: [], failed: new Map() }),
};

/**
 * The PIDs a case names. Two cases are a record split in two by the
 * container runtime (a Docker json-file partial, a CRI "P" line): those go
 * through the input format that joins them, and the PIDs are read, in
 * order, from the annotation it puts on the record that ends the line.
 */
function pidsOf(c: Case): number[] {
  const records = c.line.split('\n');
  if (records.length === 1) return distinct(findAll(c.line, rules), 'pid');

  const format = createFormat(c.source === 'docker-json-file' ? 'docker-json' : 'cri');
  const ctx = { rules, resolver: new Resolver({ source: NOTHING }), ns: 1, stats: newStats() };
  const insertions = records.map((record) => format.annotate(record, ctx));
  expect(insertions.slice(0, -1)).toEqual(records.slice(0, -1).map(() => undefined));

  const text = insertions.at(-1)?.text ?? '';
  return [...text.matchAll(/"?(\d+)"?:(?:null|\?|\d+)/g)].map((m) => Number(m[1]));
}

// Without shared/ (a clone elsewhere) there is nothing to compare with.
it.runIf(existsSync(SHARED_CASES))('uses the same cases as shared/cases/cases.jsonl', () => {
  expect(readFileSync(CASES, 'utf8')).toBe(readFileSync(SHARED_CASES, 'utf8'));
});

describe('shared cases through the shipped rules', () => {
  it('has the file and the two split records', () => {
    expect(cases.length).toBeGreaterThan(50);
    expect(cases.filter((c) => c.line.includes('\n')).map((c) => c.id)).toEqual([
      'jsonfile-partial-01',
      'cri-partial-01',
    ]);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    expect(pidsOf(c)).toEqual(c.pids);
  });

  it('finds the thread ids the notes list in [tids=...]', () => {
    for (const c of cases) {
      const tags = /\[tids=([\d,]+)\]/.exec(c.note);
      if (tags === null) continue;

      const tids = (tags[1] ?? '').split(',').map(Number);
      const found = distinct(findAll(c.line, rules), 'tid');
      const kept = found.filter((t) => tids.includes(t));
      expect({ id: c.id, tids: kept }).toEqual({ id: c.id, tids });
    }
  });
});
