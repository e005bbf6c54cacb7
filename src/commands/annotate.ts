import type { Argv } from 'yargs';

import { INPUT_FORMATS } from '../formats/format.js';
import { DEFAULT_MAX_SCAN } from '../lines/blocks.js';
import { usageError } from '../errors.js';
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
      .option('snapshot', {
        type: 'string',
        describe: 'resolve against a file of hostpid snapshot or hostpid record instead of ' +
          '--proc; lines with a time resolve to who had the PID then',
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
      .option('metrics-host', {
        type: 'string',
        default: '127.0.0.1',
        describe: 'see --metrics-port',
      })
      .group(['follow', 'watch', 'remember', 'stats-interval', 'metrics-port', 'metrics-host'],
        'Long runs (sidecar, DaemonSet):')
      .option('out-dir', {
        type: 'string',
        describe: 'rewrite each FILE (files, directories, globs) to the same relative path ' +
          'under DIR, gzip kept gzip, instead of writing to stdout',
      })
      .option('jobs', {
        alias: 'j',
        type: 'number',
        default: 1,
        describe: 'with --out-dir: files rewritten at once, each on its own thread',
      })
      .group(['out-dir', 'jobs'], 'Rewriting archives:'),
    async (args) => {
      const common = args as unknown as CommonArgs;
      const files = (args.files as string[] | undefined) ?? [];
      if (args['out-dir'] !== undefined) {
        if (files.length === 0 || args.follow === true) {
          throw usageError('--out-dir rewrites files: give FILEs, directories or globs, ' +
            'and no --follow');
        }
        // Loaded only here: globbing and the progress bar cost start-up time.
        const { runBatch } = await import('../run/batch.js');
        await runBatch({
          inputs: files,
          outDir: args['out-dir'],
          jobs: Math.max(1, Math.floor(args.jobs)),
          procRoot: common.proc,
          maxScan: args['max-scan'],
          inputFormat: args.input,
          progress: process.stderr.isTTY === true,
          log: ctx.log(),
          ...defined({ rulePaths: args.rules, pid: args.pid, pidns: args.pidns,
            container: args.container, dockerSocket: args['docker-socket'],
            snapshot: args.snapshot }),
        });
        return;
      }

      // Loaded here: the pipeline is not needed by --help or --version.
      const { runAnnotate } = await import('../run/annotate.js');
      await runAnnotate({
        files,
        procRoot: common.proc,
        maxScan: args['max-scan'],
        inputFormat: args.input,
        rememberMs: args.remember,
        metricsHost: args['metrics-host'],
        ...defined({
          rulePaths: args.rules,
          snapshot: args.snapshot,
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
