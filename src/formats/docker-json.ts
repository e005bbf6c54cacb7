import { findNumbers } from '../annotator.js';
import { formatJsonMember, jsonInsertPoint } from './annotation.js';
import { type LineFormat, parseTime } from './format.js';

interface DockerRecord {
  log?: unknown;
  stream?: unknown;
  time?: unknown;
}

/**
 * Docker's json-file driver: one `{"log":"...\n","stream":"stdout","time":"..."}`
 * record per line. Rules run on the decoded `log` value. Docker cuts lines
 * longer than 16 KiB into records whose `log` lacks the final `\n`; those are
 * joined per stream and the mapping goes on the record that ends the line, so
 * every record is written back as it came, plus one member on the last one.
 * A line that is not such a record is matched as plain text, unannotated.
 */
export function dockerJsonFormat(): LineFormat {
  const partial = { stdout: '', stderr: '' };

  return {
    name: 'docker-json',
    annotate(line, ctx) {
      const record = parseRecord(line);
      if (record === undefined || typeof record.log !== 'string') return undefined;

      const stream = record.stream === 'stderr' ? 'stderr' : 'stdout';
      // The line was decoded as latin1 to keep its bytes, so non-ASCII text in
      // `log` stays as UTF-8 bytes, one char each: rules look for ASCII digits
      // and words, and JSON.parse has decoded the escapes (\n, \u003c, ...).
      const log = record.log;
      if (!log.endsWith('\n')) {
        partial[stream] += log;
        return undefined;
      }

      const message = partial[stream] + log.slice(0, -1);
      partial[stream] = '';
      const time = typeof record.time === 'string' ? parseTime(record.time) : undefined;
      const pairs = findNumbers(message, ctx, time);
      const place = jsonInsertPoint(line);
      if (pairs === undefined || place === undefined) return undefined;

      return { at: place.at, text: formatJsonMember(pairs, place.empty) };
    },
  };
}

function parseRecord(line: string): DockerRecord | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as DockerRecord) : undefined;
  } catch {
    return undefined;
  }
}
