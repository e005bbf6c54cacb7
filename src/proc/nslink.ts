/**
 * Parses a namespace as users write it or as readlink(/proc/PID/ns/pid)
 * prints it: `4026532388` or `pid:[4026532388]`. Returns the inode number,
 * or undefined when the text is neither form.
 */
export function parseNsInode(text: string, kind = 'pid'): number | undefined {
  const trimmed = text.trim();
  const bare = /^\d+$/.test(trimmed) ? trimmed : undefined;
  const linked = trimmed.startsWith(`${kind}:[`) && trimmed.endsWith(']')
    ? trimmed.slice(kind.length + 2, -1)
    : undefined;
  const digits = bare ?? linked;
  if (digits === undefined || !/^\d+$/.test(digits)) return undefined;

  const inode = Number(digits);
  return Number.isSafeInteger(inode) && inode > 0 ? inode : undefined;
}

export function formatNs(inode: number, kind = 'pid'): string {
  return `${kind}:[${inode}]`;
}
