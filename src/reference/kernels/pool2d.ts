/** average_pool2d / max_pool2d reference kernels (NHWC, in-bounds taps only). */
import type { Activation } from '../../model/ir.js';
import type { WindowGeometry } from '../../model/geometry.js';
import { floatActivationRange } from '../../numerics/fixedpoint.js';
import type { QuantArray } from './common.js';

export type PoolKind = 'average' | 'max';

function batchOf(inputLength: number, g: WindowGeometry): number {
  return Math.round(inputLength / (g.inH * g.inW * g.inC));
}

function poolLoop(
  x: ArrayLike<number>,
  g: WindowGeometry,
  kind: PoolKind,
  emit: (acc: Float64Array, count: number, outBase: number) => void,
): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const C = inC;
  const acc = new Float64Array(C);
  const batch = batchOf(x.length, g);
  for (let b = 0; b < batch; b++) {
    const xBatch = b * inH * inW * C;
    const oBatch = b * outH * outW * C;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      const ky0 = Math.max(0, -iy0);
      const ky1 = Math.min(kH, inH - iy0);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(kW, inW - ix0);
        acc.fill(kind === 'max' ? -Infinity : 0);
        let count = 0;
        for (let ky = ky0; ky < ky1; ky++) {
          for (let kx = kx0; kx < kx1; kx++) {
            const xi = xBatch + ((iy0 + ky) * inW + (ix0 + kx)) * C;
            if (kind === 'max') {
              for (let c = 0; c < C; c++) {
                const v = x[xi + c]!;
                if (v > acc[c]!) acc[c] = v;
              }
            } else {
              for (let c = 0; c < C; c++) acc[c] += x[xi + c]!;
            }
            count++;
          }
        }
        emit(acc, count, oBatch + (oy * outW + ox) * C);
      }
    }
  }
}

/** Float pooling: average = Σ / count (in double), max; then the activation clamp. */
export function pool2dFloat(
  x: Float32Array,
  g: WindowGeometry,
  kind: PoolKind,
  activation: Activation,
  out: Float32Array = new Float32Array(batchOf(x.length, g) * g.outH * g.outW * g.outC),
): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  const C = g.inC;
  poolLoop(x, g, kind, (acc, count, base) => {
    for (let c = 0; c < C; c++) {
      const v = kind === 'max' ? acc[c]! : acc[c]! / count;
      out[base + c] = v < lo ? lo : v > hi ? hi : v;
    }
  });
  return out;
}

/**
 * Quantized pooling (output has the input's quantization). Average rounds
 * half away from zero with C truncating division:
 * acc > 0 ? (acc + n/2) / n : (acc − n/2) / n.
 */
export function pool2dQuant(
  x: QuantArray,
  g: WindowGeometry,
  kind: PoolKind,
  actMin: number,
  actMax: number,
  out: QuantArray,
): QuantArray {
  const C = g.inC;
  poolLoop(x, g, kind, (acc, count, base) => {
    const half = count >> 1;
    for (let c = 0; c < C; c++) {
      let v = acc[c]!;
      if (kind === 'average') v = v > 0 ? Math.trunc((v + half) / count) : Math.trunc((v - half) / count);
      out[base + c] = v < actMin ? actMin : v > actMax ? actMax : v;
    }
  });
  return out;
}
