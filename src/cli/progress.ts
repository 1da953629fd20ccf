/**
 * Progress of long work (verify, run on an emulated target, report, the
 * benchmarks) on stderr only, so stdout stays byte-identical. `--quiet`
 * silences it. This first form prints one plain line per step; the terminal
 * form (a spinner or bar) replaces it when stderr is a TTY.
 */
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
  stream?: NodeJS.WritableStream;
}

export function createProgress(opts: ProgressOptions = {}): Progress {
  if (opts.quiet) return { step() {}, tick() {}, done() {} };
  const out = opts.stream ?? process.stderr;
  return {
    step(label) {
      out.write(`mobilec: ${label}\n`);
    },
    tick() {},
    done() {},
  };
}
