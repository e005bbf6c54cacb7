import { findNumbers, type Insertion } from '../annotator.js';
import { formatSuffix, type Numbers } from './annotation.js';
import { type LineFormat, parseTime, RFC3339 } from './format.js';

/** `docker logs -t`: an RFC 3339 time, a space, then the container's line. */
const TIMESTAMPED = new RegExp(`^(?<time>${RFC3339}) `);

/**
 * CRI log files (containerd, CRI-O; /var/log/pods): time, stream, P for a
 * partial line or F for the full (last) piece, then the message.
 */
const CRI = new RegExp(`^(?<time>${RFC3339}) (?<stream>stdout|stderr) (?<tag>[PF])(?:[:\\w]*)? ?`);

/** Lines of `docker logs -t`; lines without the prefix are matched whole. */
export function timestampedFormat(): LineFormat {
  return {
    name: 'timestamped',
    annotate(line, ctx) {
      const m = TIMESTAMPED.exec(line);
      if (m === null) return suffix(line, findNumbers(line, ctx));

      const time = parseTime(m.groups?.['time'] ?? '');
      const message = line.slice(m[0].length);
      return suffix(line, findNumbers(message, ctx, time) ?? findNumbers(line, ctx, time));
    },
  };
}

/**
 * CRI lines. Partial pieces of each stream are joined and matched when the F
 * piece arrives; the annotation goes at the end of that last piece, where a
 * CRI reader sees it as part of the message.
 */
export function criFormat(): LineFormat {
  const partial = { stdout: '', stderr: '' };

  return {
    name: 'cri',
    annotate(line, ctx) {
      const m = CRI.exec(line);
      if (m === null) return suffix(line, findNumbers(line, ctx));

      const stream = m.groups?.['stream'] === 'stderr' ? 'stderr' : 'stdout';
      const piece = line.slice(m[0].length);
      if (m.groups?.['tag'] === 'P') {
        partial[stream] += piece;
        return undefined;
      }

      const message = partial[stream] + piece;
      partial[stream] = '';
      return suffix(line, findNumbers(message, ctx, parseTime(m.groups?.['time'] ?? '')));
    },
  };
}

function suffix(line: string, pairs: Numbers | undefined): Insertion | undefined {
  return pairs === undefined ? undefined : { at: line.length, text: formatSuffix(pairs) };
}
