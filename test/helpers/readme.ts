/**
 * The README's tested blocks. A fenced block right after a line
 * `<!-- readme-test: <id> [file=<path>] -->` belongs to test <id>; tests run
 * them exactly as written, in a sandbox that looks like the checkout after
 * `npm ci` (every top-level entry of the repository linked).
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

export interface ReadmeBlock {
  readonly id: string;
  /** Where the user is told to save this block's text, or null for a shell block. */
  readonly file: string | null;
  readonly lang: string;
  readonly text: string;
}

export function parseReadmeBlocks(markdown: string): ReadmeBlock[] {
  const out: ReadmeBlock[] = [];
  const re = /<!-- readme-test: ([\w-]+)(?: file=(\S+))? -->\s*\n\s*```(\w*)\n([\s\S]*?)\n\s*```/g;
  for (let m = re.exec(markdown); m !== null; m = re.exec(markdown)) {
    out.push({ id: m[1]!, file: m[2] ?? null, lang: m[3]!, text: m[4]! });
  }
  return out;
}

export const README_BLOCKS: readonly ReadmeBlock[] = parseReadmeBlocks(readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8'));

/** The blocks of one test id, in README order; throws when there are none. */
export function readmeBlocks(id: string): ReadmeBlock[] {
  const mine = README_BLOCKS.filter((b) => b.id === id);
  if (mine.length === 0) throw new Error(`README.md has no block tagged <!-- readme-test: ${id} -->`);
  return mine;
}

/** The shell text of one test id (its sh blocks joined), for tests that run it themselves. */
export function readmeShell(id: string): string {
  return readmeBlocks(id)
    .filter((b) => b.file === null)
    .map((b) => b.text)
    .join('\n');
}

/** The text of the block the README tells the user to save as `file`. */
export function readmeFile(id: string, file: string): string {
  const b = readmeBlocks(id).find((x) => x.file === file);
  if (!b) throw new Error(`README.md has no block <!-- readme-test: ${id} file=${file} -->`);
  return `${b.text}\n`;
}

/**
 * A directory that looks like the checkout after `npm ci`: every top-level
 * entry linked, except `dist/`, which is copied: the first `npx mobilec` in a
 * directory npm has not seen installs the project into its npx cache and runs
 * its `prepare` script (a `tsc` build), which must not rewrite the dist/ that
 * concurrent tests are running. Outputs land in the sandbox.
 */
export function sandboxCheckout(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const e of readdirSync(PACKAGE_ROOT)) {
    if (e === '.git' || e === 'out') continue;
    if (e === 'dist') cpSync(join(PACKAGE_ROOT, e), join(dir, e), { recursive: true });
    else symlinkSync(join(PACKAGE_ROOT, e), join(dir, e));
  }
  return dir;
}

/**
 * The environment of a user's shell: the npm_* variables that `npm test`
 * and `npx` hand their children (prefix, cache, user agent…) would change
 * what npm commands in the README do.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, MOBILEC_DEBUG: '' };
}
