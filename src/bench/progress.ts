/**
 * Progress of the benchmarks on stderr (src/cli/progress.ts): a spinner on a
 * terminal, `mobilec: <label>` lines otherwise. `BENCH_QUIET=1` (or
 * `--quiet` after `npm run bench:… --`) silences it; the tables on stdout
 * are the same either way.
 */
import { createProgress, type Progress } from '../cli/progress.js';

export const BENCH_QUIET = process.env.BENCH_QUIET === '1' || process.argv.includes('--quiet');

export function benchProgress(): Progress {
  const progress = createProgress({ quiet: BENCH_QUIET });
  // A bench that throws still clears the terminal line before Node prints the error.
  process.once('exit', () => progress.done());
  return progress;
}
