/** The fields of /proc/PID/status (proc(5)) that hostpid needs. */
export interface Status {
  /** Command name, as the kernel keeps it (at most 15 bytes). */
  name: string;
  /** Thread group id: the PID of the process a task belongs to. */
  tgid: number;
  ppid: number;
  /** One PID per pid-namespace level, outermost first (Linux >= 4.1). */
  nsPid: number[];
}

const FIELDS = ['Name', 'Tgid', 'PPid', 'NSpid'] as const;

/**
 * Parses the text of a status file. Returns undefined when a field that must
 * be there is missing or not a number, so a truncated or foreign file is never
 * taken for a process.
 */
export function parseStatus(text: string): Status | undefined {
  const found = new Map<string, string>();

  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;

    const key = line.slice(0, colon);
    if ((FIELDS as readonly string[]).includes(key)) found.set(key, line.slice(colon + 1).trim());
    if (found.size === FIELDS.length) break;
  }

  const tgid = toPid(found.get('Tgid'));
  const ppid = toPid(found.get('PPid'));
  const nsPid = (found.get('NSpid') ?? '').split(/\s+/).map(toPid);
  if (tgid === undefined || ppid === undefined) return undefined;
  if (nsPid.length === 0 || nsPid.some((pid) => pid === undefined)) return undefined;

  return { name: found.get('Name') ?? '', tgid, ppid, nsPid: nsPid as number[] };
}

function toPid(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}
