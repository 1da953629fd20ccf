/** average_pool2d / max_pool2d reference kernels (NHWC, in-bounds taps only). */
import type { Activation } from '../../model/ir.js';
import type { WindowGeometry } from '../../model/geometry.js';
import { floatActivationRange } from '../../numerics/fixedpoint.js';
import { clamp, forEachWindow, widen, windowBatch, windowOutput, type QuantArray } from '../../reference/kernels/common.js';

export type PoolKind = 'average' | 'max';

/** acc[c] = max(acc[c], x[xi + c]); a NaN input is skipped, as `>` is false for it. */
function maxTap(acc: Float64Array, x: Float64Array, xi: number): void {
  for (let c = 0; c < acc.length; c++) {
    const v = x[xi + c]!;
    if (v > acc[c]!) acc[c] = v;
  }
}

/** acc[c] += x[xi + c]. */
function sumTap(acc: Float64Array, x: Float64Array, xi: number): void {
  for (let c = 0; c < acc.length; c++) acc[c] += x[xi + c]!;
}

/**
 * The loop both variants share: per channel the max, or the sum, over the
 * in-bounds taps; `end` turns it into the outputs at out[outBase ..].
 */
function pool2d(x: Float64Array, g: WindowGeometry, kind: PoolKind, end: (acc: Float64Array, taps: number, outBase: number) => void): void {
  const acc = new Float64Array(g.inC);
  const start = kind === 'max' ? -Infinity : 0;
  const tap = kind === 'max' ? maxTap : sumTap;
  forEachWindow(g, windowBatch(x.length, g), {
    begin: () => acc.fill(start),
    tap: (xi) => tap(acc, x, xi),
    end: (outBase, taps) => end(acc, taps, outBase),
  });
}

/** Float pooling: average = Σ / count (in double), max; then the activation clamp. */
export function pool2dFloat(
  x: Float32Array,
  g: WindowGeometry,
  kind: PoolKind,
  activation: Activation,
  out: Float32Array = windowOutput(x.length, g),
): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  pool2d(widen(x), g, kind, (acc, count, base) => {
    for (let c = 0; c < acc.length; c++) {
      const v = kind === 'max' ? acc[c]! : acc[c]! / count;
      out[base + c] = clamp(v, lo, hi);
    }
  });
  return out;
}

/**
 * Quantized pooling (output has the input's quantization). Average rounds
 * half away from zero with C truncating division:
 * acc > 0 ? (acc + n/2) / n : (acc − n/2) / n.
 */
export function pool2dQuant(x: QuantArray, g: WindowGeometry, kind: PoolKind, actMin: number, actMax: number, out: QuantArray): QuantArray {
  pool2d(widen(x), g, kind, (acc, count, base) => {
    const half = count >> 1;
    for (let c = 0; c < acc.length; c++) {
      let v = acc[c]!;
      if (kind === 'average') v = v > 0 ? Math.trunc((v + half) / count) : Math.trunc((v - half) / count);
      out[base + c] = clamp(v, actMin, actMax);
    }
  });
  return out;
}
