import { readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { runCli } from './helpers/cli.js';

/*
 * No container engine or cluster runs here, so the deployment samples are
 * checked for what can be checked: they parse, and every hostpid flag they
 * use is one the CLI knows. The Fluent Bit parser's regex takes a real
 * annotated line apart.
 */
let help = '';
beforeAll(async () => {
  help = (await runCli(['annotate', '--help'])).stdout;
});

const flagsOf = (text: string) => [...text.matchAll(/(?<![\w-])--([a-z][a-z-]+)/g)]
  .map((m) => m[1] as string);

describe('deployment samples', () => {
  it.each(['k8s-sidecar.yaml', 'k8s-daemonset.yaml', 'docker-compose.yaml'])(
    '%s parses and uses only flags hostpid knows', (name) => {
      const text = readFileSync(`samples/deploy/${name}`, 'utf8');
      expect(() => parse(text) as unknown).not.toThrow();

      const flags = flagsOf(text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n'));
      expect(flags.length).toBeGreaterThan(0);
      for (const flag of flags) expect(help).toContain(`--${flag}`);
    });

  it('the Fluent Bit parser splits an annotated line', () => {
    const conf = readFileSync('samples/deploy/fluent-bit-parsers.conf', 'utf8');
    const regex = new RegExp(/Regex\s+(.*)$/m.exec(conf)?.[1] ?? '$^');
    const m = regex.exec('2026/12/03 10:00:00 [notice] 1#1: start worker process 29 ' +
      'hostpid=1:16263,29:16291 hosttid=1:16263');

    expect(m?.groups).toEqual({ line: '2026/12/03 10:00:00 [notice] 1#1: start worker process 29',
      hostpid: '1:16263,29:16291', hosttid: '1:16263' });
  });
});
