/** mul reference kernels: elementwise product of two tensors, either operand broadcast through its index map. */
import type { Activation } from '../../model/ir.js';
import { floatActivationRange, multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
import { mapClamped, type QuantArray } from '../../reference/kernels/common.js';
import type { OperandIndex } from '../add/reference.js';
import type { MulQuant } from './index.js';

/** Float mul: fround(x1 · x2), then the activation clamp (reference_ops::Mul / BroadcastMul4DSlow). */
export function mulFloat(x1: Float32Array, x2: Float32Array, activation: Activation, out: Float32Array, idx1: OperandIndex, idx2: OperandIndex): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  return mapClamped(out.length, lo, hi, out, (i) => Math.fround(x1[idx1(i)]! * x2[idx2(i)]!));
}

/**
 * TFLite quantized MUL (reference_integer_ops::MulElementwise for int8, reference_ops for uint8, the
 * same arithmetic): acc = (x1 − zp1) · (x2 − zp2), |acc| ≤ 255² = 65025; y = clamp(MBQM(acc, m, shift) + zpOut)
 * to [actMin, actMax]. MultiplyByQuantizedMultiplier shifts left first when shift > 0 (wrapping like int32).
 */
export function mulQuant(
  x1: QuantArray,
  x2: QuantArray,
  zp1: number,
  zp2: number,
  outputZeroPoint: number,
  p: MulQuant,
  out: QuantArray,
  idx1: OperandIndex,
  idx2: OperandIndex,
): QuantArray {
  return mapClamped(out.length, p.actMin, p.actMax, out, (i) => {
    const acc = (x1[idx1(i)]! - zp1) * (x2[idx2(i)]! - zp2);
    return multiplyByQuantizedMultiplier(acc, p.multiplier, p.shift) + outputZeroPoint;
  });
}
