import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

import split2 from 'split2';

import { HostpidError } from '../errors.js';
import { runExamples, type ExampleReport } from '../rules/examples.js';
import { distinct, explain, findAll } from '../rules/match.js';
import { checkBacktracking, type BacktrackVerdict } from '../rules/redos.js';
import type { Rule } from '../rules/types.js';

export type RulesFormat = 'text' | 'json';

/** `hostpid rules`: one line per rule, or the same as a JSON array. */
export function runRulesList(rules: readonly Rule[], format: RulesFormat, output: Writable): void {
  if (format === 'json') {
    const list = rules.map(({ name, file, description, host }) => ({ name, file, description,
      host }));
    output.write(`${JSON.stringify(list, null, 2)}\n`);
    return;
  }

  const nameWidth = Math.max(...rules.map((r) => r.name.length));
  const fileWidth = Math.max(...rules.map((r) => r.file.length));
  for (const rule of rules) {
    output.write(`${rule.name.padEnd(nameWidth)}  ${rule.file.padEnd(fileWidth)}  ` +
      `${rule.description}\n`);
  }
}

export interface RulesTestResult {
  report: ExampleReport;
  verdicts: BacktrackVerdict[];
}

/**
 * `hostpid rules test`: every rule against its own examples, then the
 * backtracking check. Details go to output; any failure ends in one
 * HostpidError (exit 1) that counts them.
 */
export async function runRulesTest(
  rules: readonly Rule[],
  options: { backtracking: boolean; output: Writable },
): Promise<RulesTestResult> {
  const { output } = options;
  const report = runExamples(rules);
  for (const f of report.failures) {
    output.write(`FAIL ${f.rule.file} ${f.rule.name} example #${f.index}: expected ` +
      `${describe(f.example.pids, f.example.tids ?? [])}, got ${describe(f.pids, f.tids)}\n` +
      `     line: ${f.example.line}\n`);
  }

  const verdicts = options.backtracking ? await checkBacktracking(rules) : [];
  const vulnerable = verdicts.filter((v) => v.status === 'vulnerable' && !v.rule.unsafe);
  for (const v of vulnerable) {
    output.write(`FAIL ${v.rule.file} ${v.rule.name}: pattern can backtrack catastrophically ` +
      `(${v.reason}); set "unsafe: true" only if no hostile line can reach it\n`);
  }

  const files = new Set(rules.map((r) => r.file)).size;
  const checked = options.backtracking
    ? `; backtracking check: ${countStatus(verdicts, 'safe')} safe, ` +
      `${countStatus(verdicts, 'unknown')} unknown, ${verdicts.length - countStatus(verdicts,
        'safe') - countStatus(verdicts, 'unknown')} vulnerable`
    : '';
  output.write(`${rules.length} rules in ${files} files, ${report.examples} examples ` +
    `(${report.traps} traps), ${report.failures.length} failed${checked}\n`);

  if (report.failures.length > 0 || vulnerable.length > 0) {
    throw new HostpidError(`rules test failed: ${report.failures.length} of ` +
      `${report.examples} examples, ${vulnerable.length} unsafe patterns`);
  }
  return { report, verdicts };
}

function countStatus(verdicts: readonly BacktrackVerdict[], status: string): number {
  return verdicts.filter((v) => v.status === status).length;
}

function describe(pids: readonly number[], tids: readonly number[]): string {
  return `pids [${pids.join(', ')}] tids [${tids.join(', ')}]`;
}

/**
 * `hostpid rules explain`: for each input line, each rule that matched,
 * the span it matched and the numbers it captured, for rule writers.
 */
export async function runRulesExplain(
  rules: readonly Rule[],
  options: { files: string[]; input: Readable; output: Writable },
): Promise<void> {
  const sources = options.files.length === 0 ? ['-'] : options.files;
  let number = 0;

  for (const file of sources) {
    const input = file === '-' ? options.input : createReadStream(file);
    for await (const raw of input.pipe(split2()) as AsyncIterable<string>) {
      number++;
      options.output.write(explainLine(number, raw.replace(/\r$/, ''), rules));
    }
  }
}

export function explainLine(number: number, line: string, rules: readonly Rule[]): string {
  const { text, matches } = explain(line, rules);
  const out = [`line ${number}: ${line}`];
  if (text !== line) out.push(`  JSON escapes decoded: ${showControls(text)}`);
  if (matches.length === 0) out.push('  no rule matched');

  for (const m of matches) {
    const captures = m.captures.map((c) => c.value === undefined
      ? `${c.group}=${c.text} (not a process id, skipped)`
      : `${c.group}=${c.text}${c.value === Number(c.text) ? '' : ` (${c.value})`}`);
    const host = m.rule.host ? ' host' : '';
    out.push(`  ${m.rule.name}${host} [${m.start}-${m.end}] ${JSON.stringify(
      text.slice(m.start, m.end))} ${captures.join(' ')}`.trimEnd());
  }

  const found = findAll(line, rules);
  if (found.length > 0) {
    out.push(`  => pids [${distinct(found, 'pid').join(', ')}] ` +
      `tids [${distinct(found, 'tid').join(', ')}]`);
  }
  return `${out.join('\n')}\n`;
}

/** Newlines and tabs that decoding made, written back as \n and \t to keep one line. */
function showControls(text: string): string {
  return text.replace(/[\n\r\t]/g, (c) => JSON.stringify(c).slice(1, -1));
}
