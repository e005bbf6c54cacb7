import type { Readable, Writable } from 'node:stream';

import type { Argv } from 'yargs';

import type { Logger } from '../log.js';

/** What a command needs from the process it runs in; tests pass their own. */
export interface CliContext {
  stdin: Readable;
  stdout: Writable;
  /** Created on first use, so --log-level is known by then. */
  log: () => Logger;
}

/** Options every command shares, as yargs hands them over. */
export interface CommonArgs {
  proc: string;
  'log-level': string;
}

/** Each command module adds itself to the parser through one of these. */
export type RegisterCommand = <T>(y: Argv<T>, ctx: CliContext) => Argv<T>;

/** The --container/--pid/--pidns trio of annotate and lookup. */
export function targetOptions<T>(y: Argv<T>) {
  return y
    .option('container', {
      type: 'string',
      describe: 'container id, a prefix of at least 12 hex digits, or a name (asked of the ' +
        'Docker engine)',
    })
    .option('pid', {
      type: 'number',
      describe: 'host PID of any process in the container (docker inspect -f {{.State.Pid}})',
    })
    .option('pidns', {
      type: 'string',
      describe: 'pid namespace: 4026532388, pid:[4026532388], or self (the one hostpid runs in)',
    })
    .group(['container', 'pid', 'pidns'], 'Whose PIDs the log holds (give one):');
}

export { defined } from '../defined.js';
