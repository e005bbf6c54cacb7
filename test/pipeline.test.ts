import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';

import { createAnnotator } from '../src/pipeline.js';
import { Resolver } from '../src/resolve/resolver.js';
import { compileRule } from '../src/rules/load.js';
import { newStats } from '../src/stats.js';
import { makeFakeProc, SMALL_CONTAINER, SMALL_NS } from './helpers/fakeproc.js';

const NS = SMALL_NS;
/** Short in CI; `npm run fuzz` sets HOSTPID_FUZZ_RUNS for a long run on demand. */
const FUZZ_RUNS = Number(process.env['HOSTPID_FUZZ_RUNS'] ?? 300);
const fake = makeFakeProc(SMALL_CONTAINER);
afterAll(() => fake.cleanup());

const rules = [
  compileRule({ name: 'tag', pattern: '\\w+\\[(?<pid>\\d+)\\]:' }, 'test', 0),
  compileRule({ name: 'json', pattern: '"pid":(?<pid>\\d+)' }, 'test', 1),
  compileRule({ name: 'kernel', pattern: 'Killed process (?<pid>\\d+)', host: true }, 'test', 2),
  compileRule({ name: 'pidtid', pattern: '^(?<pid>\\d+)#(?<tid>\\d+): ' }, 'test', 3),
];

/** Runs `chunks` through a fresh annotator and returns the output bytes. */
async function annotate(chunks: Buffer[], maxScan?: number) {
  const resolver = new Resolver({ procRoot: fake.root });
  const stats = newStats();
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk);
      done();
    },
  });
  const annotator = createAnnotator({ ns: NS, rules, resolver, stats,
    ...(maxScan === undefined ? {} : { maxScan }) });
  await pipeline(Readable.from(chunks, { objectMode: false }), annotator, sink);
  return { text: Buffer.concat(out), stats };
}

const run = async (text: string) => (await annotate([Buffer.from(text)])).text.toString();

describe('annotations', () => {
  it.each([
    ['a syslog line', 'app[3]: ready\n', 'app[3]: ready hostpid=3:16268\n'],
    ['two PIDs, one unknown', 'app[3]: child[9]: x\n', 'app[3]: child[9]: x hostpid=3:16268,9:?\n'],
    ['a PID named twice', 'a[1]: b[1]: x\n', 'a[1]: b[1]: x hostpid=1:16263\n'],
    ['a host PID (kernel)', 'Killed process 16268 (app)\n',
      'Killed process 16268 (app) hostpid=16268:16268\n'],
    ['a JSON line', '{"pid":3,"msg":"x"}\n', '{"pid":3,"msg":"x","hostpid":{"3":16268}}\n'],
    ['a JSON line, unknown PID', '{"pid":9}\n', '{"pid":9,"hostpid":{"9":null}}\n'],
    ['CRLF', 'app[3]: ready\r\n', 'app[3]: ready hostpid=3:16268\r\n'],
    ['no final newline', 'app[3]: ready', 'app[3]: ready hostpid=3:16268'],
    ['lines without PIDs', 'plain\n\nline 3\n', 'plain\n\nline 3\n'],
    ['a trap: no rule matches', 'GET /?pid=3 200\n', 'GET /?pid=3 200\n'],
  ])('%s', async (_name, input, expected) => {
    expect(await run(input)).toBe(expected);
  });

  it('maps a main thread\'s tid to its host PID, counts the tids, "?" for unknown ones',
    async () => {
      const { text, stats } = await annotate([Buffer.from('3#3: main\n3#77: other\n')]);

      expect(text.toString()).toBe('3#3: main hostpid=3:16268 hosttid=3:16268\n' +
        '3#77: other hostpid=3:16268 hosttid=77:?\n');
      expect(stats).toMatchObject({ tids: 2, resolvedTids: 1 });
    });

  it('counts lines, PIDs and why some were not resolved', async () => {
    const { stats } = await annotate([Buffer.from('app[3]: a\nb\napp[9]: c\n')]);

    expect(stats).toMatchObject({ lines: 3, linesWithPids: 2, pids: 2, resolved: 1,
      unresolved: { 'not-found': 1 } });
  });
});

describe('bytes survive', () => {
  const awkward = Buffer.concat([
    Buffer.from('caf\u00e9 app[3]: \u2603 snow\n'),
    Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]),
    Buffer.from('app[3]: crlf\r\n\r\nlast app[3]: no newline'),
  ]);
  const expected = Buffer.concat([
    Buffer.from('caf\u00e9 app[3]: \u2603 snow hostpid=3:16268\n'),
    Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a]),
    Buffer.from('app[3]: crlf hostpid=3:16268\r\n\r\nlast app[3]: no newline hostpid=3:16268'),
  ]);

  it('whole: invalid UTF-8, NUL, CRLF, no final newline', async () => {
    expect((await annotate([awkward])).text).toEqual(expected);
  });

  it('cut at every offset: inside a line, a multi-byte char, a CRLF', async () => {
    for (let cut = 1; cut < awkward.length; cut++) {
      const chunks = [awkward.subarray(0, cut), awkward.subarray(cut)];
      expect((await annotate(chunks)).text).toEqual(expected);
    }
  });

  it('one byte at a time', async () => {
    const bytes = [...awkward].map((b) => Buffer.from([b]));
    expect((await annotate(bytes)).text).toEqual(expected);
  });

  // No timeout: `npm run fuzz` runs it for as long as it asks.
  const fuzz = { timeout: 0 };
  it('any bytes, chunked any way: the output minus annotations is the input', fuzz, async () => {
    const byteOrLine = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.constantFrom(...['app[3]: x\n', 'app[9]: y\r\n', '{"pid":3}\n', '3#7: t\n', '\n', '\r']
        .map((s) => new Uint8Array(Buffer.from(s)))),
    );
    await fc.assert(fc.asyncProperty(fc.array(byteOrLine, { maxLength: 30 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
      async (parts, sizes) => {
        const input = Buffer.concat(parts.map((p) => Buffer.from(p)));
        const output = (await annotate(chunk(input, sizes), 16)).text.toString('latin1');
        const stripped = output
          .replace(/ hostpid=[\d?:,]+(?: hosttid=[\d?:,]+)?(?=\r?\n|$)/g, '')
          .replace(/,?"host[pt]id":\{[^}]*\}/g, '');
        expect(Buffer.from(stripped, 'latin1')).toEqual(input);
      }), { numRuns: FUZZ_RUNS });
  });
});

describe('long lines', () => {
  it('matches the head of a line longer than maxScan and keeps every byte', async () => {
    const long = `app[3]: ${'x'.repeat(5000)}\r\nnext app[3]: y\n`;
    const chunks = chunk(Buffer.from(long), [700]);
    const { text, stats } = await annotate(chunks, 1024);

    expect(text.toString()).toBe(`app[3]: ${'x'.repeat(5000)} hostpid=3:16268\r\n` +
      'next app[3]: y hostpid=3:16268\n');
    expect(stats.longLines).toBe(1);
  });

  it('leaves a long JSON line as it is: its closing brace was never scanned', async () => {
    const long = `{"pid":3,"msg":"${'x'.repeat(3000)}"}\n`;
    const { text } = await annotate(chunk(Buffer.from(long), [500]), 1024);

    expect(text.toString()).toBe(long);
  });

  it('passes an unterminated long line at the end of input', async () => {
    const long = `app[3]: ${'y'.repeat(3000)}`;
    const { text } = await annotate(chunk(Buffer.from(long), [100]), 1024);

    expect(text.toString()).toBe(`${long} hostpid=3:16268`);
  });
});

/** Cuts `buf` into pieces whose sizes cycle through `sizes`. */
function chunk(buf: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < buf.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    out.push(buf.subarray(at, at + size));
    at += size;
  }
  return out;
}
