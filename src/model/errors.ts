/**
 * Errors are values with an exit code (docs/CONTRACT.md, "Exit codes") and a
 * one-line message that names where the problem is and what is supported.
 */

export const ExitCode = {
  ok: 0,
  mismatch: 1,
  badInput: 2,
  environment: 3,
  internal: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind = 'bad-input' | 'mismatch' | 'environment' | 'internal';

const EXIT_OF: Readonly<Record<ErrorKind, ExitCodeValue>> = {
  'bad-input': ExitCode.badInput,
  mismatch: ExitCode.mismatch,
  environment: ExitCode.environment,
  internal: ExitCode.internal,
};

export class MobilecError extends Error {
  readonly kind: ErrorKind;
  constructor(kind: ErrorKind, message: string) {
    // One line, always: a multi-line message would break scripts parsing stderr.
    super(message.replace(/\s*\n\s*/g, ' '));
    this.kind = kind;
    this.name = 'MobilecError';
  }
  get exitCode(): ExitCodeValue {
    return EXIT_OF[this.kind];
  }
}

/** Bad model, bad flag, unsupported op, limit exceeded: exit 2. */
export function badInput(message: string): MobilecError {
  return new MobilecError('bad-input', message);
}

/** Missing toolchain / emulator, or it crashed or timed out: exit 3. */
export function environmentError(message: string): MobilecError {
  return new MobilecError('environment', message);
}

/** The C disagrees with the reference: exit 1. */
export function mismatchError(message: string): MobilecError {
  return new MobilecError('mismatch', message);
}

/** A bug in mobilec: exit 4. */
export function internalError(message: string): MobilecError {
  return new MobilecError('internal', message);
}
