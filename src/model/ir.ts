/**
 * The mobilec intermediate representation.
 *
 * Frontends produce a `Graph`; passes return new graphs; the reference
 * interpreter and codegen only read it. Activations are NHWC. Filter layouts
 * follow TensorFlow Lite so an imported `.tflite` needs no transposition:
 *   conv2d            filter [O, KH, KW, I]
 *   depthwise_conv2d  filter [1, KH, KW, I * depthMultiplier]
 *   fully_connected   weights [O, I]
 */

export type DType = 'float32' | 'int8' | 'uint8' | 'int32';

export type TensorData = Float32Array | Int8Array | Uint8Array | Int32Array;

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Readonly<Record<DType, number>> = {
  float32: 4,
  int8: 1,
  uint8: 1,
  int32: 4,
};

/**
 * Affine quantization: real = scale * (q - zeroPoint).
 * Per-tensor when `scale.length === 1`; otherwise one entry per index of
 * dimension `axis`. Scales are float32 values (as stored by TFLite), kept as
 * JS numbers that are exactly representable in float32.
 */
export interface Quantization {
  readonly scale: readonly number[];
  readonly zeroPoint: readonly number[];
  readonly axis: number;
}

export interface Tensor {
  /** Index of this tensor in `Graph.tensors`. */
  readonly id: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Present for every int8/uint8 tensor and for quantized int32 biases. */
  readonly quant?: Quantization;
  /** Present for constants (weights, biases, batch-norm statistics). */
  readonly data?: TensorData;
}

export type Activation = 'none' | 'relu' | 'relu6' | 'relu_n1_to_1';
export type Padding = 'same' | 'valid';

/**
 * Integer requantization of a quantized op's accumulator, filled in by the
 * `requantize` pass: out = clamp(MBQM(acc, multiplier[c], shift[c]) + outZp).
 * `shift` follows TFLite's sign convention: positive = left shift.
 * `actMin`/`actMax` are the fused activation's clamp in the output's integer
 * domain.
 */
export interface Requant {
  readonly multiplier: readonly number[];
  readonly shift: readonly number[];
  readonly actMin: number;
  readonly actMax: number;
}

/** The fields every op has; each op's own interface (in src/ops/<op>/) extends it. */
export interface OpBase {
  readonly name: string;
  /** Tensor ids. Constant operands (filters, biases) are listed here too. */
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /**
   * Set by the requantize pass on quantized conv / depthwise / FC ops and on
   * quantized pooling ops (which use only actMin/actMax; their multiplier
   * and shift arrays are empty).
   */
  readonly requant?: Requant;
}

// Each op's interface lives in its folder (src/ops/<op>/index.ts); the union
// follows from the registry (src/ops/registry.ts). Re-exported here so every
// stage imports the IR from one place.
export type { Op, OpKind } from '../ops/registry.js';
export type { Conv2DOp } from '../ops/conv2d/index.js';
export type { DepthwiseConv2DOp } from '../ops/depthwise_conv2d/index.js';
export type { Pool2DOp } from '../ops/pool2d/index.js';
export type { FullyConnectedOp } from '../ops/fully_connected/index.js';
export type { SoftmaxOp, SoftmaxQuant } from '../ops/softmax/index.js';
export type { ReshapeOp } from '../ops/reshape/index.js';
export type { PadOp } from '../ops/pad/index.js';
export type { QuantizeOp } from '../ops/quantize/index.js';
export type { DequantizeOp } from '../ops/dequantize/index.js';
export type { AddOp, AddQuant } from '../ops/add/index.js';
export type { BatchNormOp } from '../ops/batch_norm/index.js';
export type { ActivationOp } from '../ops/activation/index.js';
export type { MulOp, MulQuant } from '../ops/mul/index.js';
export type { ConcatenationOp, ConcatQuant } from '../ops/concatenation/index.js';
import type { Op } from '../ops/registry.js';
import type { ReshapeOp } from '../ops/reshape/index.js';

/**
 * What the model file looked like, for what a user sees (set by frontends whose layout differs from the
 * IR's NHWC): an ONNX model's layout and its inputs' and outputs' shapes in that layout. The user-facing
 * side keeps it (src/model/layout.ts): the generated C's input and output buffers (invoke transposes at
 * the boundary), the header's shapes, run's raw tensors and images.
 */
export interface ModelSource {
  readonly format: 'onnx';
  readonly layout: 'NCHW';
  readonly inputShapes: readonly (readonly number[])[];
  readonly outputShapes: readonly (readonly number[])[];
}

export interface Graph {
  /** Model name, used for C identifiers (already sanitized to [A-Za-z0-9_]). */
  readonly name: string;
  readonly tensors: readonly Tensor[];
  /** Topologically ordered. */
  readonly ops: readonly Op[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** The model file's own layout and shapes, when they differ from the IR's (ONNX). */
  readonly source?: ModelSource;
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensorBytes(t: Tensor): number {
  return elementCount(t.shape) * DTYPE_BYTES[t.dtype];
}

export function isQuantizedDType(d: DType): d is 'int8' | 'uint8' {
  return d === 'int8' || d === 'uint8';
}

/** The integer range of a quantized dtype. */
export function dtypeRange(d: 'int8' | 'uint8' | 'int32'): [number, number] {
  switch (d) {
    case 'int8':
      return [-128, 127];
    case 'uint8':
      return [0, 255];
    case 'int32':
      return [-2147483648, 2147483647];
  }
}

export function isConstant(t: Tensor): t is Tensor & { data: TensorData } {
  return t.data !== undefined;
}

/** Ops whose outputs are not new values but views of their input. */
export function isAliasOp(op: Op): op is ReshapeOp {
  return op.kind === 'reshape';
}
