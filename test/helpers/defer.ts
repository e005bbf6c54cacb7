import { afterEach } from 'vitest';

import { type FakeProcess, makeFakeProc } from './fakeproc.js';

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

/** A maker of fixture procfs trees that are removed after each test. */
export function fakeProcEach(): (processes: FakeProcess[]) => string {
  const defer = deferEach();
  return (processes) => {
    const made = makeFakeProc(processes);
    defer(made.cleanup);
    return made.root;
  };
}
