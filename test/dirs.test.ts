import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { makeDirs } from '../src/dirs.js';
import { deferEach } from './helpers/defer.js';

describe('makeDirs', () => {
  const undo = deferEach();
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostpid-dirs-'));
    undo(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  };

  it('makes every missing directory, and accepts one that is there', () => {
    const top = scratch();
    makeDirs(join(top, 'a', 'b', 'c'), 0o700);
    makeDirs(join(top, 'a', 'b'));

    expect(statSync(join(top, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(statSync(join(top, 'a', 'b', 'c')).mode & 0o777).toBe(0o700);
  });

  it('fails with the kernel\'s answer where Node\'s recursive mkdir would spin', () => {
    expect(() => makeDirs('/proc/self/hostpid-test/x')).toThrow(/ENOENT.*mkdir '\/proc\/self\//);
  });

  it('fails where a file stands in the way', () => {
    const top = scratch();
    writeFileSync(join(top, 'file'), '');

    expect(() => makeDirs(join(top, 'file', 'x'))).toThrow(/ENOTDIR/);
  });
});
