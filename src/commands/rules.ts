import type { Argv } from 'yargs';

import type { CliContext } from './context.js';

/** `hostpid rules`: not built yet; see the README for what exists. */
export function registerRules<T>(y: Argv<T>, _ctx: CliContext): Argv<T> {
  return y;
}
