/** concatenation reference kernels: inputs joined along the last axis, quantized inputs rescaled to the output's quantization. */
import { roundHalfAwayFromZero } from '../../numerics/fixedpoint.js';
import type { TensorData } from '../../model/ir.js';
import type { ConcatQuant } from './index.js';

/** One rescaled value (see concatenate). */
export function rescaleValue(v: number, scale: number, bias: number, outputZeroPoint: number, range: readonly [number, number]): number {
  const t = Math.fround(Math.fround(v * scale) + bias);
  return Math.min(range[1], Math.max(range[0], roundHalfAwayFromZero(t) + outputZeroPoint));
}

/**
 * The rescale of every 8-bit input value as a 256-entry table indexed by the value's byte (x & 0xff):
 * the generated kernel's lookup, equal to rescaleValue by construction.
 */
export function rescaleTable(scale: number, bias: number, outputZeroPoint: number, range: readonly [number, number]): number[] {
  const signed = range[0] < 0;
  return Array.from({ length: 256 }, (_, b) => rescaleValue(signed && b > 127 ? b - 256 : b, scale, bias, outputZeroPoint, range));
}

/**
 * Joins `inputs` (each `outer` blocks of `channels[k]` values) block by block. Quantized
 * (reference_ops::ConcatenationWithScaling): an input quantized like the output is copied; another is
 * rescaled in float32, y = clamp(trunc(round(fround(fround(x · scale) + bias))) + zpOut) to the dtype
 * range, rounding half away from zero, with scale = fround(sIn · fround(1 / sOut)) and bias = fround(−zpIn · scale).
 */
export function concatenate(
  inputs: readonly TensorData[],
  channels: readonly number[],
  outer: number,
  out: TensorData,
  q?: ConcatQuant,
  range: readonly [number, number] = [0, 0],
): TensorData {
  const total = channels.reduce((a, b) => a + b, 0);
  let base = 0;
  inputs.forEach((x, k) => {
    const c = channels[k]!;
    const p = q?.inputs[k];
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < c; i++) {
        const v = x[o * c + i]!;
        let r = v;
        if (p !== undefined && !p.copy) r = rescaleValue(v, p.scale, p.bias, q!.outputZeroPoint, range);
        out[o * total + base + i] = r;
      }
    }
    base += c;
  });
  return out;
}
