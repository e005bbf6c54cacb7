import { findNumbers, type Insertion, type LineContext } from '../annotator.js';
import { formatJsonMember, formatSuffix, jsonInsertPoint } from './annotation.js';
import type { LineFormat } from './format.js';

/**
 * Plain text lines (what `docker logs` and `kubectl logs` print): a suffix,
 * or a member for a line that is one JSON object (JSON app logs).
 */
export function rawFormat(): LineFormat {
  return { name: 'raw', annotate: annotateRaw };
}

export function annotateRaw(line: string, ctx: LineContext): Insertion | undefined {
  const pairs = findNumbers(line, ctx);
  if (pairs === undefined) return undefined;

  const json = jsonInsertPoint(line);
  return json === undefined
    ? { at: line.length, text: formatSuffix(pairs) }
    : { at: json.at, text: formatJsonMember(pairs, json.empty) };
}
