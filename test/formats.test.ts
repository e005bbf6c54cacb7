import { readFileSync } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { detectFormat } from '../src/formats/detect.js';
import type { InputFormat } from '../src/formats/format.js';
import { ownerOfLogPath } from '../src/formats/logpath.js';
import { maybeGunzip } from '../src/lines/gunzip.js';
import { createAnnotator } from '../src/pipeline.js';
import { Resolver } from '../src/resolve/resolver.js';
import { loadRules } from '../src/rules/load.js';
import { INIT_NS, makeFakeProc } from './helpers/fakeproc.js';

const NS = 4026532388;
const fake = makeFakeProc([
  { nsPid: [1], ppid: 0, ns: INIT_NS },
  { nsPid: [16263, 1], ppid: 1, ns: NS },
  { nsPid: [16268, 3], ppid: 16263, ns: NS },
  { nsPid: [17000, 1234], ppid: 16263, ns: NS },
]);
afterAll(() => fake.cleanup());
const rules = loadRules();

const fixture = (name: string) => readFileSync(`test/fixtures/formats/${name}`);

async function annotate(input: Buffer | Readable, format: InputFormat | 'auto' = 'auto') {
  const out: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      out.push(chunk);
      done();
    },
  });
  const source = Buffer.isBuffer(input) ? Readable.from([input]) : input;
  const annotator = createAnnotator({ ns: NS, rules, input: format,
    resolver: new Resolver({ procRoot: fake.root }) });
  await pipeline(source, annotator, sink);
  return Buffer.concat(out).toString('latin1').split('\n');
}

describe('Docker json-file', () => {
  it('keeps every record valid JSON with its fields, plus the mapping', async () => {
    const lines = await annotate(fixture('docker-json.log'));
    const records = lines.filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const original = fixture('docker-json.log').toString().split('\n').filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

    expect(records).toHaveLength(original.length);
    for (const [i, record] of records.entries()) {
      const { hostpid: _added, ...rest } = record;
      expect(rest).toEqual(original[i]);
    }
    expect(records.map((r) => r['hostpid'] ?? null)).toEqual([
      { 3: 16268 },
      null, // the first piece of a split line: the mapping goes on the last piece
      null,
      { 1: 16263, 1234: 17000 },
      null, // \u003c0.812.0\u003e is an Erlang process id, not a PID
      { 3: 16268 },
      null,
      { 3: 16268 },
    ]);
  });

  it('is detected from the first line', () => {
    expect(detectFormat('{"log":"x\\n","stream":"stdout","time":"2026-12-03T10:00:00Z"}'))
      .toBe('docker-json');
  });

  it('passes a line that is not a record unchanged', async () => {
    const lines = await annotate(Buffer.from('{"log":"myapp[3]: x\\n"}\nnot json myapp[3]: y\n'),
      'docker-json');

    expect(lines).toEqual(['{"log":"myapp[3]: x\\n","hostpid":{"3":16268}}',
      'not json myapp[3]: y', '']);
  });
});

describe('CRI', () => {
  it('joins P pieces per stream and annotates the F piece', async () => {
    const lines = await annotate(fixture('cri.log'));

    expect(lines).toEqual([
      '2026-12-03T10:00:01.2Z stderr P [2026-12-03 10:00:01 +0000] [1] [CRITICAL] ' +
        'WORKER TIMEOUT (pid:12',
      '2026-12-03T10:00:01.200000001Z stdout F myapp[3]: interleaved full stdout line ' +
        'hostpid=3:16268',
      '2026-12-03T10:00:01.3Z stderr F 34) hostpid=1:16263,1234:17000',
      '2026-12-03T10:00:02.5Z stdout F 192.0.2.10 - - [03/Dec/2026:10:00:02 +0000] ' +
        '"GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.31"',
      '2026-12-03T10:00:03Z stdout F ',
      '',
    ]);
  });
});

describe('docker logs -t', () => {
  it('matches the line after the time, and the whole line when that finds nothing', async () => {
    const lines = await annotate(fixture('timestamped.log'));

    expect(lines).toEqual([
      '2026-12-03T10:00:00.123456789Z 1:M 03 Dec 2026 10:00:00.123 * Background saving ' +
        'started by pid 3 hostpid=1:16263,3:16268',
      '2026-12-03T10:00:01.5Z 2026-12-03 10:00:01.000 UTC [1] LOG:  database system is ready ' +
        'hostpid=1:16263',
      '2026-12-03T10:00:02Z no pid here',
      '',
    ]);
  });
});

describe('gzip', () => {
  it('is recognised by content and decompressed', async () => {
    const gz = gzipSync(fixture('timestamped.log'));
    const lines = await annotate(maybeGunzip(Readable.from([gz.subarray(0, 1), gz.subarray(1)])));

    expect(lines[0]).toMatch(/hostpid=1:16263,3:16268$/);
  });

  it('leaves other input alone, even one byte at a time', async () => {
    const bytes = [...Buffer.from('myapp[3]: x\n')].map((b) => Buffer.from([b]));
    const lines = await annotate(maybeGunzip(Readable.from(bytes)));

    expect(lines).toEqual(['myapp[3]: x hostpid=3:16268', '']);
  });
});

describe('container from the log path', () => {
  const ID = 'd9a7917b5afc9542f236d8bddcf4bd7f6c329a9f604bc6175cd9e4687faad0bc';
  const UID = '0b8f2a6e-1c3d-4e5f-8a9b-0c1d2e3f4a5b';

  it.each([
    [`/var/lib/docker/containers/${ID}/${ID}-json.log`, { kind: 'container', id: ID, runtime: 'docker' }],
    [`/var/lib/docker/containers/${ID}/${ID}-json.log.1`, { kind: 'container', id: ID, runtime: 'docker' }],
    [`/var/log/containers/api-7f9c_shop_app-${ID}.log`, { kind: 'container', id: ID, runtime: 'kubernetes' }],
    [`/var/log/pods/shop_api-7f9c_${UID}/app/0.log`, { kind: 'pod', podUid: UID, container: 'app' }],
    [`/var/log/pods/shop_api-7f9c_${UID}/app/3.log.20261203-100000.gz`,
      { kind: 'pod', podUid: UID, container: 'app' }],
    ['/var/log/syslog', undefined],
    [`/tmp/${ID}.log`, undefined],
  ])('%s', (path, owner) => {
    expect(ownerOfLogPath(path)).toEqual(owner);
  });
});
