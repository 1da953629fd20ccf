/**
 * depthwise_conv2d reference kernels. NHWC input, filter [1, KH, KW, I·M],
 * output channel c = ic·M + k reads input channel ic.
 */
import type { Activation } from '../../model/ir.js';
import type { WindowGeometry } from '../../model/geometry.js';
import { floatActivationRange, multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
import { offsetCopy, perChannel, type QuantArray, type QuantParams } from './common.js';

function batchOf(inputLength: number, g: WindowGeometry): number {
  return Math.round(inputLength / (g.inH * g.inW * g.inC));
}

/**
 * Shared loop: accumulates Σ x·w per output channel into `acc` for every
 * output pixel, then calls `emit(acc, outIndex)`.
 */
function depthwiseLoop(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  g: WindowGeometry,
  batch: number,
  init: (acc: Float64Array) => void,
  emit: (acc: Float64Array, outBase: number) => void,
): void {
  const { inH, inW, inC, outH, outW, outC, kW, kH, strideH, strideW, padTop, padLeft, depthMultiplier: M } = g;
  const acc = new Float64Array(outC);
  for (let b = 0; b < batch; b++) {
    const xBatch = b * inH * inW * inC;
    const oBatch = b * outH * outW * outC;
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padTop;
      const ky0 = Math.max(0, -iy0);
      const ky1 = Math.min(kH, inH - iy0);
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padLeft;
        const kx0 = Math.max(0, -ix0);
        const kx1 = Math.min(kW, inW - ix0);
        init(acc);
        for (let ky = ky0; ky < ky1; ky++) {
          for (let kx = kx0; kx < kx1; kx++) {
            const xi = xBatch + ((iy0 + ky) * inW + (ix0 + kx)) * inC;
            const wi = (ky * kW + kx) * outC;
            if (M === 1) {
              for (let c = 0; c < outC; c++) acc[c] += x[xi + c]! * w[wi + c]!;
            } else {
              for (let ic = 0; ic < inC; ic++) {
                const xv = x[xi + ic]!;
                const oc0 = ic * M;
                for (let k = 0; k < M; k++) acc[oc0 + k] += xv * w[wi + oc0 + k]!;
              }
            }
          }
        }
        emit(acc, oBatch + (oy * outW + ox) * outC);
      }
    }
  }
}

export function depthwiseConv2dFloat(
  x: Float32Array,
  filter: Float32Array,
  bias: Float32Array | undefined,
  g: WindowGeometry,
  activation: Activation,
  out: Float32Array = new Float32Array(batchOf(x.length, g) * g.outH * g.outW * g.outC),
): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  const outC = g.outC;
  depthwiseLoop(
    x,
    filter,
    g,
    batchOf(x.length, g),
    (acc) => {
      if (bias !== undefined) for (let c = 0; c < outC; c++) acc[c] = bias[c]!;
      else acc.fill(0);
    },
    (acc, base) => {
      for (let c = 0; c < outC; c++) {
        const v = acc[c]!;
        out[base + c] = v < lo ? lo : v > hi ? hi : v;
      }
    },
  );
  return out;
}

export function depthwiseConv2dQuant(
  x: QuantArray,
  filter: QuantArray,
  bias: Int32Array | undefined,
  g: WindowGeometry,
  q: QuantParams,
  out: QuantArray,
): QuantArray {
  const outC = g.outC;
  const mult = perChannel(q.multiplier, outC, 'depthwise_conv2d multiplier');
  const shift = perChannel(q.shift, outC, 'depthwise_conv2d shift');
  const { outputZeroPoint: yZp, actMin, actMax } = q;
  depthwiseLoop(
    offsetCopy(x, q.inputZeroPoint),
    offsetCopy(filter, q.filterZeroPoint),
    g,
    batchOf(x.length, g),
    (acc) => acc.fill(0),
    (acc, base) => {
      for (let c = 0; c < outC; c++) {
        const a = bias !== undefined ? acc[c]! + bias[c]! : acc[c]!;
        const y = multiplyByQuantizedMultiplier(a | 0, mult[c]!, shift[c]!) + yZp;
        out[base + c] = y < actMin ? actMin : y > actMax ? actMax : y;
      }
    },
  );
  return out;
}
