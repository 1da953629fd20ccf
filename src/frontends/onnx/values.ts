/**
 * The ONNX importer's values and small helpers, shared by its modules: a node's operands are Acts (IR
 * tensors computed at run time, with their ONNX shape) or Consts (known at import, in ONNX's layout);
 * the quantization facts QDQ nodes give them; node attributes read by name (Attrs).
 */
import { OnnxDataType, int64, type AttributeProto, type NodeProto, type TensorProto } from './proto.js';

/** The largest rank the frontend reads (tensors and constants). */
export const MAX_RANK = 6;
/** Integer constants (shapes, pads, indices) are small; a bigger one is refused before it is read. */
export const MAX_INT_CONSTANT = 4096;

/** A value computed at run time: an IR tensor, with its ONNX shape (rank 4: NCHW, the IR tensor NHWC). */
export interface Act {
  readonly kind: 'act';
  readonly id: number;
  readonly shape: readonly number[];
  /** The float view of a quantized tensor through DequantizeLinear (the IR tensor is the quantized one). */
  readonly dq?: boolean;
}

/** A constant known at import: float32 data or integers (INT64 / INT32 / INT8 / UINT8, `type` says which), in ONNX's layout. */
export interface Const {
  readonly kind: 'const';
  readonly name: string;
  readonly shape: readonly number[];
  readonly floats?: Float32Array;
  readonly ints?: readonly number[];
  readonly type?: number;
}

/** A quantized activation's per-tensor parameters (from its QuantizeLinear). */
export interface QParams {
  readonly dtype: 'int8' | 'uint8';
  readonly scale: number;
  readonly zp: number;
}

/** A constant read through DequantizeLinear: its integers (ONNX layout), scales and zero points along ONNX axis `axis`. */
export interface ConstQuant {
  readonly dtype: 'int8' | 'uint8' | 'int32';
  readonly scale: readonly number[];
  readonly zp: readonly number[];
  readonly axis: number;
  readonly ints: readonly number[];
}

export const Q_DTYPES: Readonly<Record<number, 'int8' | 'uint8' | 'int32'>> = {
  [OnnxDataType.INT8]: 'int8',
  [OnnxDataType.UINT8]: 'uint8',
  [OnnxDataType.INT32]: 'int32',
};
export const sameQ = (a: QParams, b: QParams) => a.dtype === b.dtype && a.scale === b.scale && a.zp === b.zp;

export type Value = Act | Const;

export const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
export const product = (s: readonly number[]) => s.reduce((a, b) => Math.min(a * b, Number.MAX_SAFE_INTEGER), 1);

/** NCHW → NHWC for rank 4; other ranks keep their order. */
export function irShape(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0]!, shape[2]!, shape[3]!, shape[1]!] : [...shape];
}

/** True when the IR tensor's element order equals the ONNX value's (a transpose would not move anything). */
export function sameOrder(shape: readonly number[]): boolean {
  return shape.length !== 4 || shape[1] === 1 || shape[2]! * shape[3]! === 1;
}

export interface NodeRef {
  readonly node: NodeProto;
  readonly index: number;
}
/** A node's attributes, read by name with defaults; a wrong type is the node's error. */
export class Attrs {
  constructor(
    private readonly map: ReadonlyMap<string, AttributeProto>,
    private readonly fail: (msg: string) => never,
  ) {}

  has(name: string): boolean {
    return this.map.has(name);
  }

  int(name: string, def: number): number {
    const a = this.map.get(name);
    if (!a) return def;
    const v = int64(a.i);
    if (!Number.isSafeInteger(v)) this.fail(`attribute ${name} is not a valid integer`);
    return v;
  }

  ints(name: string, def: readonly number[]): number[] {
    const a = this.map.get(name);
    if (!a) return [...def];
    if (a.ints.length > 64) this.fail(`attribute ${name} has ${a.ints.length} values`);
    const v = a.ints.map(int64);
    if (v.some((x) => !Number.isSafeInteger(x))) this.fail(`attribute ${name} holds an invalid integer`);
    return v;
  }

  float(name: string, def: number): number {
    const a = this.map.get(name);
    return a ? a.f : def;
  }

  floatList(name: string): number[] {
    return [...(this.map.get(name)?.floats ?? [])];
  }

  string(name: string, def: string): string {
    const a = this.map.get(name);
    return a ? new TextDecoder().decode(a.s) : def;
  }

  tensor(name: string): TensorProto | undefined {
    return this.map.get(name)?.t ?? undefined;
  }
}
