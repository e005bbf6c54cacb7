import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * The shipped rule files, already parsed, in one JSON file beside them.
 * Parsing the YAML of the whole library cold costs 140 to 300 ms on the CI
 * machine (the yaml package is not yet compiled by V8 at start-up); reading
 * this JSON costs a few. It is used only while the SHA-256 of the YAML files
 * it was made from still matches them, so an edited rule file is never
 * shadowed by a stale copy: it is parsed from YAML, just more slowly. The
 * test suite checks that the committed copy is current.
 */
export const CACHE_NAME = 'shipped.json';

interface CacheFile {
  hash: string;
  documents: Record<string, unknown>;
}

/** Parsed documents by file name, when the cache in dir matches files. */
export function readCache(
  dir: string,
  files: readonly string[],
): Map<string, unknown> | undefined {
  let cache: CacheFile;
  try {
    cache = JSON.parse(readFileSync(join(dir, CACHE_NAME), 'utf8')) as CacheFile;
  } catch {
    return undefined;
  }

  if (cache.hash !== hashFiles(files)) return undefined;
  return new Map(Object.entries(cache.documents));
}

/** Writes the cache for files (parsed by parse) into dir. */
export function writeCache(
  dir: string,
  files: readonly string[],
  parse: (file: string) => unknown,
): void {
  const documents = Object.fromEntries(files.map((f) => [basename(f), parse(f)]));
  const cache: CacheFile = { hash: hashFiles(files), documents };
  writeFileSync(join(dir, CACHE_NAME), `${JSON.stringify(cache)}\n`);
}

export function hashFiles(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${basename(file)}\0`);
    hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}
