import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The option of a procfs mount that hides other users' processes
 * (`hidepid=1|2|invisible|noaccess`), or undefined when it has none or the
 * mount cannot be found. Hidden processes leave no trace in readdir, so this
 * is the only way to tell the user that some were missed.
 */
export function hidingOption(procRoot: string): string | undefined {
  let mountPoint: string;
  let text: string;
  try {
    mountPoint = realpathSync(procRoot);
    text = readFileSync(join(procRoot, 'self', 'mountinfo'), 'utf8');
  } catch {
    return undefined;
  }

  for (const line of text.split('\n')) {
    // proc(5): fields 5 is the mount point; after " - " come fstype, source, super options.
    const [mine, theirs] = line.split(' - ');
    if (mine?.split(' ')[4] !== mountPoint || theirs === undefined) continue;

    const [fsType, , superOptions] = theirs.split(' ');
    if (fsType !== 'proc') continue;

    const hide = superOptions?.split(',').find((o) => o.startsWith('hidepid='));
    if (hide !== undefined && hide !== 'hidepid=0' && hide !== 'hidepid=off') return hide;
  }

  return undefined;
}
