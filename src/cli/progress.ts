/**
 * Progress of long work (verify, run on an emulated target, report, the
 * benchmarks) on stderr only, so stdout stays byte-identical. `--quiet`
 * silences it.
 *
 * On a terminal (a TTY with a width, TERM not "dumb") an `ora`
 * spinner shows the current step and, for counted work, `[done/total]`; it
 * is cleared by done(), so nothing of it is left once the command prints its
 * result. Otherwise (a pipe, a file, CI) each step is one plain line
 * `mobilec: <label>`, and ticks print nothing.
 *
 * Most of the long work is synchronous (compilers and QEMU through
 * spawnSync), so the spinner cannot turn while it runs: every step and tick
 * renders at once, and the spinner turns whenever the event loop is free.
 */
import ora, { type Ora } from 'ora';

export interface Progress {
  /** A new phase of the work, e.g. "build mobilec_x for cortex-m4". */
  step(label: string): void;
  /** Position inside the current phase, for counted work (inputs, layers, cases). */
  tick(done: number, total: number): void;
  /** The work is over (success or failure): clear any terminal state. */
  done(): void;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** Where progress goes (default process.stderr); never stdout. */
  stream?: NodeJS.WritableStream;
}

/** Progress that prints nothing: `--quiet`, and callers that were given no progress. */
export const SILENT: Progress = { step() {}, tick() {}, done() {} };

/**
 * A terminal the spinner can redraw: a TTY with a width (a pseudo-terminal
 * without a window size reports 0 columns, and ora's line count divides by
 * it) and a TERM that is not "dumb".
 */
function isTerminal(stream: NodeJS.WritableStream): boolean {
  const s = stream as { isTTY?: boolean; columns?: number };
  return s.isTTY === true && (s.columns ?? 0) > 0 && process.env.TERM !== 'dumb';
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  if (opts.quiet) return SILENT;
  const out = opts.stream ?? process.stderr;
  if (!isTerminal(out)) {
    return {
      step(label) {
        out.write(`mobilec: ${label}\n`);
      },
      tick() {},
      done() {},
    };
  }
  let spinner: Ora | null = null;
  let label = '';
  const show = (text: string) => {
    if (spinner === null) {
      // discardStdin off: raw mode would hold back Ctrl+C while spawnSync blocks the event loop.
      spinner = ora({ stream: out, isEnabled: true, discardStdin: false, text }).start();
    } else {
      spinner.text = text;
      spinner.render();
    }
  };
  return {
    step(l) {
      label = l;
      show(l);
    },
    tick(done, total) {
      show(`${label} [${done}/${total}]`);
    },
    done() {
      spinner?.stop();
      spinner = null;
    },
  };
}

/** Runs `work` with progress and always ends it (done()), also when the work throws. */
export async function withProgress<T>(opts: ProgressOptions, work: (progress: Progress) => T | Promise<T>): Promise<T> {
  const progress = createProgress(opts);
  try {
    return await work(progress);
  } finally {
    progress.done();
  }
}
