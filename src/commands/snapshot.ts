import type { Argv } from 'yargs';

import type { CliContext } from './context.js';

/** `hostpid snapshot`: not built yet; see the README for what exists. */
export function registerSnapshot<T>(y: Argv<T>, _ctx: CliContext): Argv<T> {
  return y;
}
