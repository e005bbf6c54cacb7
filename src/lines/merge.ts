import { Writable } from 'node:stream';

/**
 * Writes the output of several annotators into one stream without ever
 * mixing two lines: a source that has written part of a line (a long line
 * passes in pieces) keeps the output until its line ends, and the others'
 * writes wait, which holds their input back through backpressure. With
 * headers on, a `==> NAME <==` line marks each switch of source, as
 * `tail -F` does with several files.
 */
export class LineMerger {
  private owner: string | undefined;
  private lastHeader: string | undefined;
  private readonly waiting: Array<() => void> = [];

  constructor(
    private readonly output: Writable,
    private readonly headers: boolean,
  ) {}

  /** A Writable for one source's annotated bytes. */
  sink(name: string): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => this.write(name, chunk, done),
      final: (done) => {
        if (this.owner === name) this.release();
        done();
      },
    });
  }

  private write(name: string, chunk: Buffer, done: (err?: Error | null) => void): void {
    if (this.owner !== undefined && this.owner !== name) {
      this.waiting.push(() => this.write(name, chunk, done));
      return;
    }

    if (this.headers && this.lastHeader !== name) {
      this.output.write(`${this.lastHeader === undefined ? '' : '\n'}==> ${name} <==\n`);
      this.lastHeader = name;
    }

    const open = chunk.length > 0 && chunk[chunk.length - 1] !== 0x0a;
    const flushed = this.output.write(chunk);
    if (open) this.owner = name;
    else this.release();

    if (flushed) done();
    else this.output.once('drain', () => done());
  }

  private release(): void {
    this.owner = undefined;
    const queued = this.waiting.splice(0);
    for (const resume of queued) resume();
  }
}
