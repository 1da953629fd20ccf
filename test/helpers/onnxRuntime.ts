/**
 * ONNX Runtime (onnxruntime-node, one thread) as the ONNX tests' oracle, and what they share around it:
 * random inputs, the relative error they bound, the NCHW → NHWC of the reference's inputs, and the
 * message of a clean refusal (a MobilecError, exit 2, one line).
 */
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { MobilecError } from '../../src/model/errors.js';
import { Prng } from '../../src/util/prng.js';
import { toNhwc } from './onnxBuilder.js';

/** max |a − b| / max(1, max |b|) */
export function relErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  let m = 1;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    m = Math.max(m, Math.abs(b[i]!));
  }
  return d / m;
}

/** Uniform values in [-1, 1) for a tensor of `shape`. */
export function randomInput(shape: readonly number[], seed: number): Float32Array {
  const rng = new Prng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
}

/** An ONNX Runtime session on one thread, every graph optimization on (ORT's default). */
export async function ortSession(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
}

/** Every output of a session on one float32 input. */
export async function runSession(s: ort.InferenceSession, input: Float32Array, shape: readonly number[]): Promise<Record<string, ort.Tensor>> {
  return s.run({ [s.inputNames[0]!]: new ort.Tensor('float32', input, shape) });
}

/** A model's first output on one float32 input (a session of its own). */
export async function runOrt(bytes: Uint8Array, input: Float32Array, shape: readonly number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const s = await ortSession(bytes);
  const out = (await runSession(s, input, shape))[s.outputNames[0]!]!;
  return { data: out.data as Float32Array, dims: out.dims };
}

/** The reference's (NHWC) view of an ONNX tensor: rank 4 transposed from NCHW, others as they are. */
export const nhwc = (data: Float32Array, shape: readonly number[]) => (shape.length === 4 ? toNhwc(data, shape) : data);

/** The one-line message `f` refuses with (a MobilecError, exit 2); fails the test when `f` accepts. */
export function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MobilecError);
    expect((e as MobilecError).exitCode).toBe(2);
    expect((e as MobilecError).message).not.toContain('\n');
    return (e as MobilecError).message;
  }
  throw new Error('accepted');
}

/**
 * Damage `k` of an ONNX file the way the damaged-file tests do, by form k mod 4: a truncation, 4 bit flips, one
 * 32-bit word overwritten with 0 / all ones / INT32_MAX / INT32_MIN, or `overwrite` (a test's own byte overwrites).
 */
export function damageOnnx(src: Uint8Array, k: number, rng: Prng, overwrite: (b: Uint8Array) => void): Uint8Array {
  const b = Uint8Array.from(src);
  const form = k % 4;
  if (form === 0) return b.subarray(0, rng.int(0, b.length - 1));
  if (form === 1) for (let j = 0; j < 4; j++) b[rng.int(0, b.length - 1)]! ^= 1 << rng.int(0, 7);
  else if (form === 2) {
    const at = rng.int(0, b.length - 4);
    new DataView(b.buffer).setUint32(at, [0, 0xffffffff, 0x7fffffff, 0x80000000][rng.int(0, 3)]!, true);
  } else overwrite(b);
  return b;
}
