/**
 * Content-addressed build directories: a build is keyed by the hash of its
 * recipe and inputs, made in a private directory and renamed into place, so
 * concurrent builders never see each other's half-written files and an
 * unchanged input is never rebuilt.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
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
  if (existsSync(join(dir, done))) {
    // Mark it used, so pruning removes the least recently used builds.
    try {
      const now = new Date();
      utimesSync(dir, now, now);
    } catch {
      /* pruned meanwhile: rebuilt next time */
    }
    return { dir, fresh: false };
  }
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
  pruneArea(root, MAX_ENTRIES_PER_AREA);
  return { dir, fresh: true };
}

/** Builds kept per area; random-shape tests make many, and a cache should not grow without bound. */
export const MAX_ENTRIES_PER_AREA = 400;

/**
 * Removes the least recently modified finished builds beyond `keep`.
 * Temporary directories of builds in progress are left alone.
 */
export function pruneArea(root: string, keep: number): void {
  let entries: { path: string; mtime: number }[];
  try {
    entries = readdirSync(root)
      .filter((n) => !n.startsWith('.tmp-'))
      .map((n) => ({ path: join(root, n), mtime: statSync(join(root, n)).mtimeMs }));
  } catch {
    return; // another process pruned at the same time
  }
  if (entries.length <= keep) return;
  entries.sort((a, b) => a.mtime - b.mtime);
  for (const e of entries.slice(0, entries.length - keep)) rmSync(e.path, { recursive: true, force: true });
}
