import { Transform, type TransformCallback } from 'node:stream';

/**
 * A run of input bytes cut at line boundaries, so that the stage after it
 * never sees half a line, with one exception: a line longer than `maxScan`
 * is let through in pieces (its head first, then the rest as it comes), so a
 * 64 MiB line costs no more memory than a short one.
 */
export interface Block {
  buf: Buffer;
  /** The block starts inside a long line whose head an earlier block held. */
  continues: boolean;
  /** The block ends inside a long line that later blocks will finish. */
  open: boolean;
}

const NL = 0x0a;
const CR = 0x0d;

/** Default bytes of a line that rules look at; the rest passes unread. */
export const DEFAULT_MAX_SCAN = 64 * 1024;

/**
 * Cuts a byte stream into Blocks. It keeps at most one partial line (under
 * maxScan bytes) between chunks, and never splits a CR from the LF after it,
 * so the annotation of a CRLF line can go before the CR.
 */
export class BlockSplitter extends Transform {
  private pending: Buffer | undefined;
  private inLongLine = false;

  constructor(private readonly maxScan = DEFAULT_MAX_SCAN) {
    super({ readableObjectMode: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = undefined;

    const lastNl = data.lastIndexOf(NL);
    if (lastNl === -1) {
      this.holdPartial(data);
      done();
      return;
    }

    this.push({ buf: data.subarray(0, lastNl + 1), continues: this.inLongLine, open: false });
    this.inLongLine = false;
    this.holdPartial(data.subarray(lastNl + 1));
    done();
  }

  override _flush(done: TransformCallback): void {
    const rest = this.pending ?? Buffer.alloc(0);
    if (rest.length > 0 || this.inLongLine) {
      this.push({ buf: rest, continues: this.inLongLine, open: false });
    }

    this.pending = undefined;
    this.inLongLine = false;
    done();
  }

  /** Keeps a partial line, or lets it through once it is too long to keep. */
  private holdPartial(part: Buffer): void {
    if (part.length === 0) return;
    if (!this.inLongLine && part.length < this.maxScan) {
      this.pending = Buffer.from(part);
      return;
    }

    const keepCr = part[part.length - 1] === CR ? 1 : 0;
    const out = part.subarray(0, part.length - keepCr);
    if (keepCr === 1) this.pending = Buffer.from(part.subarray(part.length - 1));
    if (out.length > 0 || !this.inLongLine) {
      this.push({ buf: out, continues: this.inLongLine, open: true });
    }

    this.inLongLine = true;
  }
}
