/** pad reference kernel: constant padding of an (up to) 4-D tensor. */
import type { TensorData } from '../../model/ir.js';
import { internalError } from '../../model/errors.js';

/** Shape and paddings left-extended to 4-D (missing leading dims are size 1, unpadded). */
export function pad4d(
  shape: readonly number[],
  paddings: readonly (readonly [number, number])[],
): { inShape: [number, number, number, number]; before: [number, number, number, number]; after: [number, number, number, number] } {
  if (shape.length < 1 || shape.length > 4 || paddings.length !== shape.length) {
    throw internalError(`pad4d: shape [${shape.join(', ')}] with ${paddings.length} paddings`);
  }
  const k = 4 - shape.length;
  const inShape = [1, 1, 1, 1] as [number, number, number, number];
  const before = [0, 0, 0, 0] as [number, number, number, number];
  const after = [0, 0, 0, 0] as [number, number, number, number];
  shape.forEach((d, i) => {
    inShape[k + i] = d;
    before[k + i] = paddings[i]![0];
    after[k + i] = paddings[i]![1];
  });
  return { inShape, before, after };
}

/**
 * Writes `x` (shape `shape`) into `out`, surrounded by `padValue`:
 * out[i0+b0, i1+b1, i2+b2, i3+b3] = x[i0, i1, i2, i3]. `out` must have the
 * padded size; works for any typed array (the dtype is the caller's).
 */
export function pad<T extends TensorData>(x: T, shape: readonly number[], paddings: readonly (readonly [number, number])[], padValue: number, out: T): T {
  const { inShape, before, after } = pad4d(shape, paddings);
  const [n, h, w, c] = inShape;
  const oh = before[1] + h + after[1];
  const ow = before[2] + w + after[2];
  const oc = before[3] + c + after[3];
  const on = before[0] + n + after[0];
  if (out.length !== on * oh * ow * oc || x.length !== n * h * w * c) {
    throw internalError(`pad: ${x.length} -> ${out.length} values does not match the paddings`);
  }
  out.fill(padValue);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const src = ((b * h + y) * w + xx) * c;
        const dst = (((b + before[0]) * oh + (y + before[1])) * ow + (xx + before[2])) * oc + before[3];
        for (let k = 0; k < c; k++) out[dst + k] = x[src + k]!;
      }
    }
  }
  return out;
}
