/** Standalone activation reference kernels. */
import type { Activation } from '../../model/ir.js';
import { floatActivationRange } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';

export function activationFloat(x: Float32Array, activation: Activation, out: Float32Array = new Float32Array(x.length)): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v < lo ? lo : v > hi ? hi : v;
  }
  return out;
}

/** Quantized activation with equal input and output quantization: a clamp to [actMin, actMax]. */
export function activationQuant(x: QuantArray, actMin: number, actMax: number, out: QuantArray): QuantArray {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
  }
  return out;
}
