import { afterEach } from 'vitest';

import { type FakeProcess, makeBootedProc, makeFakeProc } from './fakeproc.js';

/**
 * Registers an afterEach that undoes, last first, whatever the test queued
 * with the returned function: fixture trees, temp dirs, open files.
 */
export function deferEach(): (undo: () => void) => void {
  const queue: Array<() => void> = [];
  afterEach(() => {
    for (const undo of queue.splice(0).reverse()) undo();
  });
  return (undo) => void queue.push(undo);
}

/**
 * A maker of fixture procfs trees that are removed after each test; with
 * `btimeSec`, each tree has a boot time too (see makeBootedProc).
 */
export function fakeProcEach(btimeSec?: number): (processes: FakeProcess[]) => string {
  const defer = deferEach();
  return (processes) => {
    const made = btimeSec === undefined
      ? makeFakeProc(processes)
      : makeBootedProc(processes, btimeSec);
    defer(made.cleanup);
    return made.root;
  };
}
