/** Running external tools (compilers, cmake-js) with errors mobilec can report. */
import { spawnSync } from 'node:child_process';
import { environmentError } from '../model/errors.js';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion. A missing program or a non-zero exit is an
 * environment error (exit 3) carrying the first lines of its output.
 */
export function execTool(cmd: string, args: readonly string[], opts: { cwd?: string; timeoutMs?: number; what: string }): ExecResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw environmentError(`${opts.what}: '${cmd}' not found on PATH; install it (see README, "Set-up")`);
    if (code === 'ETIMEDOUT') throw environmentError(`${opts.what}: '${cmd}' timed out`);
    throw environmentError(`${opts.what}: cannot run '${cmd}': ${r.error.message}`);
  }
  if (r.status !== 0) {
    const out = `${r.stderr ?? ''}\n${r.stdout ?? ''}`.trim().split('\n').slice(0, 6).join(' | ');
    throw environmentError(`${opts.what} failed (${cmd} exit ${r.status ?? r.signal}): ${out}`);
  }
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
