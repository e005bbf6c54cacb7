import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Passes a stream through, or decompresses it when its first bytes are the
 * gzip magic: archives are recognised by content, not by name, so stdin and
 * rotated files without a .gz suffix work too.
 */
export function maybeGunzip(source: Readable): Readable {
  return Readable.from(sniff(source), { objectMode: false });
}

async function* sniff(source: Readable): AsyncGenerator<Buffer> {
  const chunks = source[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await chunks.next();
    if (next.done === true) break;
    head = Buffer.concat([head, next.value]);
  }

  const all = rest(head, chunks);
  if (!isGzip(head)) {
    yield* all;
    return;
  }

  const gunzip = createGunzip();
  const feed = Readable.from(all, { objectMode: false });
  feed.on('error', (err) => gunzip.destroy(err));
  feed.pipe(gunzip);
  yield* gunzip as AsyncIterable<Buffer>;
}

async function* rest(head: Buffer, chunks: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  if (head.length > 0) yield head;
  for (let next = await chunks.next(); next.done !== true; next = await chunks.next()) {
    yield next.value;
  }
}

function isGzip(head: Buffer): boolean {
  return head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
}
