/** dequantize reference kernel: q → float. */
import type { QuantArray } from '../../reference/kernels/common.js';

/** TFLite Dequantize: y = fround(double(scale) · (q − zp)). */
export function dequantize(x: QuantArray, scale: number, zeroPoint: number, out: Float32Array = new Float32Array(x.length)): Float32Array {
  const s = Math.fround(scale);
  for (let i = 0; i < x.length; i++) out[i] = s * (x[i]! - zeroPoint);
  return out;
}
