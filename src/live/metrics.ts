import { createServer, type Server } from 'node:http';

import type { Resolver } from '../resolve/resolver.js';
import type { RunStats } from '../stats.js';

/** The run's counters in the Prometheus text exposition format (0.0.4). */
export function renderMetrics(stats: RunStats, resolver: Resolver): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP hostpid_${name} ${help}`, `# TYPE hostpid_${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`hostpid_${name}${labels} ${value}`);
  };

  metric('lines_total', 'counter', 'Lines read.', [['', stats.lines]]);
  metric('lines_with_pids_total', 'counter', 'Lines that named a PID.',
    [['', stats.linesWithPids]]);
  metric('pids_total', 'counter', 'Distinct PIDs per line, summed.', [['', stats.pids]]);
  metric('resolved_total', 'counter', 'PIDs mapped to a host PID.', [['', stats.resolved]]);
  metric('unresolved_total', 'counter', 'PIDs left as "?", by reason.',
    Object.entries(stats.unresolved).map(([reason, n]) => [`{reason="${reason}"}`, n]));
  metric('tids_total', 'counter', 'Distinct thread ids per line, summed.', [['', stats.tids]]);
  metric('resolved_tids_total', 'counter', 'Thread ids mapped to a host tid.',
    [['', stats.resolvedTids]]);
  metric('long_lines_total', 'counter', 'Lines matched on their head only.',
    [['', stats.longLines]]);
  metric('rescans_total', 'counter', 'Scans of the procfs.', [['', resolver.stats.scans]]);
  metric('processes', 'gauge', 'Processes in the resolver table, live and remembered.',
    [['', resolver.table.size()]]);
  metric('namespace_indexes', 'gauge', 'Namespaces with a built PID index.',
    [['', resolver.table.indexCount()]]);

  return `${lines.join('\n')}\n`;
}

/**
 * Serves GET /metrics on `host:port` (loopback unless told otherwise: the
 * counters say which containers log what, which is nobody else's business).
 */
export async function serveMetrics(port: number, host: string,
  render: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/') !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try /metrics\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(render());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  server.unref();
  return server;
}
