/** softmax reference kernels over the last axis. */
import type { SoftmaxQuant } from '../../model/ir.js';
import { softmaxQuantizedRow } from '../../numerics/fixedpoint.js';
import type { QuantArray } from '../../reference/kernels/common.js';

/** Float softmax: exp(β(x − max)) / Σ, computed in double. */
export function softmaxFloat(x: Float32Array, depth: number, beta: number, out: Float32Array = new Float32Array(x.length)): Float32Array {
  const rows = Math.round(x.length / depth);
  const e = new Float64Array(depth);
  for (let r = 0; r < rows; r++) {
    const base = r * depth;
    let max = -Infinity;
    for (let c = 0; c < depth; c++) if (x[base + c]! > max) max = x[base + c]!;
    let sum = 0;
    for (let c = 0; c < depth; c++) {
      const v = Math.exp(beta * (x[base + c]! - max));
      e[c] = v;
      sum += v;
    }
    for (let c = 0; c < depth; c++) out[base + c] = e[c]! / sum;
  }
  return out;
}

/**
 * Quantized softmax (TFLite reference, gemmlowp fixed point). Input and
 * output share the dtype; output scale is 1/256 with zero point −128 (int8)
 * or 0 (uint8).
 */
export function softmaxQuant(x: QuantArray, depth: number, quant: SoftmaxQuant, out: QuantArray): QuantArray {
  const isInt8 = x instanceof Int8Array;
  const outMin = out instanceof Int8Array ? -128 : 0;
  const outMax = out instanceof Int8Array ? 127 : 255;
  const rows = Math.round(x.length / depth);
  for (let r = 0; r < rows; r++) {
    softmaxQuantizedRow(x, out, r * depth, depth, quant, outMin, outMax, isInt8 ? -128 : 0);
  }
  return out;
}
