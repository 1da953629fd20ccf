/**
 * Broadcasting of the binary elementwise ops (ADD, MUL): NumPy's rules as
 * TFLite applies them (shapes right-aligned, a dimension of 1 repeats), in
 * the forms mobilec's kernels run:
 *  - 'same': both operands have the output's element count (equal shapes);
 *  - 'suffix': one operand (the "full" one) has the output's elements, the
 *    other, once its leading 1s are dropped, is a suffix of the output shape
 *    and repeats every `period` elements: a scalar ([], [1], [1, 1, 1, 1]:
 *    period 1), a per-channel vector ([C], [1, 1, 1, C]: period C), a
 *    [W, C] plane…
 * Anything else (both operands broadcast, a dimension of 1 in the middle of
 * the small operand) is refused: TFLite would run it, mobilec does not.
 * Element i of the output reads element i of the full operand and element
 * i mod period of the small one, exactly TFLite's BroadcastBinaryFunction4DSlow
 * index arithmetic for these shapes.
 */
import { elementCount } from '../../model/ir.js';

export interface BroadcastPlan {
  readonly form: 'same' | 'suffix';
  /** The output shape. */
  readonly shape: readonly number[];
  /** Output elements. */
  readonly n: number;
  /** The operand with the output's elements (0 for 'same'). */
  readonly full: 0 | 1;
  /** Elements of the repeating operand (n for 'same'; 1 for a scalar). */
  readonly period: number;
}

/** NumPy's broadcast shape of two shapes, or null when a pair of dimensions differs and neither is 1. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** The plan of `a op b`, or a one-line reason it is not supported. */
export function broadcastPlan(a: readonly number[], b: readonly number[]): BroadcastPlan | string {
  const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
  const shape = broadcastShape(a, b);
  if (shape === null) return `shapes ${fmt(a)} and ${fmt(b)} do not broadcast`;
  const n = elementCount(shape);
  const na = elementCount(a);
  const nb = elementCount(b);
  if (na === n && nb === n) return { form: 'same', shape, n, full: 0, period: n };
  if (na !== n && nb !== n) return `shapes ${fmt(a)} and ${fmt(b)} both broadcast (supported: one operand a scalar or a suffix of the other's shape)`;
  const full = na === n ? 0 : 1;
  const small = full === 0 ? b : a;
  let k = 0;
  while (k < small.length && small[k] === 1) k++;
  const tail = small.slice(k);
  const suffix = shape.slice(shape.length - tail.length);
  if (tail.some((d, i) => d !== suffix[i])) {
    return `operand shape ${fmt(small)} is not a scalar or a suffix of ${fmt(shape)} (supported: [C] or [1, 1, 1, C] per channel, a scalar)`;
  }
  return { form: 'suffix', shape, n, full, period: elementCount(tail) };
}

/** The element of operand k that output element i reads. */
export function operandIndex(p: BroadcastPlan, k: 0 | 1): (i: number) => number {
  if (p.form === 'same' || p.full === k) return (i) => i;
  const period = p.period;
  return (i) => i % period;
}
