/** quantize reference kernels: float → q and q → q. */
import { multiplyByQuantizedMultiplier, roundHalfAwayFromZero } from '../../numerics/fixedpoint.js';
import { mapClamped, type QuantArray } from '../../reference/kernels/common.js';

/**
 * TFLite AffineQuantize: q = clamp(round_half_away(fround(x / scale)) + zp),
 * the division in float32. NaN (undefined in TFLite) quantizes to the zero
 * point, clamped.
 */
export function quantizeFloat(x: Float32Array, scale: number, zeroPoint: number, qmin: number, qmax: number, out: QuantArray): QuantArray {
  const s = Math.fround(scale);
  return mapClamped(x.length, qmin, qmax, out, (i) => {
    const t = Math.fround(x[i]! / s);
    return Number.isNaN(t) ? zeroPoint : roundHalfAwayFromZero(t) + zeroPoint;
  });
}

/**
 * TFLite Requantize: y = clamp(MBQM(x − zpIn, m, s) + zpOut, qmin, qmax)
 * with the output dtype's full range.
 */
export function requantizeQuant(
  x: QuantArray,
  inputZeroPoint: number,
  multiplier: number,
  shift: number,
  outputZeroPoint: number,
  qmin: number,
  qmax: number,
  out: QuantArray,
): QuantArray {
  return mapClamped(x.length, qmin, qmax, out, (i) => multiplyByQuantizedMultiplier(x[i]! - inputZeroPoint, multiplier, shift) + outputZeroPoint);
}
