/** Where mobilec's own files and its build cache live. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root: the nearest ancestor holding package.json and templates/
 * (src/util/ and dist/util/ are two levels down; a dev build such as
 * dist-fuzz/src/util/ is three).
 */
export const PACKAGE_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(here: string): string {
  for (let dir = resolve(here, '..', '..'); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    if (dirname(dir) === dir) return resolve(here, '..', '..');
  }
}

export const TEMPLATES_DIR = join(PACKAGE_ROOT, 'templates');
export const NATIVE_DIR = join(PACKAGE_ROOT, 'native');

/**
 * Build cache, keyed by content hash: an unchanged model is never rebuilt.
 * MOBILEC_CACHE_DIR overrides; otherwise the XDG cache directory.
 */
export function cacheDir(): string {
  if (process.env.MOBILEC_CACHE_DIR) return resolve(process.env.MOBILEC_CACHE_DIR);
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'mobilec');
}
