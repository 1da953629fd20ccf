/**
 * What an op is: one `OpDef` per op folder (`src/ops/<op>/index.ts`), listed
 * once in `src/ops/registry.ts`. Every stage asks the registry for the op's
 * definition instead of switching on `op.kind`:
 *
 *   frontends  → `tflite` (builtin codes, options → IR op), `description` (JSON layer forms)
 *   IR         → the op's interface (declared in its folder, re-exported by model/ir.ts)
 *   passes     → `validate` (shapes, dtypes), `quantize` (PTQ), `requantize` (integer parameters)
 *   reference  → `run` (the reference kernel)
 *   codegen    → `emit` (the generic C kernel; its template is templates/kernels/<family>.c.hbs)
 *   geometry, cost, inspect → `window`, `macs`
 *
 * An op folder sees each stage only through the context interfaces below
 * (and EmitContext / OpEmission for code generation); the stages implement them.
 */
import type { Activation, Graph, OpBase, Padding, Quantization, Requant, Tensor, TensorData } from '../model/ir.js';
import type { EmitContext, OpEmission } from '../codegen/types.js';
import type { QuantArray, QuantParams } from '../reference/kernels/common.js';
import type { WindowGeometry } from '../model/geometry.js';
import type { Table } from '../frontends/tflite/reader.js';

/** Any IR op: the common fields and a kind. */
export interface AnyOp extends OpBase {
  readonly kind: string;
}

/** The window of a windowed op (conv, depthwise, pooling); geometry.ts derives the rest. */
export interface OpWindow {
  readonly kH: number;
  readonly kW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padding: Padding;
  /** Output channels per input channel (depthwise); 1 otherwise. */
  readonly depthMultiplier: number;
}

/** passes/validate.ts: the op's operands (counts, ids and read-before-write already checked) and the shared checks. */
export interface ValidateContext {
  readonly graph: Graph;
  /** Input 0 (an activation) and the output. */
  readonly x: Tensor;
  readonly y: Tensor;
  /** Input 0 is int8/uint8. */
  readonly quant: boolean;
  /** Weight and bias dtypes that go with the input's. */
  readonly weightDtypes: readonly string[];
  readonly biasDtypes: readonly string[];
  fail(msg: string): never;
  /** Input k, checked to be a constant of one of `dtypes`; undefined when the op has no input k. */
  constant(k: number, what: string, dtypes: readonly string[]): Tensor | undefined;
  need4d(t: Tensor, what: string): void;
  expectShape(t: Tensor, shape: readonly number[], what: string): void;
  /** int8/uint8, one valid scale and zero point. */
  perTensor(t: Tensor, what: string): void;
  /** The window fits input x; the output is [N, OH, OW, channels]. */
  window(kh: number, kw: number, sh: number, sw: number, padding: Padding, channels: number): void;
}

/** passes/quantize.ts (post-training quantization of a float graph). */
export interface QuantizeContext {
  readonly graph: Graph;
  readonly index: number;
  /** The quantization chosen for input 0. */
  readonly xq: Quantization;
  isQuantized(tensorId: number): boolean;
  /** Makes an activation int8 with `q`. */
  setAct(tensorId: number, q: Quantization): void;
  /** Asymmetric int8 parameters of the tensor's calibrated range. */
  rangeQuant(tensorId: number): Quantization;
  /** Per-channel symmetric int8 weights along `axis`; returns their scales. */
  quantizeWeights(tensorId: number, axis: number): readonly number[];
  /** int32 bias with scale[c] = input scale · weight scale[c]. */
  quantizeBias(tensorId: number, weightScales: readonly number[]): void;
  /** A constant operand of an elementwise op (ADD's, MUL's scalar) as per-tensor asymmetric int8 of its range (0 included). */
  quantizeConstant(tensorId: number): Quantization;
}

/** passes/requantize.ts: called only when input 0 and the output are int8/uint8. */
export interface RequantizeContext {
  readonly graph: Graph;
  readonly x: Tensor;
  readonly y: Tensor;
  readonly dtype: 'int8' | 'uint8';
  /** The tensor's (first) scale; an internal error when it has none. */
  scaleOf(t: Tensor): number;
}

type Ctor<T> = { new (n: number): T; name: string };

/** reference/interpreter.ts: operands read, output allocated, dtypes pre-checked. */
export interface RunContext {
  readonly graph: Graph;
  readonly xT: Tensor;
  readonly yT: Tensor;
  /** Input 0's values and the zeroed output array. */
  readonly x: TensorData;
  readonly out: TensorData;
  readonly quantized: boolean;
  /** Input k's values. */
  read(k: number): TensorData;
  /** Input k if the op has it (absent or -1 means none), checked to be a `ctor`. */
  optional<T extends TensorData>(k: number, ctor: Ctor<T>, what: string): T | undefined;
  expect<T extends TensorData>(d: TensorData, ctor: Ctor<T>, what: string): T;
  quantData(d: TensorData, what: string): QuantArray;
  /** Zero points and requant of a weighted op (inputs [x, weights, bias?]). */
  quantParams(): QuantParams;
  requant(): Requant;
  perTensor(t: Tensor, what: string): { scale: number; zeroPoint: number };
  zeroPoint(t: Tensor, what: string): number;
  window(): WindowGeometry;
}

/** frontends/tflite/import.ts: one operator being converted. */
export interface TfliteContext {
  /** The builtin code (one of the mapping's) and the IR op's name. */
  readonly code: number;
  readonly name: string;
  /** TFLite tensor indices of the operator's inputs (-1 = omitted). */
  readonly inputs: readonly number[];
  fail(msg: string): never;
  /** The input count must be in [lo, hi]. */
  arity(lo: number, hi: number): void;
  /** The options table, checked to be of the union type the builtin declares (undefined = absent: defaults). */
  options(): Table | undefined;
  /** IR tensor id of input k / of the output (converted on first use, inputs first). */
  input(k: number): number;
  output(): number;
  /** [x, weights] plus the bias when present. */
  withBias(): number[];
  tensor(id: number): Tensor;
  activation(code: number): Activation;
  padding(code: number): Padding;
  strides(h: number, w: number): void;
  dilation(h: number, w: number): void;
  /** A constant int32/int64 operand (PAD's paddings, MEAN's axes). */
  constInts(k: number, what: string): { shape: number[]; values: number[] };
}

/** A builtin operator (schema.fbs BuiltinOperator) and the BuiltinOptions union member its options table is. */
export interface TfliteBuiltin {
  readonly code: number;
  /** Absent: the importer reads no options for it. */
  readonly options?: { readonly type: number; readonly name: string };
}

export interface TfliteMapping<O extends AnyOp> {
  /** The builtin operators this op imports. */
  readonly builtins: readonly TfliteBuiltin[];
  /** Inputs that may be omitted (-1), e.g. a bias. */
  readonly optionalInputs?: readonly number[];
  convert(ctx: TfliteContext): O;
}

/** frontends/description/build.ts: the graph being built from a layer list. */
export interface DescriptionContext {
  /** Layer name (for op and tensor names). */
  readonly name: string;
  /** The current activation (the previous layer's output, or the output of the layer named by the layer's `input`). */
  readonly x: number;
  shapeOf(id: number): readonly number[];
  /** The output of an earlier layer by its name, or "input" for the model's input (`field` names the referring field in errors): add's, mul's, concat's operands. */
  ref(name: string, field: string): number;
  fail(msg: string): never;
  need4d(): [number, number, number, number];
  /** Output extent of a k×k window, failing when it does not fit. */
  spatial(h: number, w: number, k: number, stride: number, padding: Padding): [number, number];
  /** A new float32 tensor (a constant when `data` is given); returns its id. */
  tensor(name: string, shape: readonly number[], data?: TensorData): number;
  /** The next `count` parameters of the model's weights (`fanIn` scales seeded draws). */
  param(kind: 'filter' | 'bias', count: number, fanIn: number): Float32Array;
  push<O extends AnyOp>(op: O): void;
  /** Batch norm and activation after a conv-like layer; returns the new activation. */
  tail(batchNorm: boolean, activation: Activation, y: number, channels: number): number;
  /** The layer's result becomes the current activation. */
  setOutput(id: number): void;
}

/** One `op` of the description's layer list (JSON Schema branch + graph builder). */
export interface DescriptionForm {
  readonly op: string;
  readonly description: string;
  readonly required: readonly string[];
  /**
   * JSON Schema of each field (besides `op` and `name`). A string names a
   * property schema shared by the layer forms (description/schema.ts:
   * kernel, stride, padding, activation, batchNorm, bias); [name, fields]
   * is that schema with `fields` overridden.
   */
  readonly properties: Readonly<Record<string, string | readonly [string, Record<string, unknown>] | Record<string, unknown>>>;
  build(layer: Record<string, unknown>, ctx: DescriptionContext): void;
}

/** Everything op-specific about one op (or a family of kinds sharing code, e.g. average/max pool). */
export interface OpDef<O extends AnyOp> {
  /** The IR kinds this definition covers. */
  readonly kinds: readonly O['kind'][];
  /** [min, max] input count, constants included. */
  readonly operands: readonly [number, number];
  /**
   * true: the output dtype may differ from input 0's (quantize, dequantize);
   * 'run': validation requires equal dtypes but the reference kernel reports a mismatch itself (reshape).
   */
  readonly convertsDType?: true | 'run';
  validate(op: O, v: ValidateContext): void;
  /** Post-training quantization; every op that can appear in a float graph defines it. */
  quantize(op: O, q: QuantizeContext): void;
  /** Integer parameters of the quantized op; absent: nothing to compute. */
  requantize?(op: O, r: RequantizeContext): O;
  run(op: O, k: RunContext): TensorData;
  /** The generic C kernel; absent: the op must be folded or fused before code generation. */
  emit?(op: O, ctx: EmitContext): OpEmission;
  /** Windowed ops only. */
  window?(op: O, graph: Graph): OpWindow;
  /** Multiply-accumulates (absent: 0). */
  macs?(op: O, graph: Graph): number;
  readonly tflite?: TfliteMapping<O>;
  readonly description?: readonly DescriptionForm[];
}

/** Identity with inference: `export const conv2d = defineOp<Conv2DOp>({ ... })`. */
export function defineOp<O extends AnyOp>(def: OpDef<O>): OpDef<O> {
  return def;
}
