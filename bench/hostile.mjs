#!/usr/bin/env node
// `npm run bench:hostile`: what the shipped rules cost on lines built to make
// them work hard (issue 8). Each rule's example and its hints, repeated to the
// annotator's default scan limit (64 KiB), and its example followed by 65,000
// digits; every shipped rule runs on every such line. Prints the count, the
// mean and the worst time per line. A timing, so it lives here and not in
// the unit tests; the test suite checks the same rules with recheck instead.

import { loadRules } from '../dist/rules/load.js';
import { findAll } from '../dist/rules/match.js';

const LIMIT = 65_536;
const rules = loadRules();
const lines = rules.flatMap((rule) => {
  const seed = rule.examples.find((e) => e.pids.length > 0)?.line ?? rule.name;
  return [
    seed.repeat(Math.ceil(LIMIT / seed.length)).slice(0, LIMIT),
    `${seed.slice(0, 40)}${'9'.repeat(65_000)}`,
    ...rule.hints.map((h) => `${seed.slice(0, 20)}${h.repeat(Math.floor(LIMIT / h.length))}`),
  ];
});

let worst = 0;
const started = performance.now();
for (const line of lines) {
  const t = performance.now();
  findAll(line, rules);
  worst = Math.max(worst, performance.now() - t);
}
const mean = (performance.now() - started) / lines.length;

process.stdout.write(`${lines.length} hostile lines of up to 64 KiB, ${rules.length} rules: ` +
  `mean ${mean.toFixed(2)} ms a line, worst ${worst.toFixed(2)} ms\n`);
