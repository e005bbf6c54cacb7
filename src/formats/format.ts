import type { Insertion, LineContext } from '../annotator.js';

export const INPUT_FORMATS = ['auto', 'raw', 'docker-json', 'cri', 'timestamped'] as const;
export type InputFormat = Exclude<(typeof INPUT_FORMATS)[number], 'auto'>;

/**
 * How one input format finds the message in a physical line and writes the
 * annotation back. An instance serves one stream and may keep state between
 * lines: Docker and CRI split long messages into partial records, which are
 * matched as one message and annotated on the record that ends it.
 */
export interface LineFormat {
  readonly name: InputFormat;
  annotate(line: string, ctx: LineContext): Insertion | undefined;
}

/** RFC 3339 time as Docker and CRI write it (nanoseconds, Z or an offset). */
export const RFC3339 = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?` +
  String.raw`(?:Z|[+-]\d\d:\d\d)`;

/** Milliseconds since the epoch of an RFC 3339 time, or undefined. */
export function parseTime(text: string): number | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
