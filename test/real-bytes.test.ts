import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { canUnshare, type RunningNamespace, startNamespace } from './helpers/ns.js';
import { runCli, summaryOf } from './helpers/real.js';

/*
 * Bytes through the real CLI against a real namespace: lines without PIDs
 * come out byte for byte whatever they hold, lines with PIDs get only the
 * suffix (before a CR of a CRLF ending), and the order never changes.
 */
const b = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8')
    : Buffer.from(p))));

describe.skipIf(!canUnshare)('bytes through the real CLI', () => {
  let ns: RunningNamespace;
  let suffix: string;

  beforeAll(async () => {
    ns = await startNamespace('sleep 1000 & wait');
    suffix = ` hostpid=1:${ns.initPid}`;
  });

  afterAll(async () => {
    await ns?.stop();
  });

  /** [input line, expected output line]; both keep their own line ending. */
  const table = (): Array<[string, Buffer, Buffer]> => [
    ['invalid UTF-8', b([0xff, 0xfe, 0x80], ' broken\n'), b([0xff, 0xfe, 0x80], ' broken\n')],
    ['annotated', b('myapp[1]: up\n'), b(`myapp[1]: up${suffix}\n`)],
    ['NUL bytes', b('a', [0, 0], 'b pid 1, no rule\n'), b('a', [0, 0], 'b pid 1, no rule\n')],
    ['CRLF, annotated', b('myapp[1]: crlf\r\n'), b(`myapp[1]: crlf${suffix}\r\n`)],
    ['CRLF, untouched', b('plain crlf\r\n'), b('plain crlf\r\n')],
    ['a lone CR inside', b('half\rway\n'), b('half\rway\n')],
    ['annotated, invalid UTF-8 after', b('myapp[1]: ', [0xc3, 0x28], '\n'),
      b('myapp[1]: ', [0xc3, 0x28], `${suffix}\n`)],
    ['UTF-8 text', b('café ☕ naïve\n'), b('café ☕ naïve\n')],
    ['empty line', b('\n'), b('\n')],
    ['an empty CRLF line', b('\r\n'), b('\r\n')],
  ];

  const joined = (rows: Array<[string, Buffer, Buffer]>, col: 1 | 2) =>
    Buffer.concat(rows.map((row) => row[col]));

  it.each([
    ['no PID', 'tail without newline', ''],
    ['a PID', 'myapp[1]: tail', 'annotated'],
  ])('keeps every byte, in order, ending without a newline on a line with %s',
    async (_name, last, annotated) => {
      const rows = table();
      const input = Buffer.concat([joined(rows, 1), b(last)]);
      const run = await runCli(['--pid', String(ns.initPid)], input);

      const tail = b(annotated === '' ? last : `${last}${suffix}`);
      expect(run.code).toBe(0);
      expect(run.stdout.toString('latin1'))
        .toBe(Buffer.concat([joined(rows, 2), tail]).toString('latin1'));
      expect(summaryOf(run.stderr)).toMatchObject({ lines: rows.length + 1 });
    });

  it('gives the same bytes when the input arrives in 3-byte pieces', async () => {
    const rows = table();
    const input = joined(rows, 1);
    const pieces: Buffer[] = [];
    for (let at = 0; at < input.length; at += 3) pieces.push(input.subarray(at, at + 3));
    const run = await runCli(['--pid', String(ns.initPid)], pieces);

    expect(run.code).toBe(0);
    expect(run.stdout.equals(joined(rows, 2))).toBe(true);
  });

  it('gives the same bytes when files are named instead of stdin', async () => {
    const dir = mkdtempSync('/tmp/hostpid-bytes-');
    try {
      const rows = table();
      writeFileSync(`${dir}/a.log`, joined(rows.slice(0, 4), 1));
      writeFileSync(`${dir}/b.log`, joined(rows.slice(4), 1));
      const run = await runCli(['--pid', String(ns.initPid), `${dir}/a.log`, `${dir}/b.log`]);

      expect(run.code).toBe(0);
      expect(run.stdout.equals(joined(rows, 2))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
