/** Where mobilec's own files and its build cache live. */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: src/util/ and dist/util/ are both two levels down. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

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
