/**
 * Content-addressed build directories: a build is keyed by the hash of its
 * recipe and inputs, made in a private directory and renamed into place, so
 * concurrent builders never see each other's half-written files and an
 * unchanged input is never rebuilt.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { environmentError } from '../model/errors.js';
import { cacheDir } from './paths.js';

/** 24 hex digits of SHA-256 over a JSON recipe and named inputs (in name order). */
export function contentKey(recipe: unknown, files: ReadonlyMap<string, string | Uint8Array> = new Map()): string {
  const hash = createHash('sha256').update(JSON.stringify(recipe));
  for (const name of [...files.keys()].sort()) hash.update(`\0${name}\0`).update(files.get(name)!);
  return hash.digest('hex').slice(0, 24);
}

/** Where the build of (area, label, key) lives once finished. */
export function buildDir(area: string, label: string, key: string): string {
  return join(cacheDir(), area, `${label}-${key}`);
}

/**
 * Returns `<cache>/<area>/<label>-<key>`, running `build(tmp)` first unless a
 * complete build is there. `done` names the file `build` writes last: its
 * presence marks a finished build.
 */
export function cachedBuild(area: string, label: string, key: string, done: string, build: (tmp: string) => void): { dir: string; fresh: boolean } {
  const root = join(cacheDir(), area);
  const dir = buildDir(area, label, key);
  if (existsSync(join(dir, done))) return { dir, fresh: false };
  mkdirSync(root, { recursive: true });
  const tmp = mkdtempSync(join(root, `.tmp-${label}-${key}-`));
  try {
    build(tmp);
    try {
      renameSync(tmp, dir);
    } catch {
      // Another process finished the same build first: use theirs.
      if (!existsSync(join(dir, done))) throw environmentError(`cannot move ${tmp} to ${dir}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { dir, fresh: true };
}
