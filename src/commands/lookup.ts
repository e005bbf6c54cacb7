import type { Argv } from 'yargs';

import { DEFAULT_DOCKER_SOCKET } from '../docker.js';
import { usageError } from '../errors.js';
import { type CliContext, type CommonArgs, defined, targetOptions } from './context.js';

/**
 * `hostpid lookup`. Its work lives in run/lookup.ts and is loaded only when
 * the command runs, so other commands do not pay its start-up time.
 */
export function registerLookup<T>(y: Argv<T>, ctx: CliContext): Argv<T> {
  return y.command('lookup <id>',
    'map one PID of a container to the host PID and every level between',
    (sub) => targetOptions(sub)
      .positional('id', { type: 'string', describe: 'the PID (or tid with --tid)' })
      .option('host', { type: 'boolean', default: false,
        describe: 'ID is a host PID: show its PID at every level, no target needed' })
      .option('tid', { type: 'boolean', default: false,
        describe: 'ID is a thread id (looked up under /proc/PID/task)' })
      .option('format', { choices: ['text', 'json'] as const, default: 'text' as const })
      .option('snapshot', { type: 'string',
        describe: 'ask a file of hostpid snapshot or hostpid record instead of --proc' })
      .option('docker-socket', { type: 'string', default: DEFAULT_DOCKER_SOCKET,
        describe: 'Docker engine socket, asked when --container is a name' })
      .example('$0 lookup 3 --container web', 'host PID of pid 3 in container "web"')
      .example('$0 lookup --host 16268', 'PID of host process 16268 at every level'),
    async (args) => {
      const common = args as unknown as CommonArgs;
      const id = /^\d{1,7}$/.test(args.id ?? '') ? Number(args.id) : 0;
      if (id < 1) throw usageError(`lookup ${args.id ?? ''}: give a PID, a positive number`);
      const targets = [args.container, args.pid, args.pidns].filter((v) => v !== undefined);
      if (args.host && targets.length > 0) {
        throw usageError('--host looks up a host PID: leave out --container, --pid and --pidns');
      }
      if (targets.length > 1) throw usageError('give only one of --container, --pid and --pidns');

      const { runLookup } = await import('../run/lookup.js');
      await runLookup({
        id,
        host: args.host,
        tid: args.tid,
        format: args.format,
        procRoot: common.proc,
        ...defined({ pid: args.pid, pidns: args.pidns, container: args.container,
          dockerSocket: args['docker-socket'], snapshot: args.snapshot }),
        output: ctx.stdout,
        log: ctx.log(),
      });
    });
}
