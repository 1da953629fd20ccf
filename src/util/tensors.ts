/** Typed-array helpers shared by verify, run and the tests. */
import type { DType, TensorData } from '../model/ir.js';
import { Prng } from './prng.js';

export function allocate(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'uint8':
      return new Uint8Array(n);
    case 'int32':
      return new Int32Array(n);
  }
}

/** Views raw little-endian bytes as a tensor of `dtype` (copying, so alignment never matters). */
export function fromBytes(dtype: DType, bytes: Uint8Array): TensorData {
  const copy = new Uint8Array(bytes);
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer, 0, copy.length >> 2);
    case 'int8':
      return new Int8Array(copy.buffer);
    case 'uint8':
      return copy;
    case 'int32':
      return new Int32Array(copy.buffer, 0, copy.length >> 2);
  }
}

export function toBytes(t: TensorData): Uint8Array {
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

/**
 * The deterministic input of `--seed n`: uniform over the dtype's range for
 * quantized inputs, uniform in [-1, 1] (the image mapping's range) for float.
 */
export function seededInput(dtype: DType, n: number, seed: number): TensorData {
  const rng = new Prng(seed);
  const t = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'float32':
        t[i] = rng.uniform(-1, 1);
        break;
      case 'int8':
        t[i] = rng.int(-128, 127);
        break;
      case 'uint8':
        t[i] = rng.int(0, 255);
        break;
      case 'int32':
        t[i] = rng.int(-1000, 1000);
        break;
    }
  }
  return t;
}

/** The dtype a typed array holds. */
export function dtypeOfData(d: TensorData): DType {
  if (d instanceof Float32Array) return 'float32';
  if (d instanceof Int8Array) return 'int8';
  if (d instanceof Uint8Array) return 'uint8';
  return 'int32';
}
