/** fully_connected reference kernels: x [batch, I], weights [O, I], y [batch, O]. */
import type { Activation } from '../../model/ir.js';
import { floatActivationRange, multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
import { offsetCopy, perChannel, type QuantArray, type QuantParams } from '../../reference/kernels/common.js';

export function fullyConnectedFloat(
  x: Float32Array,
  weights: Float32Array,
  bias: Float32Array | undefined,
  inDepth: number,
  outDepth: number,
  activation: Activation,
  out: Float32Array = new Float32Array((x.length / inDepth) * outDepth),
): Float32Array {
  const [lo, hi] = floatActivationRange(activation);
  const batch = Math.round(x.length / inDepth);
  for (let b = 0; b < batch; b++) {
    const xi = b * inDepth;
    for (let o = 0; o < outDepth; o++) {
      let acc = bias !== undefined ? bias[o]! : 0;
      const wi = o * inDepth;
      for (let i = 0; i < inDepth; i++) acc += x[xi + i]! * weights[wi + i]!;
      out[b * outDepth + o] = acc < lo ? lo : acc > hi ? hi : acc;
    }
  }
  return out;
}

export function fullyConnectedQuant(
  x: QuantArray,
  weights: QuantArray,
  bias: Int32Array | undefined,
  inDepth: number,
  outDepth: number,
  q: QuantParams,
  out: QuantArray,
): QuantArray {
  const xs = offsetCopy(x, q.inputZeroPoint);
  const ws = offsetCopy(weights, q.filterZeroPoint);
  const mult = perChannel(q.multiplier, outDepth, 'fully_connected multiplier');
  const shift = perChannel(q.shift, outDepth, 'fully_connected shift');
  const { outputZeroPoint: yZp, actMin, actMax } = q;
  const batch = Math.round(x.length / inDepth);
  for (let b = 0; b < batch; b++) {
    const xi = b * inDepth;
    for (let o = 0; o < outDepth; o++) {
      let acc = 0;
      const wi = o * inDepth;
      for (let i = 0; i < inDepth; i++) acc += xs[xi + i]! * ws[wi + i]!;
      if (bias !== undefined) acc += bias[o]!;
      const y = multiplyByQuantizedMultiplier(acc | 0, mult[o]!, shift[o]!) + yZp;
      out[b * outDepth + o] = y < actMin ? actMin : y > actMax ? actMax : y;
    }
  }
  return out;
}
