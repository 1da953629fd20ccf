/** Runs the built CLI (dist/) as a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

export const CLI = join(PACKAGE_ROOT, 'dist', 'cli', 'main.js');
export const EXAMPLES = join(PACKAGE_ROOT, 'examples', 'models');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function mobilec(args: readonly string[], opts: { cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? PACKAGE_ROOT,
    encoding: 'utf8',
    env: { ...process.env, MOBILEC_DEBUG: '' },
    timeout: 600_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
