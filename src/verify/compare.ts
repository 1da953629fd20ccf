/**
 * Layer-by-layer comparison of the C's outputs with the reference's.
 * Quantized tensors must match bit for bit; float32 within FLOAT_TOLERANCE
 * relative to the layer's largest magnitude (docs/NUMERICS.md).
 */
import type { DType, TensorData } from '../model/ir.js';
import { fromBytes } from '../util/tensors.js';

/** Per layer: max |c − ref| ≤ FLOAT_TOLERANCE · max(1, max |ref|). */
export const FLOAT_TOLERANCE = 1e-4;

export interface TensorComparison {
  readonly elements: number;
  readonly maxAbsDiff: number;
  /** Elements that differ (quantized) or exceed the tolerance (float). */
  readonly mismatches: number;
  /** The bound used: 0 for quantized tensors. */
  readonly tolerance: number;
}

export function compareTensor(dtype: DType, reference: TensorData, cBytes: Uint8Array): TensorComparison {
  const c = fromBytes(dtype, cBytes);
  if (c.length !== reference.length) {
    return { elements: reference.length, maxAbsDiff: Infinity, mismatches: reference.length, tolerance: 0 };
  }
  let maxRef = 0;
  if (dtype === 'float32') for (let i = 0; i < reference.length; i++) maxRef = Math.max(maxRef, Math.abs(reference[i]!));
  const tolerance = dtype === 'float32' ? FLOAT_TOLERANCE * Math.max(1, maxRef) : 0;
  let maxAbsDiff = 0;
  let mismatches = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = Math.abs(c[i]! - reference[i]!);
    if (!(d <= tolerance)) mismatches++; // NaN counts as a mismatch
    if (d > maxAbsDiff || Number.isNaN(d)) maxAbsDiff = Number.isNaN(d) ? Infinity : d;
  }
  return { elements: reference.length, maxAbsDiff, mismatches, tolerance };
}
