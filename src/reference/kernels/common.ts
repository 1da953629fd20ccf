/** Types and helpers shared by the reference kernels. */
import { internalError } from '../../model/errors.js';
export type QuantArray = Int8Array | Uint8Array;

/**
 * Integer requantization parameters of a quantized conv / depthwise / FC.
 * `multiplier`/`shift` have one entry per output channel, or one entry for
 * the whole tensor. `filterZeroPoint` is per tensor (0 for int8 weights).
 */
export interface QuantParams {
  readonly inputZeroPoint: number;
  readonly filterZeroPoint: number;
  readonly outputZeroPoint: number;
  readonly multiplier: readonly number[];
  readonly shift: readonly number[];
  readonly actMin: number;
  readonly actMax: number;
}

/** `data[i] - zeroPoint` as int32, computed once per op so inner loops only multiply. */
export function offsetCopy(data: QuantArray, zeroPoint: number): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! - zeroPoint;
  return out;
}

/** Expand a per-tensor (length 1) or per-channel array to one entry per channel. */
export function perChannel(values: readonly number[], channels: number, what: string): Int32Array {
  const out = new Int32Array(channels);
  if (values.length === 1) {
    out.fill(values[0]!);
  } else if (values.length === channels) {
    for (let c = 0; c < channels; c++) out[c] = values[c]!;
  } else {
    throw internalError(`${what}: expected 1 or ${channels} entries, got ${values.length}`);
  }
  return out;
}
