/**
 * One resource budget for every frontend (docs/CONTRACT.md, "Limits"):
 * checked before anything of that size is allocated or read, so a hostile
 * or mistaken model fails with a one-line error (exit 2) instead of running
 * out of memory or time. Users with big models raise the limits with
 * `--max-tensor-bytes`, `--max-weight-bytes`, `--max-activation-bytes` and
 * `--max-ops`.
 */
import { badInput } from './errors.js';

const MiB = 1024 * 1024;

export interface Budget {
  /** Bytes of any one tensor (constant or activation). */
  readonly maxTensorBytes: number;
  /** Bytes of all constants (weights, biases) together. */
  readonly maxWeightBytes: number;
  /** Bytes of all activation tensors together (the reference and calibration hold them all). */
  readonly maxActivationBytes: number;
  /** Ops of the graph (a description's layers count with their batch norm and activation). */
  readonly maxOps: number;
  /** Bytes of a model file (a .tflite, a description, a weights file). */
  readonly maxFileBytes: number;
}

export const DEFAULT_BUDGET: Budget = {
  maxTensorBytes: 64 * MiB,
  maxWeightBytes: 256 * MiB,
  maxActivationBytes: 256 * MiB,
  maxOps: 50_000,
  maxFileBytes: 512 * MiB,
};

/** Each limit: what it bounds and the flag that raises it (both named in the errors). */
const LIMIT: Readonly<Record<keyof Budget, { per: string; flag: string }>> = {
  maxTensorBytes: { per: 'per tensor', flag: '--max-tensor-bytes' },
  maxWeightBytes: { per: 'for all weights', flag: '--max-weight-bytes' },
  maxActivationBytes: { per: 'for all activations', flag: '--max-activation-bytes' },
  maxOps: { per: 'ops', flag: '--max-ops' },
  maxFileBytes: { per: 'per file', flag: '--max-weight-bytes' },
};

/** The default budget with the user's limits; a file may hold all the weights and its own structure (2x). */
export function budgetWith(over: Partial<Pick<Budget, 'maxTensorBytes' | 'maxWeightBytes' | 'maxActivationBytes' | 'maxOps'>>): Budget {
  const b = { ...DEFAULT_BUDGET, ...over };
  return { ...b, maxFileBytes: Math.max(DEFAULT_BUDGET.maxFileBytes, 2 * b.maxWeightBytes) };
}

const human = (n: number) =>
  // A size past 2^53 (a product of huge dimensions, up to Infinity) has no exact byte count to show.
  !(n <= Number.MAX_SAFE_INTEGER)
    ? 'more than 2^53 bytes'
    : n >= MiB && n % MiB === 0
      ? `${n / MiB} MiB`
      : n >= MiB
        ? `${(n / MiB).toFixed(1)} MiB (${n} bytes)`
        : `${n} bytes`;

/** Throws the one-line error for a value over its limit (`what` says what was measured, `where` prefixes it). */
export function overBudget(budget: Budget, key: keyof Budget, value: number, where: string, what: string): never {
  const ops = key === 'maxOps';
  const shown = ops ? `${value} ops` : human(value);
  const limit = ops ? `${budget[key]} ops` : `${human(budget[key])} ${LIMIT[key].per}`;
  throw badInput(`${where}${what}: ${shown}, over the limit of ${limit} (raise it with ${LIMIT[key].flag})`);
}

/** A running tally of a graph's sizes against a budget. */
export class BudgetTally {
  private weights = 0;
  private activations = 0;
  constructor(
    readonly budget: Budget,
    private readonly where: string,
  ) {}

  /** One tensor against the per-tensor limit only. */
  check(name: string, elements: number, elementBytes: number): void {
    const bytes = elements * elementBytes;
    if (!Number.isFinite(bytes) || bytes > this.budget.maxTensorBytes) overBudget(this.budget, 'maxTensorBytes', bytes, this.where, `tensor ${name}`);
  }

  /** Bytes of one tensor about to be made, added to the weights' or the activations' sum (`constant`: weights). */
  tensor(name: string, elements: number, elementBytes: number, constant: boolean): void {
    this.check(name, elements, elementBytes);
    const bytes = elements * elementBytes;
    if (constant) {
      this.weights += bytes;
      if (this.weights > this.budget.maxWeightBytes) overBudget(this.budget, 'maxWeightBytes', this.weights, this.where, "the model's weights");
    } else {
      this.activations += bytes;
      if (this.activations > this.budget.maxActivationBytes) {
        overBudget(this.budget, 'maxActivationBytes', this.activations, this.where, "the model's activations");
      }
    }
  }

  ops(count: number): void {
    if (count > this.budget.maxOps) overBudget(this.budget, 'maxOps', count, this.where, 'the op count');
  }
}
