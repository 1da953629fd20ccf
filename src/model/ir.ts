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

/**
 * Fixed-point softmax parameters (TFLite's gemmlowp-based int8/uint8
 * softmax), filled in by the `requantize` pass from beta and the input scale.
 */
export interface SoftmaxQuant {
  readonly inputMultiplier: number;
  readonly inputLeftShift: number;
  readonly diffMin: number;
}

interface OpBase {
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

export interface Conv2DOp extends OpBase {
  readonly kind: 'conv2d';
  /** inputs: [x, filter, bias?] */
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  readonly activation: Activation;
}

export interface DepthwiseConv2DOp extends OpBase {
  readonly kind: 'depthwise_conv2d';
  /** inputs: [x, filter, bias?] */
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  readonly activation: Activation;
  readonly depthMultiplier: number;
}

/** Inference batch norm; only present before the fold pass. */
export interface BatchNormOp extends OpBase {
  readonly kind: 'batch_norm';
  /** inputs: [x, gamma, beta, mean, variance] */
  readonly epsilon: number;
}

/** A standalone activation; only present before the fusion pass (or when nothing precedes it to fuse into). */
export interface ActivationOp extends OpBase {
  readonly kind: 'activation';
  readonly activation: Activation;
}

export interface Pool2DOp extends OpBase {
  readonly kind: 'average_pool2d' | 'max_pool2d';
  readonly filterH: number;
  readonly filterW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  readonly activation: Activation;
}

export interface FullyConnectedOp extends OpBase {
  readonly kind: 'fully_connected';
  /** inputs: [x, weights [O, I], bias?]; x is flattened to [batch, I]. */
  readonly activation: Activation;
}

export interface SoftmaxOp extends OpBase {
  readonly kind: 'softmax';
  readonly beta: number;
  /** Set by the requantize pass when the op is quantized. */
  readonly softmaxQuant?: SoftmaxQuant;
}

/** Same bytes, new shape (the output tensor's). TFLite RESHAPE and SQUEEZE. */
export interface ReshapeOp extends OpBase {
  readonly kind: 'reshape';
}

/**
 * Constant padding of a 4-D NHWC tensor. Quantized tensors pad with the
 * output zero point (real 0), float tensors with 0.
 */
export interface PadOp extends OpBase {
  readonly kind: 'pad';
  /** [before, after] for each of the input's dimensions. */
  readonly paddings: readonly (readonly [number, number])[];
}

/**
 * float32 → int8/uint8 (affine quantization), or int8/uint8 → int8/uint8
 * (requantization: `requant` holds one multiplier/shift, set by the
 * requantize pass).
 */
export interface QuantizeOp extends OpBase {
  readonly kind: 'quantize';
}

/** int8/uint8 → float32: (q − zeroPoint) · scale. */
export interface DequantizeOp extends OpBase {
  readonly kind: 'dequantize';
}

/**
 * TFLite's quantized ADD parameters (left shift 20, each input rescaled to
 * twice the larger input scale, then to the output), set by the requantize pass.
 */
export interface AddQuant {
  readonly leftShift: number;
  readonly input1Multiplier: number;
  readonly input1Shift: number;
  readonly input2Multiplier: number;
  readonly input2Shift: number;
  readonly outputMultiplier: number;
  readonly outputShift: number;
  readonly actMin: number;
  readonly actMax: number;
}

/** Elementwise sum of two tensors of the same shape (no broadcasting). */
export interface AddOp extends OpBase {
  readonly kind: 'add';
  readonly activation: Activation;
  readonly addQuant?: AddQuant;
}

export type Op =
  | Conv2DOp
  | DepthwiseConv2DOp
  | BatchNormOp
  | ActivationOp
  | Pool2DOp
  | FullyConnectedOp
  | SoftmaxOp
  | ReshapeOp
  | PadOp
  | QuantizeOp
  | DequantizeOp
  | AddOp;

export type OpKind = Op['kind'];

export interface Graph {
  /** Model name, used for C identifiers (already sanitized to [A-Za-z0-9_]). */
  readonly name: string;
  readonly tensors: readonly Tensor[];
  /** Topologically ordered. */
  readonly ops: readonly Op[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
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
