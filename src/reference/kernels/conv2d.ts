/**
 * conv2d reference kernels. NHWC input, filter [O, KH, KW, I], output NHWC.
 * Padding taps contribute nothing; the batch is input.length / (inH·inW·inC).
 */
import type { Activation } from '../../model/ir.js';
import type { WindowGeometry } from '../../model/geometry.js';
import { floatActivationRange, multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
import { offsetCopy, perChannel, type QuantArray, type QuantParams } from './common.js';

function batchOf(inputLength: number, g: WindowGeometry): number {
  return Math.round(inputLength / (g.inH * g.inW * g.inC));
}

export function conv2dFloat(
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | undefined,
  g: WindowGeometry,
  activation: Activation,
  out: Float32Array = new Float32Array(batchOf(x.length, g) * g.outH * g.outW * g.outC),
): Float32Array {
  const { inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const [lo, hi] = floatActivationRange(activation);
  const batch = batchOf(x.length, g);
  const wPerOut = kH * kW * inC;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      const ky0 = Math.max(0, -iy0);
      const ky1 = Math.min(kH, inH - iy0);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(kW, inW - ix0);
        for (let oc = 0; oc < outC; oc++) {
          let acc = bias !== undefined ? bias[oc]! : 0;
          const wOc = oc * wPerOut;
          for (let ky = ky0; ky < ky1; ky++) {
            for (let kx = kx0; kx < kx1; kx++) {
              const xi = xBatch + ((iy0 + ky) * inW + (ix0 + kx)) * inC;
              const wi = wOc + (ky * kW + kx) * inC;
              for (let ic = 0; ic < inC; ic++) acc += x[xi + ic]! * filter[wi + ic]!;
            }
          }
          out[o++] = acc < lo ? lo : acc > hi ? hi : acc;
        }
      }
    }
  }
  return out;
}

export function conv2dQuant(
  x: QuantArray,
  filter: QuantArray,
  bias: Int32Array | undefined,
  g: WindowGeometry,
  q: QuantParams,
  out: QuantArray,
): QuantArray {
  const { inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const xs = offsetCopy(x, q.inputZeroPoint);
  const ws = offsetCopy(filter, q.filterZeroPoint);
  const mult = perChannel(q.multiplier, outC, 'conv2d multiplier');
  const shift = perChannel(q.shift, outC, 'conv2d shift');
  const { outputZeroPoint: yZp, actMin, actMax } = q;
  const batch = batchOf(x.length, g);
  const wPerOut = kH * kW * inC;
  let o = 0;
  for (let b = 0; b < batch; b++) {
    const xBatch = b * inH * inW * inC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      const ky0 = Math.max(0, -iy0);
      const ky1 = Math.min(kH, inH - iy0);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(kW, inW - ix0);
        for (let oc = 0; oc < outC; oc++) {
          let acc = 0;
          const wOc = oc * wPerOut;
          for (let ky = ky0; ky < ky1; ky++) {
            for (let kx = kx0; kx < kx1; kx++) {
              const xi = xBatch + ((iy0 + ky) * inW + (ix0 + kx)) * inC;
              const wi = wOc + (ky * kW + kx) * inC;
              for (let ic = 0; ic < inC; ic++) acc += xs[xi + ic]! * ws[wi + ic]!;
            }
          }
          if (bias !== undefined) acc += bias[oc]!;
          const y = multiplyByQuantizedMultiplier(acc | 0, mult[oc]!, shift[oc]!) + yZp;
          out[o++] = y < actMin ? actMin : y > actMax ? actMax : y;
        }
      }
    }
  }
  return out;
}
