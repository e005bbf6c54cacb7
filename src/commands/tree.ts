import type { Argv } from 'yargs';

import type { CliContext } from './context.js';

/** `hostpid tree`: not built yet; see the README for what exists. */
export function registerTree<T>(y: Argv<T>, _ctx: CliContext): Argv<T> {
  return y;
}
