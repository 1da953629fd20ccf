/**
 * A small `.tflite` writer on the flatbuffers Builder: tensors, buffers,
 * quantization, operator codes and operators with their options, following
 * the field order of TFLite's schema.fbs. It exists so tests can make
 * models the shared files do not cover (float models, other heads, broken
 * models); it writes only what the importer reads. The BuiltinOptions union
 * type of each options table comes from the op registry's TFLite mappings.
 */
import { Builder } from 'flatbuffers';
import { ActivationCode, BUILTIN_NAMES, PaddingCode, TFLITE_IDENTIFIER, TensorType } from '../../src/frontends/tflite/schema.js';
import { tfliteBuiltins } from '../../src/ops/registry.js';

export type TensorTypeName = keyof typeof TensorType;
type ActivationName = 'none' | 'relu' | 'relu6' | 'relu_n1_to_1' | 'tanh' | 'sign_bit';

export interface TensorSpec {
  name?: string;
  shape: number[];
  type: TensorTypeName;
  /** Constant data, written little-endian (any typed array; BigInt64Array for INT64). */
  data?: ArrayBufferView;
  quant?: { scale: number[]; zeroPoint?: number[]; quantizedDimension?: number; min?: number[]; max?: number[] };
  /** Buffer index to write instead of the tensor's own (for corrupt-model tests). */
  bufferOverride?: number;
}

export type OptionsSpec =
  | { kind: 'conv2d'; padding?: 'same' | 'valid'; stride?: [number, number]; activation?: ActivationName; dilation?: [number, number] }
  | {
      kind: 'depthwise_conv2d';
      padding?: 'same' | 'valid';
      stride?: [number, number];
      activation?: ActivationName;
      dilation?: [number, number];
      depthMultiplier?: number;
    }
  | { kind: 'pool2d'; padding?: 'same' | 'valid'; stride?: [number, number]; filter: [number, number]; activation?: ActivationName }
  | { kind: 'fully_connected'; activation?: ActivationName; keepNumDims?: boolean; weightsFormat?: number }
  | { kind: 'softmax'; beta?: number }
  | { kind: 'add'; activation?: ActivationName }
  | { kind: 'reshape'; newShape?: number[] }
  | { kind: 'squeeze'; dims?: number[] }
  | { kind: 'reducer'; keepDims?: boolean }
  | { kind: 'mul'; activation?: ActivationName }
  | { kind: 'concatenation'; axis: number; activation?: ActivationName };

export interface OperatorSpec {
  /** Builtin operator name (as in schema.fbs) or code. */
  op: string | number;
  customCode?: string;
  inputs: number[];
  outputs: number[];
  options?: OptionsSpec;
}

export interface ModelSpec {
  tensors: TensorSpec[];
  operators: OperatorSpec[];
  inputs: number[];
  outputs: number[];
  version?: number;
  description?: string;
  /**
   * Store constant data after the flatbuffer, referenced by Buffer.offset /
   * Buffer.size (the layout TFLite uses for models over 2 GB).
   */
  externalBuffers?: boolean;
  /** Write the builtin code only in the deprecated int8 field (old files) rather than both. */
  legacyOpcodes?: boolean;
}

const ACT: Record<ActivationName, number> = {
  none: ActivationCode.NONE,
  relu: ActivationCode.RELU,
  relu6: ActivationCode.RELU6,
  relu_n1_to_1: ActivationCode.RELU_N1_TO_1,
  tanh: ActivationCode.TANH,
  sign_bit: ActivationCode.SIGN_BIT,
};

const pad = (p: 'same' | 'valid' | undefined) => (p === 'valid' ? PaddingCode.VALID : PaddingCode.SAME);

function builtinCode(op: string | number): number {
  if (typeof op === 'number') return op;
  const code = BUILTIN_NAMES.indexOf(op);
  if (code < 0) throw new Error(`buildTflite: unknown builtin operator ${op}`);
  return code;
}

function bytesOf(v: ArrayBufferView): Uint8Array {
  // Typed arrays are little-endian on every platform mobilec runs on (x86-64, Arm).
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function int32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]!);
  return b.endVector();
}

function float32Vector(b: Builder, values: readonly number[]): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addFloat32(values[i]!);
  return b.endVector();
}

function int64Vector(b: Builder, values: readonly number[]): number {
  b.startVector(8, values.length, 8);
  for (let i = values.length - 1; i >= 0; i--) b.addInt64(BigInt(values[i]!));
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]!);
  return b.endVector();
}

function dataVector(b: Builder, data: Uint8Array): number {
  b.startVector(1, data.length, 16); // schema: force_align 16
  for (let i = data.length - 1; i >= 0; i--) b.addInt8(data[i]!);
  return b.endVector();
}

/** The builtin each options kind belongs to: the BuiltinOptions union type is the one its op's registry mapping declares. */
const OPTIONS_OF: Record<OptionsSpec['kind'], string> = {
  conv2d: 'CONV_2D',
  depthwise_conv2d: 'DEPTHWISE_CONV_2D',
  pool2d: 'AVERAGE_POOL_2D',
  fully_connected: 'FULLY_CONNECTED',
  softmax: 'SOFTMAX',
  add: 'ADD',
  reshape: 'RESHAPE',
  squeeze: 'SQUEEZE',
  reducer: 'MEAN',
  mul: 'MUL',
  concatenation: 'CONCATENATION',
};

function optionsType(kind: OptionsSpec['kind']): number {
  const type = tfliteBuiltins().get(builtinCode(OPTIONS_OF[kind]))?.builtin.options?.type;
  if (type === undefined) throw new Error(`buildTflite: no registered op reads ${kind} options`);
  return type;
}

/** Writes the options table; returns [union type, offset]. */
function writeOptions(b: Builder, o: OptionsSpec): [number, number] {
  switch (o.kind) {
    case 'conv2d': {
      b.startObject(7);
      b.addFieldInt8(0, pad(o.padding), null);
      b.addFieldInt32(1, o.stride?.[1] ?? 1, null);
      b.addFieldInt32(2, o.stride?.[0] ?? 1, null);
      b.addFieldInt8(3, ACT[o.activation ?? 'none'], null);
      b.addFieldInt32(4, o.dilation?.[1] ?? 1, 1);
      b.addFieldInt32(5, o.dilation?.[0] ?? 1, 1);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'depthwise_conv2d': {
      b.startObject(7);
      b.addFieldInt8(0, pad(o.padding), null);
      b.addFieldInt32(1, o.stride?.[1] ?? 1, null);
      b.addFieldInt32(2, o.stride?.[0] ?? 1, null);
      b.addFieldInt32(3, o.depthMultiplier ?? 1, null);
      b.addFieldInt8(4, ACT[o.activation ?? 'none'], null);
      b.addFieldInt32(5, o.dilation?.[1] ?? 1, 1);
      b.addFieldInt32(6, o.dilation?.[0] ?? 1, 1);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'pool2d': {
      b.startObject(6);
      b.addFieldInt8(0, pad(o.padding), null);
      b.addFieldInt32(1, o.stride?.[1] ?? 1, null);
      b.addFieldInt32(2, o.stride?.[0] ?? 1, null);
      b.addFieldInt32(3, o.filter[1], null);
      b.addFieldInt32(4, o.filter[0], null);
      b.addFieldInt8(5, ACT[o.activation ?? 'none'], null);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'fully_connected': {
      b.startObject(5);
      b.addFieldInt8(0, ACT[o.activation ?? 'none'], null);
      b.addFieldInt8(1, o.weightsFormat ?? 0, 0);
      b.addFieldInt8(2, o.keepNumDims ? 1 : 0, 0);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'softmax': {
      b.startObject(1);
      b.addFieldFloat32(0, o.beta ?? 1, null);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'add': {
      b.startObject(2);
      b.addFieldInt8(0, ACT[o.activation ?? 'none'], null);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'reshape': {
      const v = o.newShape ? int32Vector(b, o.newShape) : 0;
      b.startObject(1);
      if (v) b.addFieldOffset(0, v, 0);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'squeeze': {
      const v = o.dims ? int32Vector(b, o.dims) : 0;
      b.startObject(1);
      if (v) b.addFieldOffset(0, v, 0);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'reducer': {
      b.startObject(1);
      b.addFieldInt8(0, o.keepDims ? 1 : 0, 0);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'mul': {
      b.startObject(1);
      b.addFieldInt8(0, ACT[o.activation ?? 'none'], null);
      return [optionsType(o.kind), b.endObject()];
    }
    case 'concatenation': {
      b.startObject(2);
      b.addFieldInt32(0, o.axis, null);
      b.addFieldInt8(1, ACT[o.activation ?? 'none'], null);
      return [optionsType(o.kind), b.endObject()];
    }
  }
}

/** One pass of the writer; `external` gives each data buffer's file offset when data lives after the flatbuffer. */
function write(spec: ModelSpec, external: number[] | undefined): Uint8Array {
  const b = new Builder(1024);
  const datas = spec.tensors.map((t) => (t.data ? bytesOf(t.data) : undefined));

  // Buffers: 0 is the empty sentinel, then one per constant tensor.
  const bufferOf: number[] = [];
  const bufferOffsets: number[] = [];
  b.startObject(3);
  bufferOffsets.push(b.endObject());
  datas.forEach((d, i) => {
    if (!d) {
      bufferOf[i] = 0;
      return;
    }
    bufferOf[i] = bufferOffsets.length;
    if (external) {
      b.startObject(3);
      b.addFieldInt64(1, BigInt(external[bufferOffsets.length - 1]!), null);
      b.addFieldInt64(2, BigInt(d.length), null);
    } else {
      const v = dataVector(b, d);
      b.startObject(3);
      b.addFieldOffset(0, v, 0);
    }
    bufferOffsets.push(b.endObject());
  });
  const buffers = offsetVector(b, bufferOffsets);

  const tensors = spec.tensors.map((t, i) => {
    const name = b.createString(t.name ?? `t${i}`);
    const shape = int32Vector(b, t.shape);
    let quant = 0;
    if (t.quant) {
      const q = t.quant;
      const min = q.min ? float32Vector(b, q.min) : 0;
      const max = q.max ? float32Vector(b, q.max) : 0;
      const scale = float32Vector(b, q.scale);
      const zp = int64Vector(b, q.zeroPoint ?? q.scale.map(() => 0));
      b.startObject(7);
      if (min) b.addFieldOffset(0, min, 0);
      if (max) b.addFieldOffset(1, max, 0);
      b.addFieldOffset(2, scale, 0);
      b.addFieldOffset(3, zp, 0);
      b.addFieldInt32(6, q.quantizedDimension ?? 0, 0);
      quant = b.endObject();
    }
    b.startObject(10);
    b.addFieldOffset(0, shape, 0);
    b.addFieldInt8(1, TensorType[t.type], 0);
    b.addFieldInt32(2, t.bufferOverride ?? bufferOf[i]!, 0);
    b.addFieldOffset(3, name, 0);
    if (quant) b.addFieldOffset(4, quant, 0);
    return b.endObject();
  });

  // Operator codes: one per distinct (code, custom name), in first-use order.
  const codeKeys: string[] = [];
  const codeIndex = spec.operators.map((op) => {
    const key = `${builtinCode(op.op)}/${op.customCode ?? ''}`;
    let k = codeKeys.indexOf(key);
    if (k < 0) k = codeKeys.push(key) - 1;
    return k;
  });
  const opcodes = codeKeys.map((key) => {
    const [codeText, custom] = key.split('/') as [string, string];
    const code = Number(codeText);
    const customName = custom ? b.createString(custom) : 0;
    b.startObject(4);
    b.addFieldInt8(0, Math.min(code, 127), 0); // codes past 127 only fit the extended field
    if (customName) b.addFieldOffset(1, customName, 0);
    b.addFieldInt32(2, 1, null);
    if (!spec.legacyOpcodes) b.addFieldInt32(3, code, 0);
    return b.endObject();
  });

  const operators = spec.operators.map((op, i) => {
    const ins = int32Vector(b, op.inputs);
    const outs = int32Vector(b, op.outputs);
    const [optType, opt] = op.options ? writeOptions(b, op.options) : [0, 0];
    b.startObject(13);
    b.addFieldInt32(0, codeIndex[i]!, 0);
    b.addFieldOffset(1, ins, 0);
    b.addFieldOffset(2, outs, 0);
    if (opt) {
      b.addFieldInt8(3, optType, 0);
      b.addFieldOffset(4, opt, 0);
    }
    return b.endObject();
  });

  const tensorsVec = offsetVector(b, tensors);
  const inputs = int32Vector(b, spec.inputs);
  const outputs = int32Vector(b, spec.outputs);
  const opsVec = offsetVector(b, operators);
  const sgName = b.createString('main');
  b.startObject(5);
  b.addFieldOffset(0, tensorsVec, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldOffset(3, opsVec, 0);
  b.addFieldOffset(4, sgName, 0);
  const subgraph = b.endObject();

  const codesVec = offsetVector(b, opcodes);
  const subgraphs = offsetVector(b, [subgraph]);
  const desc = b.createString(spec.description ?? 'mobilec test model');
  b.startObject(8);
  b.addFieldInt32(0, spec.version ?? 3, null);
  b.addFieldOffset(1, codesVec, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, desc, 0);
  b.addFieldOffset(4, buffers, 0);
  const model = b.endObject();
  b.finish(model, TFLITE_IDENTIFIER);
  return b.asUint8Array().slice();
}

/** Serializes a model spec to `.tflite` bytes. */
export function buildTflite(spec: ModelSpec): Uint8Array {
  if (!spec.externalBuffers) return write(spec, undefined);
  const datas = spec.tensors.flatMap((t) => (t.data ? [bytesOf(t.data)] : []));
  // The flatbuffer's size does not depend on the offset values (fixed-width
  // fields), so a first pass with placeholders gives where the data can start.
  const probe = write(
    spec,
    datas.map(() => 2),
  );
  const align = (n: number) => Math.ceil(n / 16) * 16;
  const offsets: number[] = [];
  let at = align(probe.length);
  for (const d of datas) {
    offsets.push(at);
    at = align(at + d.length);
  }
  const head = write(spec, offsets);
  if (head.length !== probe.length) throw new Error('buildTflite: flatbuffer size changed between passes');
  const out = new Uint8Array(at);
  out.set(head, 0);
  datas.forEach((d, i) => {
    out.set(d, offsets[i]!);
  });
  return out;
}
