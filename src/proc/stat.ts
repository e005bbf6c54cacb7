/**
 * Field numbers of /proc/PID/stat as proc(5) counts them (1-based). Field 2,
 * the command, is wrapped in parentheses and may itself hold spaces and ')',
 * so the fields after it are counted from its last ')'.
 */
export const STAT_STATE = 3;
export const STAT_PPID = 4;
export const STAT_STARTTIME = 22;

/** Start time of the process in clock ticks since boot, or undefined. */
export function parseStartTime(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;

  const rest = text.slice(close + 2).split(' ');
  const field = rest[STAT_STARTTIME - STAT_STATE];
  if (field === undefined || !/^\d+$/.test(field)) return undefined;

  return Number(field);
}
