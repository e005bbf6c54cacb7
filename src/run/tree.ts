import type { Writable } from 'node:stream';


import type { Logger } from '../log.js';
import { formatNs } from '../proc/nslink.js';
import {
  buildHierarchy,
  describeContainer,
  formatTable,
  type Hierarchy,
  type PidNamespace,
  readHierarchy,
} from '../resolve/hierarchy.js';
import { warnBlind } from '../resolve/visibility.js';
import { openRecordedSource } from '../snapshot/source.js';

export type TreeFormat = 'tree' | 'table' | 'json';

export interface TreeOptions {
  procRoot: string;
  /** A file of `hostpid snapshot` or `hostpid record` to read instead of procRoot. */
  snapshot?: string;
  format: TreeFormat;
  output: Writable;
  log: Logger;
}

/** Reads the namespace tree of a procfs and prints it in one format. */
export function runTree(options: TreeOptions): Hierarchy {
  const { hierarchy, procRoot } = options.snapshot === undefined
    ? { hierarchy: readHierarchy(options.procRoot), procRoot: options.procRoot }
    : recordedHierarchy(options.snapshot);
  if (options.snapshot === undefined) warnBlind(options.log, procRoot, hierarchy);

  const render = { tree: renderTree, table: formatTable, json: renderJson }[options.format];
  options.output.write(render(hierarchy, procRoot));
  return hierarchy;
}

/** The hierarchy of the processes a snapshot or record saw running last. */
function recordedHierarchy(file: string) {
  const source = openRecordedSource(file);
  try {
    const hierarchy = buildHierarchy(source.processes(), {
      containerOf: (pid) => source.containerOf(pid),
      cmdlineOf: () => undefined,
    });
    return { hierarchy, procRoot: source.procRoot };
  } finally {
    source.close();
  }
}

/** Box-drawn tree, children under their parent, sorted by init PID. */
export function renderTree(hierarchy: Hierarchy): string {
  const lines = [describeNamespace(hierarchy.root)];
  drawChildren(hierarchy.root.children, '', lines);

  const orphans = hierarchy.below.filter((ns) => ns.parent === undefined);
  if (orphans.length > 0) {
    lines.push('parent namespace unknown (the PPid chain skips a level, or was unreadable):');
    drawChildren(orphans, '', lines);
  }

  return `${lines.join('\n')}\n`;
}

function drawChildren(children: readonly PidNamespace[], indent: string, lines: string[]): void {
  for (const [i, ns] of children.entries()) {
    const last = i === children.length - 1;
    lines.push(`${indent}${last ? '└── ' : '├── '}${describeNamespace(ns)}`);
    drawChildren(ns.children, `${indent}${last ? '    ' : '│   '}`, lines);
  }
}

const COMMAND_WIDTH = 40;

function describeNamespace(ns: PidNamespace): string {
  // A command line may hold newlines or escape sequences: one line, nothing a terminal obeys.
  const command = (ns.initCmdline ?? ns.initComm).replace(/\s+/g, ' ').trim()
    // eslint-disable-next-line no-control-regex -- control characters are what it removes
    .replace(/[\x00-\x1f\x7f]/g, '?');
  const shown = command.length > COMMAND_WIDTH
    ? `${command.slice(0, COMMAND_WIDTH - 1)}…`
    : command;
  const parts = [
    ns.ns === undefined ? 'pid:[?]' : formatNs(ns.ns),
    `level ${ns.level}`,
    `init ${ns.initPid} (${shown})`,
    `${ns.processes} ${ns.processes === 1 ? 'process' : 'processes'}`,
  ];
  const container = describeContainer(ns.container);
  if (container !== undefined) parts.push(container);

  return parts.join('  ');
}

/** The same data for programs: a flat list, each namespace naming its parent. */
export function renderJson(hierarchy: Hierarchy, procRoot: string): string {
  const namespaces = [hierarchy.root, ...hierarchy.below].map((ns) => ({
    ns: ns.ns ?? null,
    level: ns.level,
    initPid: ns.initPid,
    initComm: ns.initComm,
    initCmdline: ns.initCmdline ?? null,
    parentNs: ns.parent === undefined ? null : (ns.parent.ns ?? null),
    parentInitPid: ns.parent?.initPid ?? null,
    processes: ns.processes,
    container: ns.container ?? null,
  }));
  const body = { procRoot, namespaces, unplaced: hierarchy.unplaced,
    deniedNamespaceLinks: hierarchy.denied.count };
  return `${JSON.stringify(body, null, 2)}\n`;
}

/** `hostpid tree`: the pid namespace hierarchy of a procfs. */
