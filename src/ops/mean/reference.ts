/** mean reference kernels: the mean over H and W of an NHWC tensor, per batch and channel. */
import { multiplyByQuantizedMultiplier, roundHalfAwayFromZero } from '../../numerics/fixedpoint.js';
import { clamp, type QuantArray } from '../../reference/kernels/common.js';
import type { MeanQuant } from './index.js';

/** TFLite's reference float mean: the sum in float32, H then W, then one float32 division. */
export function meanFloat(x: Float32Array, batch: number, hw: number, channels: number, out: Float32Array): Float32Array {
  for (let b = 0; b < batch; b++) {
    for (let ch = 0; ch < channels; ch++) {
      let acc = 0;
      for (let i = 0; i < hw; i++) acc = Math.fround(acc + x[(b * hw + i) * channels + ch]!);
      out[b * channels + ch] = Math.fround(acc / hw);
    }
  }
  return out;
}

/** TFLite's reference quantized mean along the op's path (see MeanQuant); C's truncating division where TFLite divides integers. */
export function meanQuant(x: QuantArray, batch: number, hw: number, channels: number, q: MeanQuant, qmin: number, qmax: number, out: QuantArray): QuantArray {
  const half = Math.floor(q.divisor / 2);
  for (let b = 0; b < batch; b++) {
    for (let ch = 0; ch < channels; ch++) {
      let acc = 0;
      for (let i = 0; i < hw; i++) acc += x[(b * hw + i) * channels + ch]! - q.inputZeroPoint;
      let y: number;
      if (q.path === 'average') {
        y = Math.trunc(acc / q.divisor);
      } else if (q.path === 'float') {
        const mean = Math.fround(acc / q.divisor);
        y = roundHalfAwayFromZero(Math.fround(Math.fround(mean * q.scale) + q.bias)) + q.offset;
      } else {
        y = multiplyByQuantizedMultiplier(acc, q.multiplier, q.shift);
        if (q.divisor > 1) y = Math.trunc(y > 0 ? (y + half) / q.divisor : (y - half) / q.divisor);
        y += q.offset;
      }
      out[b * channels + ch] = clamp(y, qmin, qmax);
    }
  }
  return out;
}
