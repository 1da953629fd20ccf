/** logistic reference kernels (TFLite reference_ops::Logistic float, reference_integer_ops::Logistic int8, reference_ops::Logistic uint8). */
import { logisticFixed, multiplyByQuantizedMultiplier, roundingDivideByPOT } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import type { LogisticQuant } from './index.js';

/** TFLite's 16.619047164916992188f (a float32). */
const CUTOFF_UPPER = Math.fround(16.619047164916992);

/** TFLite's float logistic: 1 above 16.619047, exp(x) below −9, else 1 / (1 + exp(−x)), in float32. */
export function logisticFloat(x: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v > CUTOFF_UPPER) out[i] = 1;
    else if (v < -9) out[i] = Math.fround(Math.exp(v));
    else out[i] = Math.fround(1 / Math.fround(1 + Math.fround(Math.exp(-v))));
  }
  return out;
}

/**
 * One value of TFLite's quantized logistic: v = x − zpIn; v ≤ −radius gives the
 * dtype minimum, v ≥ radius the maximum; else the Q4.27 input MBQM(v, m, s),
 * gemmlowp's fixed-point logistic (Q0.31), rounded to 8 fractional bits
 * (RDBPOT by 23) plus the output zero point (−128 int8, 0 uint8), clamped
 * (uint8: 256 becomes 255, the same as the clamp).
 */
export function logisticValue(x: number, q: LogisticQuant, qmin: number, qmax: number): number {
  const v = x - q.inputZeroPoint;
  if (v <= -q.inputRangeRadius) return qmin;
  if (v >= q.inputRangeRadius) return qmax;
  const q4 = multiplyByQuantizedMultiplier(v, q.inputMultiplier, q.inputLeftShift);
  const y = roundingDivideByPOT(logisticFixed(q4), 23) + qmin;
  return y < qmin ? qmin : y > qmax ? qmax : y;
}

export function logisticQuant(x: QuantArray, q: LogisticQuant, qmin: number, qmax: number, out: QuantArray): QuantArray {
  for (let i = 0; i < x.length; i++) out[i] = logisticValue(x[i]!, q, qmin, qmax);
  return out;
}
