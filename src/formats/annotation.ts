/** A PID found in a line and what it maps to; undefined host = unresolved. */
export interface Pair {
  vpid: number;
  hostPid: number | undefined;
}

/** The key of the annotation, in the text suffix and in JSON lines alike. */
export const ANNOTATION_KEY = 'hostpid';
/** The key of thread ids' annotation, beside the PIDs'. */
export const TID_ANNOTATION_KEY = 'hosttid';

/** What a message names: PIDs and thread ids, each with its host number. */
export interface Numbers {
  pids: Pair[];
  tids: Pair[];
}

/**
 * The text suffix: ` hostpid=3:16268,8:?`, then ` hosttid=30:16292` when the
 * line names thread ids. Each is one logfmt-style field with no spaces inside,
 * so `awk`, a regex or a logfmt parser can take it apart; `?` stands for a
 * number that could not be resolved.
 */
export function formatSuffix({ pids, tids }: Numbers): string {
  const [only] = pids;
  if (pids.length === 1 && tids.length === 0 && only !== undefined) {
    return ` ${ANNOTATION_KEY}=${only.vpid}:${only.hostPid ?? '?'}`;
  }

  const field = (key: string, pairs: readonly Pair[]) => pairs.length === 0
    ? ''
    : ` ${key}=${pairs.map((p) => `${p.vpid}:${p.hostPid ?? '?'}`).join(',')}`;

  return field(ANNOTATION_KEY, pids) + field(TID_ANNOTATION_KEY, tids);
}

/**
 * The JSON members added to a line that is a JSON object:
 * `,"hostpid":{"3":16268,"8":null}` (null where the text form says `?`), and
 * `,"hosttid":{...}` when the line names thread ids.
 */
export function formatJsonMember({ pids, tids }: Numbers, empty: boolean): string {
  const member = (key: string, pairs: readonly Pair[]) => pairs.length === 0
    ? []
    : [`"${key}":{${pairs.map((p) => `"${p.vpid}":${p.hostPid ?? 'null'}`).join(',')}}`];

  const members = [...member(ANNOTATION_KEY, pids), ...member(TID_ANNOTATION_KEY, tids)];
  return `${empty ? '' : ','}${members.join(',')}`;
}

/**
 * Where a JSON member goes in a line that looks like one JSON object: the
 * offset of its closing brace, or -1 when the line is not an object. Only the
 * shape is checked; a line that merely looks like JSON still keeps every byte.
 */
export function jsonInsertPoint(line: string): { at: number; empty: boolean } | undefined {
  let first = 0;
  while (first < line.length && isSpace(line.charCodeAt(first))) first++;
  if (line.charCodeAt(first) !== 0x7b) return undefined;

  let last = line.length - 1;
  while (last > first && isSpace(line.charCodeAt(last))) last--;
  if (last <= first || line.charCodeAt(last) !== 0x7d) return undefined;

  let inner = last - 1;
  while (inner > first && isSpace(line.charCodeAt(inner))) inner--;
  return { at: last, empty: inner === first };
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0d;
}
