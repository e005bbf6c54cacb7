import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { loadRules } from '../src/rules/load.js';
import { distinct, findAll } from '../src/rules/match.js';

/**
 * shared/ sits beside the clone, here and in CI; HOSTPID_SHARED names it
 * when the clone is elsewhere (as it does for npm run bench).
 */
const SHARED = process.env['HOSTPID_SHARED']
  ?? fileURLToPath(new URL('../../shared', import.meta.url));
const CASES = join(SHARED, 'cases', 'cases.jsonl');

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

/**
 * Two cases are a record split in two by the container runtime: a Docker
 * json-file partial (a "log" value without a final newline) and a CRI "P"
 * line. Joining them is the container log decoders' job (issue 5), which
 * this rule test does not have, so here the test joins them itself and
 * matches the logical message, as the decoders will hand it over.
 */
function logicalMessage(c: Case): string {
  const records = c.line.split('\n');
  if (records.length === 1) return c.line;

  if (c.source === 'docker-json-file') {
    return records.map((r) => (JSON.parse(r) as { log: string }).log).join('').trimEnd();
  }
  return records.map((r) => r.replace(/^\S+ (?:stdout|stderr) [PF] /, '')).join('');
}

describe('shared cases through the shipped rules', () => {
  it('has the file and the two split records', () => {
    expect(cases.length).toBeGreaterThan(50);
    expect(cases.filter((c) => c.line.includes('\n')).map((c) => c.id)).toEqual([
      'jsonfile-partial-01',
      'cri-partial-01',
    ]);
  });

  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const found = findAll(logicalMessage(c), rules);

    expect(distinct(found, 'pid')).toEqual(c.pids);
  });

  it('finds the thread ids the notes list in [tids=...]', () => {
    for (const c of cases) {
      const tags = /\[tids=([\d,]+)\]/.exec(c.note);
      if (tags === null) continue;

      const tids = (tags[1] ?? '').split(',').map(Number);
      const found = distinct(findAll(logicalMessage(c), rules), 'tid');
      const kept = found.filter((t) => tids.includes(t));
      expect({ id: c.id, tids: kept }).toEqual({ id: c.id, tids });
    }
  });
});
