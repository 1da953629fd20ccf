/** hard_swish reference kernels (TFLite reference_ops::HardSwish, float and int8/uint8). */
import {
  roundingDivideByPOT16,
  saturatingDoublingHighMul16,
  saturatingLeftShift16,
  saturatingRoundingDoublingHighMul16,
  toInt16,
} from '../../numerics/fixedpoint.js';
import { clamp, type QuantArray } from '../../reference/kernels/common.js';
import type { HardSwishQuant } from './index.js';

/** x · relu6(x + 3) / 6, every step rounded to float32. */
export function hardSwishFloat(x: Float32Array, out: Float32Array): Float32Array {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    const r = Math.min(6, Math.max(0, Math.fround(v + 3)));
    out[i] = Math.fround(Math.fround(v * r) / 6);
  }
  return out;
}

/**
 * One value of TFLite's fixed-point hard swish (every intermediate an int16,
 * as the reference kernel stores it):
 *  1. v = x − zpIn (|v| ≤ 255), hires = v · 2^7 (|hires| ≤ 32640: fits int16);
 *  2. preshift = SRDHM16(hires, outMultiplier): the value on the output scale before its right shift;
 *  3. reluish = hires rescaled so that 3.0 is 2^15 (saturating; left shifts split as 2^(e−1) · SRDHM16 · 2^1,
 *     right shifts a rounding division), then mapped from [−1, 1] to [0, 1]: (reluish + 2^15) >> 1;
 *  4. y = RDBPOT16(SDHM16(reluish, preshift), −outExponent) + zpOut, clamped to the dtype.
 */
export function hardSwishValue(x: number, q: HardSwishQuant, qmin: number, qmax: number): number {
  const hires = toInt16((x - q.inputZeroPoint) * 128);
  const preshift = saturatingRoundingDoublingHighMul16(hires, q.outputMultiplier);
  let reluish = hires;
  if (q.reluishExponent > 0) reluish = saturatingLeftShift16(reluish, q.reluishExponent - 1);
  reluish = saturatingRoundingDoublingHighMul16(reluish, q.reluishMultiplier);
  if (q.reluishExponent > 0) reluish = saturatingLeftShift16(reluish, 1);
  if (q.reluishExponent < 0) reluish = roundingDivideByPOT16(reluish, -q.reluishExponent);
  reluish = toInt16((reluish + (1 << 15)) >> 1);
  const pre = saturatingDoublingHighMul16(reluish, preshift);
  const y = toInt16(roundingDivideByPOT16(pre, -q.outputExponent) + q.outputZeroPoint);
  return clamp(y, qmin, qmax);
}

export function hardSwishQuant(x: QuantArray, q: HardSwishQuant, qmin: number, qmax: number, out: QuantArray): QuantArray {
  for (let i = 0; i < x.length; i++) out[i] = hardSwishValue(x[i]!, q, qmin, qmax);
  return out;
}
