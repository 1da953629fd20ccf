/** Standalone activation reference kernels. */
import type { Activation } from '../../model/ir.js';
import { floatActivationRange, multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';
import type { ReluQuant } from './index.js';

export function activationFloat(x: Float32Array, activation: Activation, out: Float32Array = new Float32Array(x.length)): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/**
 * TFLite's quantized ReluX: y = clamp(zpOut + MBQM(x − zpIn, m, s), actMin, actMax).
 * With equal input and output quantization, QuantizeMultiplier(1) = (2^30, 1)
 * and MBQM(v, 2^30, 1) = v: the plain clamp.
 */
export function reluQuant(x: QuantArray, q: ReluQuant, out: QuantArray): QuantArray {
  for (let i = 0; i < x.length; i++) {
    const v = q.outputZeroPoint + multiplyByQuantizedMultiplier(x[i]! - q.inputZeroPoint, q.multiplier, q.shift);
    out[i] = v < q.actMin ? q.actMin : v > q.actMax ? q.actMax : v;
  }
  return out;
}

/** A clamp to [actMin, actMax] (the ReluX of equal input and output quantization). */
export function activationQuant(x: QuantArray, actMin: number, actMax: number, out: QuantArray): QuantArray {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
  }
  return out;
}
