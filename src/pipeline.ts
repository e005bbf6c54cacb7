import { Transform, type Duplex, type TransformCallback } from 'node:stream';

import pumpify from 'pumpify';

import type { Insertion, LineContext } from './annotator.js';
import { createFormat, detectFormat } from './formats/detect.js';
import type { InputFormat, LineFormat } from './formats/format.js';
import { type Block, BlockSplitter, DEFAULT_MAX_SCAN } from './lines/blocks.js';
import { Resolver } from './resolve/resolver.js';
import { loadRules } from './rules/load.js';
import type { Rule } from './rules/types.js';
import type { PidHistory } from './snapshot/history.js';
import { newStats, type RunStats } from './stats.js';

const CR = 0x0d;

/**
 * Writes each Block back out with annotations inserted. Lines are found with
 * indexOf on a latin1 view of the block: latin1 maps every byte to one char,
 * so string offsets are byte offsets and bytes that are not UTF-8 survive.
 * Unannotated bytes are copied as slices of the input, never re-encoded.
 */
export class AnnotateTransform extends Transform {
  /** Annotation of a long line whose head went by and whose end has not. */
  private openInsertion: Insertion | undefined;
  /** Known after the first line when the input format is 'auto'. */
  private format: LineFormat | undefined;

  constructor(
    private readonly ctx: LineContext,
    private readonly maxScan = DEFAULT_MAX_SCAN,
    inputFormat: InputFormat | 'auto' = 'auto',
  ) {
    super({ writableObjectMode: true });
    if (inputFormat !== 'auto') this.format = createFormat(inputFormat);
  }

  /** The format in use: forced, or detected from the first line. */
  get detected(): InputFormat | undefined {
    return this.format?.name;
  }

  override _transform(block: Block, _enc: BufferEncoding, done: TransformCallback): void {
    const out = this.render(block);
    if (out.length > 0) this.push(out);
    done();
  }

  private render(block: Block): Buffer {
    const { buf } = block;
    const text = buf.toString('latin1');
    let out = '';
    let inserted = false;
    let copied = 0;
    let pos = 0;

    // One string per block, encoded once: two Buffers per annotated line cost more.
    const insert = (at: number, insertion: Insertion) => {
      out += text.slice(copied, at) + insertion.text;
      copied = at;
      inserted = true;
    };

    if (block.continues) {
      const nl = text.indexOf('\n');
      const end = nl === -1 ? (block.open ? -1 : buf.length) : lineEnd(buf, 0, nl);
      if (end !== -1 && this.openInsertion !== undefined) insert(end, this.openInsertion);
      if (end !== -1) this.openInsertion = undefined;
      pos = nl === -1 ? buf.length : nl + 1;
    }

    while (pos < buf.length) {
      const nl = text.indexOf('\n', pos);
      if (nl === -1 && block.open) {
        this.openInsertion = this.annotateHead(text, pos);
        break;
      }

      const end = nl === -1 ? buf.length : lineEnd(buf, pos, nl);
      const insertion = this.annotate(text, pos, end);
      if (insertion !== undefined) insert(pos + insertion.at, insertion);
      pos = nl === -1 ? buf.length : nl + 1;
    }

    if (!inserted) return buf;
    return Buffer.from(out + text.slice(copied), 'latin1');
  }

  private annotate(text: string, start: number, end: number): Insertion | undefined {
    if (end - start > this.maxScan) {
      const head = this.annotateHead(text, start);
      return head === undefined ? undefined : { at: end - start, text: head.text };
    }

    const line = text.slice(start, end);
    this.ctx.stats.lines++;
    this.format ??= createFormat(detectFormat(line));
    return this.format.annotate(line, this.ctx);
  }

  /**
   * Matches the first maxScan bytes of a long line. Its annotation can only
   * go at the end, which would break a JSON object, so those are left as is.
   */
  private annotateHead(text: string, start: number): Insertion | undefined {
    this.ctx.stats.lines++;
    this.ctx.stats.longLines++;
    const head = text.slice(start, start + this.maxScan);
    this.format ??= createFormat(detectFormat(head));
    if (head.trimStart().startsWith('{')) return undefined;

    const insertion = this.format.annotate(head, this.ctx);
    return insertion?.at === head.length ? insertion : undefined;
  }
}

/** Offset where the line's content ends: before a CR that precedes the LF. */
function lineEnd(buf: Buffer, start: number, nl: number): number {
  return nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
}

export interface AnnotatorOptions {
  /** Inode of the pid namespace whose PIDs the log names. */
  ns: number;
  rules?: readonly Rule[];
  resolver?: Resolver;
  /** Used to build a resolver when none is given; default /proc. */
  procRoot?: string;
  /** Bytes of each line the rules look at (default 64 KiB). */
  maxScan?: number;
  /** How lines are framed; 'auto' (the default) decides on the first line. */
  input?: InputFormat | 'auto';
  /** Who had a PID when, for lines that carry a time. */
  history?: PidHistory;
  stats?: RunStats;
}

/** The whole pipeline as one Duplex: bytes in, annotated bytes out. */
export type Annotator = Duplex & {
  stats: RunStats;
  /** Swaps the rule set between two lines (SIGHUP). */
  setRules(rules: readonly Rule[]): void;
};

export function createAnnotator(options: AnnotatorOptions): Annotator {
  const maxScan = options.maxScan ?? DEFAULT_MAX_SCAN;
  const ctx: LineContext = {
    rules: options.rules ?? loadRules(),
    resolver: options.resolver ?? new Resolver({ procRoot: options.procRoot ?? '/proc' }),
    ns: options.ns,
    stats: options.stats ?? newStats(),
    ...(options.history === undefined ? {} : { history: options.history }),
  };

  const duplex = new pumpify(new BlockSplitter(maxScan),
    new AnnotateTransform(ctx, maxScan, options.input));
  return Object.assign(duplex, {
    stats: ctx.stats,
    setRules: (rules: readonly Rule[]) => {
      ctx.rules = rules;
    },
  });
}
