/** add reference kernels: elementwise sum of two tensors, the second broadcast when `idx2` maps output elements to it. */
import type { Activation, AddQuant } from '../../model/ir.js';
import { floatActivationRange, multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
import { mapClamped, type QuantArray } from '../../reference/kernels/common.js';

/** Output element i reads element idx(i) of an operand (the identity without broadcasting). */
export type OperandIndex = (i: number) => number;
const same: OperandIndex = (i) => i;

/** Float add: fround(x1 + x2), then the activation clamp. */
export function addFloat(
  x1: Float32Array,
  x2: Float32Array,
  activation: Activation,
  out: Float32Array = new Float32Array(x1.length),
  idx1: OperandIndex = same,
  idx2: OperandIndex = same,
): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  return mapClamped(out.length, lo, hi, out, (i) => Math.fround(x1[idx1(i)]! + x2[idx2(i)]!));
}

/**
 * TFLite quantized ADD (int8/uint8): both inputs shifted left by
 * `leftShift`, rescaled to twice the larger input scale, summed, rescaled to
 * the output, offset and clamped to [actMin, actMax]. Broadcasting
 * (BroadcastAdd4DSlow) only changes which elements pair up.
 */
export function addQuant(
  x1: QuantArray,
  x2: QuantArray,
  zp1: number,
  zp2: number,
  outputZeroPoint: number,
  p: AddQuant,
  out: QuantArray,
  idx1: OperandIndex = same,
  idx2: OperandIndex = same,
): QuantArray {
  const ls = 2 ** p.leftShift;
  return mapClamped(out.length, p.actMin, p.actMax, out, (i) => {
    // |x − zp| ≤ 255 and leftShift ≤ 20: the shifted values fit in int32.
    const a = multiplyByQuantizedMultiplier((x1[idx1(i)]! - zp1) * ls, p.input1Multiplier, p.input1Shift);
    const b = multiplyByQuantizedMultiplier((x2[idx2(i)]! - zp2) * ls, p.input2Multiplier, p.input2Shift);
    return multiplyByQuantizedMultiplier((a + b) | 0, p.outputMultiplier, p.outputShift) + outputZeroPoint;
  });
}
