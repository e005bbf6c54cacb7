import type { Argv } from 'yargs';

import type { CliContext } from './context.js';

/** `hostpid record`: not built yet; see the README for what exists. */
export function registerRecord<T>(y: Argv<T>, _ctx: CliContext): Argv<T> {
  return y;
}
