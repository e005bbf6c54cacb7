import type { Argv } from 'yargs';

import { INPUT_FORMATS } from '../formats/format.js';
import { DEFAULT_MAX_SCAN } from '../lines/blocks.js';
import { runAnnotate } from '../run/annotate.js';
import { type CliContext, type CommonArgs, defined, targetOptions } from './context.js';

/** `hostpid [annotate] [FILE...]`, the default command. */
export function registerAnnotate<T>(y: Argv<T>, ctx: CliContext): Argv<T> {
  return y.command(['annotate [files..]', '$0 [files..]'], 'annotate log lines (the default)',
    (sub) => targetOptions(sub)
      .positional('files', { type: 'string', array: true, describe: 'log files; none: stdin' })
      .option('rules', {
        type: 'string',
        array: true,
        describe: 'rule file or directory, repeatable; replaces the shipped rules',
      })
      .option('input', {
        choices: INPUT_FORMATS,
        default: 'auto' as const,
        describe: 'line framing: docker-json (json-file), cri (containerd, CRI-O), ' +
          'timestamped (docker logs -t), raw; auto decides per file on its first line',
      })
      .option('docker-socket', {
        type: 'string',
        default: '/var/run/docker.sock',
        describe: 'Docker Engine API socket, asked when --container is a name',
      })
      .option('max-scan', {
        type: 'number',
        default: DEFAULT_MAX_SCAN,
        describe: 'bytes of each line the rules look at; the rest passes through unread',
      })
      .option('follow', {
        alias: 'F',
        type: 'boolean',
        describe: 'read FILEs from the start, then follow them as they grow, across rotation ' +
          'by rename or truncation (tail -F); with several files a "==> FILE <==" line marks ' +
          'each switch',
      })
      .option('watch', {
        type: 'number',
        describe: 'rescan the procfs every MS milliseconds, so processes that exit are seen ' +
          'before their exit line arrives',
      })
      .option('remember', {
        type: 'number',
        default: 60_000,
        describe: 'MS an exited process still answers for its PID (unless a newer one took it)',
      })
      .option('stats-interval', { type: 'number', describe: 'log counters every MS on stderr' })
      .option('metrics-port', {
        type: 'number',
        describe: 'serve Prometheus metrics on http://HOST:PORT/metrics',
      })
      .option('metrics-host', { type: 'string', default: '127.0.0.1', describe: 'see --metrics-port' })
      .group(['follow', 'watch', 'remember', 'stats-interval', 'metrics-port', 'metrics-host'],
        'Long runs (sidecar, DaemonSet):'),
    async (args) => {
      const common = args as unknown as CommonArgs;
      await runAnnotate({
        files: (args.files as string[] | undefined) ?? [],
        procRoot: common.proc,
        maxScan: args['max-scan'],
        inputFormat: args.input,
        rememberMs: args.remember,
        metricsHost: args['metrics-host'],
        ...defined({
          rulePaths: args.rules,
          pid: args.pid,
          pidns: args.pidns,
          container: args.container,
          dockerSocket: args['docker-socket'],
          follow: args.follow,
          watchMs: args.watch,
          statsIntervalMs: args['stats-interval'],
          metricsPort: args['metrics-port'],
        }),
        input: ctx.stdin,
        output: ctx.stdout,
        log: ctx.log(),
      });
    });
}
