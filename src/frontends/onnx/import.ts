/**
 * The `.onnx` frontend (float32 models, and quantized ones in QDQ form or with
 * QLinearConv / QLinearMatMul: see lowerQdq): an ONNX ModelProto, parsed with
 * protobufjs and the public onnx.proto's field numbers (./proto.ts), → an IR
 * graph. ONNX activations are NCHW, the IR's are NHWC: every rank-4 value
 * lives in the IR transposed ([N, C, H, W] → [N, H, W, C]), filters are
 * transposed from OIHW to the IR's layouts (conv [O, KH, KW, I], depthwise
 * [1, KH, KW, C·M]) and axes are remapped. The frontend keeps each value's
 * ONNX shape next to its IR tensor, and refuses what would need a real
 * transpose of activations (a flatten or reshape of a tensor whose spatial
 * size and channels both exceed 1). The model's own layout and shapes are
 * recorded on the graph (`Graph.source`): the user-facing side (the C's
 * input and output buffers, run's raw tensors and images, the header's
 * shapes) keeps them (src/model/layout.ts).
 *
 * Some ONNX nodes become several IR ops or none (BatchNormalization → the
 * IR's batch_norm, folded into its conv by the passes; HardSigmoid → mul,
 * add with relu6, mul; MatMul + Add → one fully_connected; Identity and
 * Dropout → nothing; Shape, Gather, Unsqueeze, Concat and Constant on
 * constants → folded at import). Anything else is refused with one line
 * naming the file, the node (index, name, op type) and the supported list
 * (exit 2). Every size is checked against the resource budget before it is
 * allocated.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { BudgetTally, DEFAULT_BUDGET, overBudget, type Budget } from '../../model/budget.js';
import { readModelFile } from '../modelFile.js';
import { badInput, type MobilecError } from '../../model/errors.js';
import { paddingBefore } from '../../model/geometry.js';
import type { Activation, Graph, Op, Padding, Tensor } from '../../model/ir.js';
import { compact } from '../../passes/graphUtils.js';
import { sanitizeName } from '../description/index.js';
import type { FrontendResult } from '../types.js';
import {
  OnnxDataType,
  dataTypeName,
  decodeModel,
  int64,
  type AttributeProto,
  type GraphProto,
  type ModelProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './proto.js';

/** The ONNX operators (default domain) mobilec imports, in the order error messages list them. */
export const SUPPORTED_ONNX_OPS: readonly string[] = [
  'Conv',
  'BatchNormalization',
  'Relu',
  'Clip',
  'HardSigmoid',
  'HardSwish',
  'Sigmoid',
  'Add',
  'Mul',
  'GlobalAveragePool',
  'AveragePool',
  'MaxPool',
  'Gemm',
  'MatMul',
  'Flatten',
  'Reshape',
  'Pad',
  'Concat',
  'Identity',
  'Dropout',
  'Softmax',
  'Constant',
  'Shape',
  'Gather',
  'Unsqueeze',
  'QuantizeLinear',
  'DequantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
];

/** The most inputs each operator takes (ONNX's schemas); Concat takes any number. */
const MAX_INPUTS: Readonly<Record<string, number>> = {
  Conv: 3,
  BatchNormalization: 5,
  Relu: 1,
  Clip: 3,
  HardSigmoid: 1,
  HardSwish: 1,
  Sigmoid: 1,
  Add: 2,
  Mul: 2,
  GlobalAveragePool: 1,
  AveragePool: 1,
  MaxPool: 1,
  Gemm: 3,
  MatMul: 2,
  Flatten: 1,
  Reshape: 2,
  Pad: 4,
  Identity: 1,
  Dropout: 3,
  Softmax: 1,
  Constant: 0,
  Shape: 1,
  Gather: 2,
  Unsqueeze: 2,
  QuantizeLinear: 3,
  DequantizeLinear: 3,
  QLinearConv: 9,
  QLinearMatMul: 8,
};

/** The largest rank the frontend reads (tensors and constants). */
const MAX_RANK = 6;
/** Integer constants (shapes, pads, indices) are small; a bigger one is refused before it is read. */
const MAX_INT_CONSTANT = 4096;

/** A value computed at run time: an IR tensor, with its ONNX shape (rank 4: NCHW, the IR tensor NHWC). */
interface Act {
  readonly kind: 'act';
  readonly id: number;
  readonly shape: readonly number[];
  /** The float view of a quantized tensor through DequantizeLinear (the IR tensor is the quantized one). */
  readonly dq?: boolean;
}

/** A constant known at import: float32 data or integers (INT64 / INT32 / INT8 / UINT8, `type` says which), in ONNX's layout. */
interface Const {
  readonly kind: 'const';
  readonly name: string;
  readonly shape: readonly number[];
  readonly floats?: Float32Array;
  readonly ints?: readonly number[];
  readonly type?: number;
}

/** A quantized activation's per-tensor parameters (from its QuantizeLinear). */
interface QParams {
  readonly dtype: 'int8' | 'uint8';
  readonly scale: number;
  readonly zp: number;
}

/** A constant read through DequantizeLinear: its integers (ONNX layout), scales and zero points along ONNX axis `axis`. */
interface ConstQuant {
  readonly dtype: 'int8' | 'uint8' | 'int32';
  readonly scale: readonly number[];
  readonly zp: readonly number[];
  readonly axis: number;
  readonly ints: readonly number[];
}

const Q_DTYPES: Readonly<Record<number, 'int8' | 'uint8' | 'int32'>> = {
  [OnnxDataType.INT8]: 'int8',
  [OnnxDataType.UINT8]: 'uint8',
  [OnnxDataType.INT32]: 'int32',
};
const sameQ = (a: QParams, b: QParams) => a.dtype === b.dtype && a.scale === b.scale && a.zp === b.zp;
/** IR ops with a quantized form the QDQ lowering maps onto (src/ops). */
const QUANTIZABLE = new Set<string>([
  'conv2d',
  'depthwise_conv2d',
  'fully_connected',
  'average_pool2d',
  'max_pool2d',
  'mean',
  'add',
  'mul',
  'concatenation',
  'reshape',
  'pad',
  'softmax',
  'activation',
]);

type Value = Act | Const;

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;
const product = (s: readonly number[]) => s.reduce((a, b) => Math.min(a * b, Number.MAX_SAFE_INTEGER), 1);

/** NCHW → NHWC for rank 4; other ranks keep their order. */
export function irShape(shape: readonly number[]): number[] {
  return shape.length === 4 ? [shape[0]!, shape[2]!, shape[3]!, shape[1]!] : [...shape];
}

/** True when the IR tensor's element order equals the ONNX value's (a transpose would not move anything). */
function sameOrder(shape: readonly number[]): boolean {
  return shape.length !== 4 || shape[1] === 1 || shape[2]! * shape[3]! === 1;
}

export function loadOnnx(path: string, budget: Budget = DEFAULT_BUDGET): FrontendResult {
  return importOnnx(readModelFile(path, budget), path, budget);
}

/** Like loadOnnx, from the file's bytes; `path` names the model, its errors and the directory of external data. */
export function importOnnx(bytes: Uint8Array, path: string, budget: Budget = DEFAULT_BUDGET): FrontendResult {
  const file = basename(path);
  if (bytes.byteLength > budget.maxFileBytes) overBudget(budget, 'maxFileBytes', bytes.byteLength, `${file}: `, 'the file');
  let model: ModelProto;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    throw badInput(`${file}: not a valid ONNX model (${e instanceof Error ? e.message : String(e)})`);
  }
  return { graph: new Importer(model, file, dirname(resolve(path)), sanitizeName(path), budget).graph() };
}

interface NodeRef {
  readonly node: NodeProto;
  readonly index: number;
}

class Importer {
  private readonly g: GraphProto;
  private readonly tally: BudgetTally;
  private readonly opset: number;
  private readonly initializers = new Map<string, TensorProto>();
  private readonly values = new Map<string, Value>();
  private readonly tensors: Tensor[] = [];
  private readonly ops: Op[] = [];
  /** IR tensor id → the kind of the IR op computing it. */
  private readonly producer = new Map<number, string>();
  /** ONNX value name → number of readers (nodes and graph outputs). */
  private readonly uses = new Map<string, number>();
  /** Nodes already mapped as part of an earlier node (MatMul's Add). */
  private readonly absorbed = new Set<number>();
  /** IR tensors that are an NCHW value flattened in NHWC order ([C, H, W] of the value): only a Gemm / MatMul reads them. */
  private readonly flattenedNchw = new Map<number, [number, number, number]>();
  /** Each BatchNormalization and the IR tensor it reads (its conv's output, which nothing else may read). */
  private readonly batchNorms: { r: NodeRef; x: number }[] = [];
  /** QDQ: IR activation tensors quantized by a QuantizeLinear (or a view / activation of one), lowered at the end. */
  private readonly actQuant = new Map<number, QParams>();
  /** QDQ: each DequantizeLinear output that is a constant, by name; `constQuant` the IR constants made from them. */
  private readonly dqConsts = new Map<string, ConstQuant>();
  private readonly constQuant = new Map<number, ConstQuant>();

  constructor(
    model: ModelProto,
    private readonly file: string,
    private readonly dir: string,
    private readonly name: string,
    budget: Budget,
  ) {
    this.tally = new BudgetTally(budget, `${file}: `);
    if (!model.graph) throw this.err('the model has no graph');
    this.g = model.graph;
    const ops = model.opsetImport.filter((o) => o.domain === '' || o.domain === 'ai.onnx');
    this.opset = ops.length > 0 ? int64(ops[0]!.version) : 1;
  }

  private err(msg: string): MobilecError {
    return badInput(`${this.file}: ${msg}`);
  }

  private nodeErr(r: NodeRef, msg: string): MobilecError {
    return this.err(`node ${r.index} '${r.node.name}' (${r.node.opType}): ${msg}`);
  }

  graph(): Graph {
    const g = this.g;
    this.tally.ops(g.node.length);
    for (const t of g.initializer) this.initializers.set(t.name, t);
    for (const n of g.node) for (const i of n.input) if (i !== '') this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of g.output) this.uses.set(o.name, (this.uses.get(o.name) ?? 0) + 1);
    const inputs: number[] = [];
    const inputShapes: number[][] = [];
    for (const vi of g.input) {
      if (this.initializers.has(vi.name)) continue; // IR < 4 lists initializers among the inputs
      const shape = this.inputShape(vi);
      const act = this.newAct(vi.name, shape);
      this.values.set(vi.name, act);
      inputs.push(act.id);
      inputShapes.push(shape);
    }
    if (inputs.length === 0) throw this.err('the graph has no input');
    g.node.forEach((node, index) => {
      if (!this.absorbed.has(index)) this.convert({ node, index });
    });
    const outputs: number[] = [];
    const outputShapes: number[][] = [];
    const floatOut: boolean[] = [];
    for (const vi of g.output) {
      const v = this.values.get(vi.name);
      if (v === undefined) throw this.err(`graph output '${vi.name}' is never computed`);
      if (v.kind !== 'act') throw this.err(`graph output '${vi.name}' is a constant`);
      const declared = vi.type?.tensorType?.shape?.dim;
      if (declared && declared.length > 0) {
        const d = declared.map((x) => (x.dimValue !== undefined && x.dimValue !== null ? int64(x.dimValue) : -1));
        if (d.length !== v.shape.length || d.some((n, k) => n > 0 && n !== v.shape[k])) {
          throw this.err(`graph output '${vi.name}' declares shape ${fmt(d)}, its nodes compute ${fmt(v.shape)}`);
        }
      }
      outputs.push(v.id);
      outputShapes.push([...v.shape]);
      floatOut.push(v.dq === true || !this.actQuant.has(v.id));
    }
    if (outputs.length === 0) throw this.err('the graph has no output');
    // Through Identity or Dropout, a conv's output may have other readers than its BatchNormalization: not foldable.
    for (const { r, x } of this.batchNorms) {
      const readers = this.ops.filter((op) => op.inputs.includes(x)).length + outputs.filter((o) => o === x).length;
      if (readers !== 1) throw this.nodeErr(r, 'is supported only right after a Conv whose output nothing else reads (it is folded into the Conv)');
    }
    if (this.actQuant.size > 0) this.lowerQdq(outputs, floatOut);
    const graph: Graph = {
      name: this.name,
      tensors: this.tensors,
      ops: this.ops,
      inputs,
      outputs,
      source: { format: 'onnx', layout: 'NCHW', inputShapes, outputShapes },
    };
    return compact(graph);
  }

  private inputShape(vi: ValueInfoProto): number[] {
    const tt = vi.type?.tensorType;
    if (!tt) throw this.err(`graph input '${vi.name}' is not a tensor`);
    if (tt.elemType !== OnnxDataType.FLOAT) throw this.err(`graph input '${vi.name}' has type ${dataTypeName(tt.elemType)}; supported: FLOAT`);
    const dims = tt.shape?.dim ?? [];
    const shape = dims.map((d, k) => {
      const n = d.dimValue !== undefined && d.dimValue !== null ? int64(d.dimValue) : 0;
      if (n > 0) return n;
      if (k === 0) return 1; // a symbolic batch: one image
      throw this.err(`graph input '${vi.name}' dimension ${k} is ${d.dimParam ? `symbolic ('${d.dimParam}')` : 'unknown'}; only the batch may be`);
    });
    if (shape.length !== 4 && shape.length !== 2) throw this.err(`graph input '${vi.name}' has shape ${fmt(shape)}; supported: NCHW (rank 4) or [N, K]`);
    return shape;
  }

  // ---- tensors ---------------------------------------------------------------------------------

  private newAct(name: string, shape: readonly number[]): Act {
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 1)) throw this.err(`value '${name}' would have shape ${fmt(shape)}`);
    const id = this.tensors.length;
    this.tally.tensor(`'${name}' ${fmt(shape)} float32`, product(shape), 4, false);
    this.tensors.push({ id, name: name || `t${id}`, shape: irShape(shape), dtype: 'float32' });
    return { kind: 'act', id, shape };
  }

  /** A float32 constant already in the IR's layout. */
  private newConst(name: string, shape: readonly number[], data: Float32Array): number {
    const id = this.tensors.length;
    this.tensors.push({ id, name, shape: [...shape], dtype: 'float32', data });
    const cq = this.dqConsts.get(name);
    if (cq) this.constQuant.set(id, cq);
    return id;
  }

  /** A TensorProto → a constant, its size checked before its data is read. */
  private readTensor(t: TensorProto, where: string): Const {
    const fail = (msg: string): never => {
      throw this.err(`${where}: ${msg}`);
    };
    const shape = t.dims.map(int64);
    if (shape.length > MAX_RANK) fail(`rank ${shape.length} is over the limit of ${MAX_RANK}`);
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`shape ${fmt(shape)} must have non-negative dimensions`);
    const n = product(shape);
    const type = t.dataType;
    const bytes1 = type === OnnxDataType.INT8 || type === OnnxDataType.UINT8;
    const size = type === OnnxDataType.FLOAT || type === OnnxDataType.INT32 ? 4 : type === OnnxDataType.INT64 ? 8 : bytes1 ? 1 : 0;
    if (size === 0) fail(`type ${dataTypeName(type)} is not supported; supported: FLOAT, INT64, INT32, INT8, UINT8`);
    // Quantized weights and biases (INT8, UINT8, INT32 read by DequantizeLinear) are bounded by the budget alone.
    if (type === OnnxDataType.INT64 && n > MAX_INT_CONSTANT) fail(`${n} integers, over the limit of ${MAX_INT_CONSTANT} for an integer constant`);
    this.tally.tensor(`'${t.name}' ${fmt(shape)} ${dataTypeName(type)}`, n, type === OnnxDataType.FLOAT ? 4 : size, true);
    let raw: Uint8Array | undefined;
    if (t.dataLocation === 1) raw = this.external(t, n * size, fail);
    else if (t.rawData && t.rawData.length > 0) raw = t.rawData;
    if (raw !== undefined) {
      if (raw.length !== n * size) fail(`raw data holds ${raw.length} bytes, shape ${fmt(shape)} ${dataTypeName(type)} needs ${n * size}`);
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      if (type === OnnxDataType.FLOAT) {
        const floats = new Float32Array(n);
        for (let i = 0; i < n; i++) floats[i] = view.getFloat32(4 * i, true);
        return { kind: 'const', name: t.name, shape, floats };
      }
      const ints: number[] = [];
      for (let i = 0; i < n; i++)
        ints.push(
          type === OnnxDataType.INT8
            ? view.getInt8(i)
            : type === OnnxDataType.UINT8
              ? view.getUint8(i)
              : size === 4
                ? view.getInt32(4 * i, true)
                : Number(view.getBigInt64(8 * i, true)),
        );
      return { kind: 'const', name: t.name, shape, ints, type };
    }
    const int32Field = type === OnnxDataType.INT32 || bytes1; // ONNX keeps INT8 / UINT8 in int32_data
    const have = type === OnnxDataType.FLOAT ? t.floatData.length : int32Field ? t.int32Data.length : t.int64Data.length;
    if (have !== n) fail(`holds ${have} values, shape ${fmt(shape)} needs ${n}`);
    if (type === OnnxDataType.FLOAT) return { kind: 'const', name: t.name, shape, floats: Float32Array.from(t.floatData) };
    if (bytes1) {
      const [lo, hi] = type === OnnxDataType.INT8 ? [-128, 127] : [0, 255];
      if (t.int32Data.some((v) => v < lo || v > hi)) fail(`holds a value outside the ${dataTypeName(type)} range [${lo}, ${hi}]`);
    }
    return { kind: 'const', name: t.name, shape, ints: int32Field ? [...t.int32Data] : t.int64Data.map(int64), type };
  }

  /** External data (location, offset, length) from a file next to the model, never outside its directory. */
  private external(t: TensorProto, bytes: number, fail: (msg: string) => never): Uint8Array {
    const kv = new Map(t.externalData.map((e) => [e.key, e.value]));
    const location = kv.get('location');
    if (!location) fail('external data names no location');
    const path = resolve(this.dir, location!);
    const rel = relative(this.dir, path);
    if (rel.startsWith('..') || isAbsolute(rel)) fail(`external data '${location}' is outside the model's directory`);
    const offset = kv.has('offset') ? Number(kv.get('offset')) : 0;
    const length = kv.has('length') ? Number(kv.get('length')) : bytes;
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) fail('external data has an invalid offset or length');
    if (length !== bytes) fail(`external data holds ${length} bytes, the tensor needs ${bytes}`);
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (e) {
      return fail(`cannot read external data '${location}' (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    try {
      if (offset + length > fstatSync(fd).size) fail(`external data '${location}' is shorter than offset ${offset} + length ${length}`);
      const buf = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const got = readSync(fd, buf, done, length - done, offset + done);
        if (got <= 0) fail(`external data '${location}' ended early`);
        done += got;
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }

  // ---- operands --------------------------------------------------------------------------------

  private value(r: NodeRef, k: number): Value {
    const name = r.node.input[k];
    if (name === undefined || name === '') throw this.nodeErr(r, `input ${k} is missing`);
    const have = this.values.get(name);
    if (have) return have;
    const init = this.initializers.get(name);
    if (init) {
      const c = this.readTensor(init, `initializer '${name}'`);
      this.values.set(name, c);
      return c;
    }
    throw this.nodeErr(r, `input ${k} ('${name}') is not computed before this node (nodes out of order, or a cycle)`);
  }

  private has(r: NodeRef, k: number): boolean {
    return (r.node.input[k] ?? '') !== '';
  }

  private act(r: NodeRef, k: number, rank?: number): Act {
    const v = this.value(r, k);
    if (v.kind !== 'act') throw this.nodeErr(r, `input ${k} ('${v.name}') is a constant; supported: a computed tensor`);
    if (rank !== undefined && v.shape.length !== rank) throw this.nodeErr(r, `input ${k} has shape ${fmt(v.shape)}; supported: rank ${rank}`);
    return v;
  }

  private floats(r: NodeRef, k: number, what: string): Const & { floats: Float32Array } {
    const v = this.value(r, k);
    if (v.kind !== 'const' || v.floats === undefined) throw this.nodeErr(r, `${what} (input ${k}) must be a FLOAT constant`);
    return v as Const & { floats: Float32Array };
  }

  private ints(r: NodeRef, k: number, what: string): Const & { ints: readonly number[] } {
    const v = this.value(r, k);
    if (v.kind !== 'const' || v.ints === undefined) throw this.nodeErr(r, `${what} (input ${k}) must be an INT64 constant computed at import`);
    return v as Const & { ints: readonly number[] };
  }

  private scalar(r: NodeRef, k: number, what: string): number {
    const c = this.floats(r, k, what);
    if (c.floats.length !== 1) throw this.nodeErr(r, `${what} must be a scalar, has shape ${fmt(c.shape)}`);
    return c.floats[0]!;
  }

  private attrs(r: NodeRef, allowed: readonly string[]): Attrs {
    const map = new Map<string, AttributeProto>();
    for (const a of r.node.attribute) {
      if (a.refAttrName) throw this.nodeErr(r, `attribute ${a.name} refers to a function attribute`);
      if (!allowed.includes(a.name)) throw this.nodeErr(r, `attribute ${a.name} is not supported; supported: ${allowed.join(', ') || 'none'}`);
      map.set(a.name, a);
    }
    return new Attrs(map, (msg) => {
      throw this.nodeErr(r, msg);
    });
  }

  private define(r: NodeRef, v: Value, k = 0): void {
    const name = r.node.output[k];
    if (name === undefined || name === '') throw this.nodeErr(r, `output ${k} is missing`);
    if (this.values.has(name) || this.initializers.has(name)) throw this.nodeErr(r, `output '${name}' is already defined (a duplicate write)`);
    this.values.set(name, v);
  }

  /** The node's one output: extra outputs (BN's statistics, Dropout's mask, MaxPool's indices) must be absent or unread. */
  private out(r: NodeRef, shape: readonly number[]): Act {
    r.node.output.slice(1).forEach((o, k) => {
      if (o !== '' && (this.uses.get(o) ?? 0) > 0) throw this.nodeErr(r, `output ${k + 1} ('${o}') is read; only output 0 is supported`);
    });
    const name = r.node.output[0] ?? '';
    const a = this.newAct(name, shape);
    this.define(r, a);
    return a;
  }

  private push(op: Op): void {
    this.ops.push(op);
    this.producer.set(op.outputs[0]!, op.kind);
  }

  private opName(r: NodeRef, suffix = ''): string {
    return `${r.index}_${r.node.opType}${suffix}`;
  }

  // ---- nodes -----------------------------------------------------------------------------------

  private convert(r: NodeRef): void {
    const { node } = r;
    if (node.domain !== '' && node.domain !== 'ai.onnx') {
      throw this.err(`node ${r.index} '${node.name}' (${node.domain}.${node.opType}) is not supported; supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    }
    const most = Object.hasOwn(MAX_INPUTS, node.opType) ? MAX_INPUTS[node.opType] : undefined;
    if (most !== undefined && node.input.length > most) throw this.nodeErr(r, `has ${node.input.length} inputs; at most ${most}`);
    if (!['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul'].includes(node.opType)) {
      node.input.forEach((name, k) => {
        const v = this.values.get(name);
        if (v?.kind === 'act' && !v.dq && this.actQuant.has(v.id))
          throw this.nodeErr(r, `input ${k} ('${name}') is a QuantizeLinear's integer output; supported: read through DequantizeLinear`);
        if (v?.kind === 'const' && v.type !== undefined && v.type !== OnnxDataType.INT64 && v.type !== OnnxDataType.INT32)
          throw this.nodeErr(r, `input ${k} ('${name}') is a ${dataTypeName(v.type)} constant; supported: read through DequantizeLinear`);
      });
    }
    switch (node.opType) {
      case 'QuantizeLinear':
        this.quantizeLinear(r);
        return;
      case 'DequantizeLinear':
        this.dequantizeLinear(r);
        return;
      case 'QLinearConv':
        this.qlinear(r, 'Conv');
        return;
      case 'QLinearMatMul':
        this.qlinear(r, 'MatMul');
        return;
      case 'Conv':
        this.conv(r);
        return;
      case 'BatchNormalization':
        this.batchNorm(r);
        return;
      case 'Relu':
        this.attrs(r, []);
        this.activation(r, 'relu');
        return;
      case 'Clip':
        this.clip(r);
        return;
      case 'HardSigmoid':
        this.hardSigmoid(r);
        return;
      case 'HardSwish':
      case 'Sigmoid': {
        this.attrs(r, []);
        const x = this.act(r, 0);
        const y = this.out(r, x.shape);
        this.push(
          node.opType === 'HardSwish'
            ? { kind: 'hard_swish', name: this.opName(r), inputs: [x.id], outputs: [y.id] }
            : { kind: 'logistic', name: this.opName(r), inputs: [x.id], outputs: [y.id] },
        );
        return;
      }
      case 'Add':
      case 'Mul':
        this.binary(r);
        return;
      case 'GlobalAveragePool': {
        this.attrs(r, []);
        const x = this.act(r, 0, 4);
        const y = this.out(r, [x.shape[0]!, x.shape[1]!, 1, 1]);
        this.push({ kind: 'mean', name: this.opName(r), inputs: [x.id], outputs: [y.id], keepDims: true, axes: [1, 2] });
        return;
      }
      case 'AveragePool':
      case 'MaxPool':
        this.pool(r);
        return;
      case 'Gemm':
        this.gemm(r);
        return;
      case 'MatMul':
        this.matmul(r);
        return;
      case 'Flatten':
        this.flatten(r);
        return;
      case 'Reshape':
        this.reshape(r);
        return;
      case 'Pad':
        this.pad(r);
        return;
      case 'Concat':
        this.concat(r);
        return;
      case 'Identity':
      case 'Dropout': {
        this.attrs(r, node.opType === 'Dropout' ? ['ratio', 'seed', 'is_test'] : []);
        if (node.opType === 'Dropout' && this.has(r, 2)) {
          const t = this.value(r, 2);
          if (t.kind !== 'const' || (t.ints ?? [0]).some((b) => b !== 0)) throw this.nodeErr(r, 'training_mode must be a constant false');
        }
        r.node.output.slice(1).forEach((o) => {
          if (o !== '' && (this.uses.get(o) ?? 0) > 0) throw this.nodeErr(r, `output '${o}' (the mask) is read; only output 0 is supported`);
        });
        this.define(r, this.value(r, 0));
        return;
      }
      case 'Softmax':
        this.softmax(r);
        return;
      case 'Constant':
        this.constant(r);
        return;
      case 'Shape':
        this.shapeOf(r);
        return;
      case 'Gather':
        this.gather(r);
        return;
      case 'Unsqueeze':
        this.unsqueeze(r);
        return;
      default:
        throw this.err(`node ${r.index} '${node.name}' (${node.opType}) is not supported; supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
    }
  }

  /**
   * The spatial window of a Conv or pool: per axis the ONNX pads and output extent (auto_pad resolved),
   * then the IR's form: 'valid' (no padding), 'same' (TFLite's SAME reads the same pixels: equal output
   * extent and leading pad) or explicit pads for a PAD op in front.
   */
  private window(r: NodeRef, a: Attrs, x: Act, k: readonly [number, number], ceil = false) {
    const strides = a.ints('strides', [1, 1]);
    if (strides.length !== 2 || strides.some((s) => !Number.isSafeInteger(s) || s < 1))
      throw this.nodeErr(r, `strides ${fmt(strides)} must be two positive integers`);
    const dil = a.ints('dilations', [1, 1]);
    if (dil.some((d) => d !== 1)) throw this.nodeErr(r, `dilations ${fmt(dil)} are not supported (only 1)`);
    const autoPad = a.string('auto_pad', 'NOTSET');
    const pads = a.ints('pads', [0, 0, 0, 0]);
    if (pads.length !== 4 || pads.some((p) => !Number.isSafeInteger(p) || p < 0)) throw this.nodeErr(r, `pads ${fmt(pads)} must be four non-negative integers`);
    const axes = [0, 1].map((i) => {
      const n = x.shape[2 + i]!;
      const kk = k[i]!;
      const s = strides[i]!;
      let before: number;
      let after: number;
      let out: number;
      if (autoPad === 'NOTSET') {
        [before, after] = [pads[i]!, pads[i + 2]!];
        const span = n + before + after - kk;
        out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
        if (ceil && out !== Math.floor(span / s) + 1) throw this.nodeErr(r, 'ceil_mode 1 changes the output size here; supported: ceil_mode 0');
      } else if (autoPad === 'VALID') {
        [before, after] = [0, 0];
        out = Math.floor((n - kk) / s) + 1;
      } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
        out = Math.ceil(n / s);
        const total = Math.max((out - 1) * s + kk - n, 0);
        before = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
        after = total - before;
      } else {
        throw this.nodeErr(r, `auto_pad ${autoPad} is not supported; supported: NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
      }
      if (!(out >= 1) || kk > n + before + after) throw this.nodeErr(r, `window ${kk} with pads ${before}, ${after} does not fit the input extent ${n}`);
      const same = out === Math.ceil(n / s) && before === paddingBefore(n, out, kk, s, 'same');
      return { before, after, out, s, same, zero: before === 0 && after === 0 };
    });
    const padding: Padding | 'explicit' = axes.every((v) => v.zero) ? 'valid' : axes.every((v) => v.same) ? 'same' : 'explicit';
    return { padding, axes, strideH: axes[0]!.s, strideW: axes[1]!.s, outH: axes[0]!.out, outW: axes[1]!.out };
  }

  /** A PAD op (zeros) in front of a windowed op whose pads the IR's SAME cannot express. */
  private padBefore(r: NodeRef, x: Act, axes: readonly { before: number; after: number }[]): Act {
    const [h, w] = axes as [{ before: number; after: number }, { before: number; after: number }];
    const shape = [x.shape[0]!, x.shape[1]!, x.shape[2]! + h.before + h.after, x.shape[3]! + w.before + w.after];
    const y = this.newAct(`${r.node.output[0]}_pad`, shape);
    this.push({
      kind: 'pad',
      name: this.opName(r, '_pad'),
      inputs: [x.id],
      outputs: [y.id],
      paddings: [
        [0, 0],
        [h.before, h.after],
        [w.before, w.after],
        [0, 0],
      ],
    });
    return y;
  }

  private conv(r: NodeRef): void {
    const a = this.attrs(r, ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides']);
    const x = this.act(r, 0, 4);
    const w = this.floats(r, 1, 'the weights');
    if (w.shape.length !== 4) throw this.nodeErr(r, `weights have shape ${fmt(w.shape)}; supported: OIHW (2-D convolution)`);
    const [o, ig, kh, kw] = w.shape as [number, number, number, number];
    const c = x.shape[1]!;
    const group = a.int('group', 1);
    const depthwise = group !== 1;
    if (group === 1) {
      if (ig !== c) throw this.nodeErr(r, `weights ${fmt(w.shape)} read ${ig} channels, the input has ${c}`);
    } else if (group !== c || ig !== 1 || o % c !== 0) {
      throw this.nodeErr(r, `group ${group} is not supported with weights ${fmt(w.shape)} on ${c} channels; supported: 1, or the input's channels (depthwise)`);
    }
    this.weightAxis(r, w.name, 0, 'OIHW axis 0 (the output channels)');
    const ks = a.ints('kernel_shape', [kh, kw]);
    if (ks.length !== 2 || ks[0] !== kh || ks[1] !== kw) throw this.nodeErr(r, `kernel_shape ${fmt(ks)} differs from the weights' ${fmt([kh, kw])}`);
    let bias: number | undefined;
    if (this.has(r, 2)) {
      const b = this.floats(r, 2, 'the bias');
      if (b.floats.length !== o) throw this.nodeErr(r, `bias has shape ${fmt(b.shape)}, expected [${o}]`);
      this.tally.check(`'${b.name}'`, o, 4);
      bias = this.newConst(b.name, [o], Float32Array.from(b.floats));
    }
    const win = this.window(r, a, x, [kh, kw]);
    const input = win.padding === 'explicit' ? this.padBefore(r, x, win.axes) : x;
    const padding: Padding = win.padding === 'same' ? 'same' : 'valid';
    const src = w.floats;
    const dst = new Float32Array(src.length);
    if (depthwise) {
      // [C·M, 1, KH, KW] → [1, KH, KW, C·M]: ONNX output channel g·M + m is the IR's channel c·M + m.
      for (let oc = 0; oc < o; oc++) for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) dst[(y * kw + xx) * o + oc] = src[(oc * kh + y) * kw + xx]!;
    } else {
      // OIHW → OHWI
      for (let oc = 0; oc < o; oc++)
        for (let i = 0; i < ig; i++)
          for (let y = 0; y < kh; y++) for (let xx = 0; xx < kw; xx++) dst[((oc * kh + y) * kw + xx) * ig + i] = src[((oc * ig + i) * kh + y) * kw + xx]!;
    }
    const filter = this.newConst(w.name, depthwise ? [1, kh, kw, o] : [o, kh, kw, ig], dst);
    const y = this.out(r, [x.shape[0]!, o, win.outH, win.outW]);
    const common = {
      name: this.opName(r),
      inputs: bias === undefined ? [input.id, filter] : [input.id, filter, bias],
      outputs: [y.id],
      strideH: win.strideH,
      strideW: win.strideW,
      padding,
      activation: 'none' as const,
    };
    this.push(depthwise ? { kind: 'depthwise_conv2d', ...common, depthMultiplier: o / c } : { kind: 'conv2d', ...common });
  }

  /** Per-channel quantized weights (through DequantizeLinear) must be quantized along the output axis. */
  private weightAxis(r: NodeRef, name: string, axis: number, what: string): void {
    const cq = this.dqConsts.get(name);
    if (cq && cq.scale.length > 1 && cq.axis !== axis)
      throw this.nodeErr(r, `weights '${name}' are quantized per channel along axis ${cq.axis}; supported: per tensor, or ${what}`);
  }

  private batchNorm(r: NodeRef): void {
    const a = this.attrs(r, ['epsilon', 'momentum', 'training_mode', 'spatial']);
    if (a.int('training_mode', 0) !== 0) throw this.nodeErr(r, 'training_mode 1 is not supported (inference only)');
    if (a.int('spatial', 1) !== 1) throw this.nodeErr(r, 'spatial 0 is not supported');
    const x = this.act(r, 0, 4);
    const kind = this.producer.get(x.id);
    if ((kind !== 'conv2d' && kind !== 'depthwise_conv2d') || (this.uses.get(r.node.input[0]!) ?? 0) !== 1) {
      throw this.nodeErr(r, 'is supported only right after a Conv whose output nothing else reads (it is folded into the Conv)');
    }
    const c = x.shape[1]!;
    const params = ['scale', 'B', 'mean', 'var'].map((what, k) => {
      const p = this.floats(r, k + 1, what);
      if (p.floats.length !== c) throw this.nodeErr(r, `${what} has shape ${fmt(p.shape)}, expected [${c}]`);
      return this.newConst(p.name, [c], Float32Array.from(p.floats));
    });
    this.batchNorms.push({ r, x: x.id });
    const epsilon = a.float('epsilon', 1e-5);
    if (!(epsilon >= 0 && Number.isFinite(epsilon))) throw this.nodeErr(r, `epsilon ${epsilon} must be finite and non-negative`);
    const variance = this.tensors[params[3]!]!.data as Float32Array;
    variance.forEach((v, k) => {
      if (!(v + epsilon > 0)) throw this.nodeErr(r, `var[${k}] + epsilon = ${v + epsilon} must be positive`);
    });
    const y = this.out(r, x.shape);
    this.push({ kind: 'batch_norm', name: this.opName(r), inputs: [x.id, ...params], outputs: [y.id], epsilon });
  }

  private activation(r: NodeRef, activation: Activation): void {
    const x = this.act(r, 0);
    const y = this.out(r, x.shape);
    this.push({ kind: 'activation', name: this.opName(r), inputs: [x.id], outputs: [y.id], activation });
  }

  private clip(r: NodeRef): void {
    const a = this.attrs(r, ['min', 'max']);
    // Opset 6's defaults are ±FLT_MAX: as good as infinite.
    const inf = (v: number) => (v <= -3.4e38 ? Number.NEGATIVE_INFINITY : v >= 3.4e38 ? Number.POSITIVE_INFINITY : v);
    const lo = inf(this.has(r, 1) ? this.scalar(r, 1, 'min') : a.float('min', Number.NEGATIVE_INFINITY));
    const hi = inf(this.has(r, 2) ? this.scalar(r, 2, 'max') : a.float('max', Number.POSITIVE_INFINITY));
    const act: Activation | undefined =
      lo === 0 && hi === 6 ? 'relu6' : lo === 0 && hi === Number.POSITIVE_INFINITY ? 'relu' : lo === -1 && hi === 1 ? 'relu_n1_to_1' : undefined;
    if (lo === Number.NEGATIVE_INFINITY && hi === Number.POSITIVE_INFINITY) {
      this.define(r, this.act(r, 0));
      return;
    }
    if (act === undefined) throw this.nodeErr(r, `range [${lo}, ${hi}] is not supported; supported: [0, 6], [0, inf), [-1, 1]`);
    this.activation(r, act);
  }

  /** max(0, min(1, αx + β)) = relu6(6αx + 6β) / 6: mul, add with relu6, mul. */
  private hardSigmoid(r: NodeRef): void {
    const a = this.attrs(r, ['alpha', 'beta']);
    const alpha = a.float('alpha', 0.2);
    const beta = a.float('beta', 0.5);
    const x = this.act(r, 0);
    const name = r.node.output[0] ?? '';
    // PyTorch's Hardswish before opset 14: x · HardSigmoid(x; 1/6, 1/2) is one hard_swish.
    if (Math.fround(alpha) === Math.fround(1 / 6) && beta === 0.5 && (this.uses.get(name) ?? 0) === 1) {
      const next = this.g.node.findIndex((n, i) => i > r.index && n.input.includes(name));
      const mul = this.g.node[next];
      const xName = r.node.input[0]!;
      if (
        mul &&
        mul.opType === 'Mul' &&
        (mul.domain === '' || mul.domain === 'ai.onnx') &&
        mul.attribute.length === 0 &&
        mul.input.length === 2 &&
        mul.input.includes(xName) &&
        mul.output.length === 1 &&
        mul.output[0]
      ) {
        this.absorbed.add(next);
        const y = this.newAct(mul.output[0], x.shape);
        if (this.values.has(mul.output[0])) throw this.nodeErr({ node: mul, index: next }, `output '${mul.output[0]}' is already defined (a duplicate write)`);
        this.values.set(mul.output[0], y);
        this.push({ kind: 'hard_swish', name: this.opName(r), inputs: [x.id], outputs: [y.id] });
        return;
      }
    }
    const k = (v: number, what: string) => this.newConst(`${name}_${what}`, [1], Float32Array.of(v));
    const t1 = this.newAct(`${name}_scaled`, x.shape);
    this.push({ kind: 'mul', name: this.opName(r, '_mul'), inputs: [x.id, k(6 * alpha, 'alpha6')], outputs: [t1.id], activation: 'none' });
    const t2 = this.newAct(`${name}_relu6`, x.shape);
    this.push({ kind: 'add', name: this.opName(r, '_add'), inputs: [t1.id, k(6 * beta, 'beta6')], outputs: [t2.id], activation: 'relu6' });
    const y = this.out(r, x.shape);
    this.push({ kind: 'mul', name: this.opName(r), inputs: [t2.id, k(1 / 6, 'sixth')], outputs: [y.id], activation: 'none' });
  }

  private binary(r: NodeRef): void {
    this.attrs(r, []);
    const kind = r.node.opType === 'Add' ? 'add' : 'mul';
    let a = this.value(r, 0);
    let b = this.value(r, 1);
    if (a.kind === 'const' && b.kind === 'const') throw this.nodeErr(r, 'both inputs are constants; supported: at least one computed tensor');
    if (a.kind === 'const') [a, b] = [b, a]; // commutative: the IR's input 0 is computed
    const x = a as Act;
    let other: number;
    let shape: readonly number[];
    if (b.kind === 'act') {
      if (b.shape.length !== x.shape.length) throw this.nodeErr(r, `inputs of shapes ${fmt(x.shape)} and ${fmt(b.shape)} differ in rank`);
      other = b.id;
      shape = x.shape.map((d, k) => Math.max(d, b.shape[k]!));
    } else {
      const c = b;
      if (c.floats === undefined) throw this.nodeErr(r, `constant '${c.name}' must be FLOAT`);
      const dims = [...c.shape];
      while (dims.length > 0 && dims[0] === 1) dims.shift();
      const n = c.floats.length;
      let irDims: number[];
      if (n === 1) irDims = [1];
      else if (x.shape.length === 4 && dims.length === 3 && dims[0] === x.shape[1] && dims[1] === 1 && dims[2] === 1) irDims = [n];
      else if (x.shape.length !== 4 && c.shape.length <= x.shape.length && dims.every((d, k) => d === x.shape[x.shape.length - dims.length + k])) irDims = dims;
      else
        throw this.nodeErr(
          r,
          `constant '${c.name}' of shape ${fmt(c.shape)} is not supported with input ${fmt(x.shape)}; supported: a scalar or one value per channel`,
        );
      if (c.shape.length > x.shape.length)
        throw this.nodeErr(r, `constant '${c.name}' of shape ${fmt(c.shape)} has a higher rank than the input ${fmt(x.shape)}`);
      other = this.newConst(c.name, irDims, Float32Array.from(c.floats));
      shape = x.shape;
    }
    const y = this.out(r, shape);
    this.push({ kind, name: this.opName(r), inputs: [x.id, other], outputs: [y.id], activation: 'none' });
  }

  private pool(r: NodeRef): void {
    const max = r.node.opType === 'MaxPool';
    const a = this.attrs(
      r,
      max
        ? ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides']
        : ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    );
    const x = this.act(r, 0, 4);
    const ks = a.ints('kernel_shape', []);
    if (ks.length !== 2 || ks.some((k) => !Number.isSafeInteger(k) || k < 1)) throw this.nodeErr(r, `kernel_shape ${fmt(ks)} must be two positive integers`);
    if (a.int('storage_order', 0) !== 0) throw this.nodeErr(r, 'storage_order 1 is not supported');
    const win = this.window(r, a, x, [ks[0]!, ks[1]!], a.int('ceil_mode', 0) === 1);
    const countPads = a.int('count_include_pad', 0) === 1;
    let input = x;
    let padding: Padding;
    if (win.padding === 'valid') padding = 'valid';
    else if (!max && countPads) {
      input = this.padBefore(r, x, win.axes); // the padded zeros count in the average
      padding = 'valid';
    } else if (win.padding === 'same') padding = 'same';
    else
      throw this.nodeErr(
        r,
        `pads ${fmt(win.axes.map((v) => v.before).concat(win.axes.map((v) => v.after)))} are not supported here; supported: none, or the SAME_UPPER form${max ? '' : ' (or count_include_pad 1)'}`,
      );
    const y = this.out(r, [x.shape[0]!, x.shape[1]!, win.outH, win.outW]);
    this.push({
      kind: max ? 'max_pool2d' : 'average_pool2d',
      name: this.opName(r),
      inputs: [input.id],
      outputs: [y.id],
      filterH: ks[0]!,
      filterW: ks[1]!,
      strideH: win.strideH,
      strideW: win.strideW,
      padding,
      activation: 'none',
    });
  }

  /** A fully connected op from weights [O, K] (already in the IR's layout) and a bias of O values. */
  private fc(r: NodeRef, x: Act, o: number, w: Float32Array, wName: string, bias: Float32Array | undefined, bName: string, outName?: string): void {
    const k = x.shape[1]!;
    this.tally.check(`'${wName}'`, o * k, 4);
    const chw = this.flattenedNchw.get(x.id);
    if (chw !== undefined) {
      // Column c·H·W + p of the ONNX weights reads what the IR's flattened NHWC holds at p·C + c.
      const [c, h, ww] = chw;
      const hw = h * ww;
      const src = Float32Array.from(w);
      for (let i = 0; i < o; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < hw; p++) w[i * k + p * c + ch] = src[i * k + ch * hw + p]!;
    }
    const wid = this.newConst(wName, [o, k], w);
    const inputs = [x.id, wid];
    if (bias) inputs.push(this.newConst(bName, [o], bias));
    const y = this.newAct(outName ?? r.node.output[0] ?? '', [x.shape[0]!, o]);
    if (outName !== undefined) this.values.set(outName, y);
    else this.define(r, y);
    this.push({ kind: 'fully_connected', name: this.opName(r), inputs, outputs: [y.id], activation: 'none' });
  }

  private gemm(r: NodeRef): void {
    const a = this.attrs(r, ['alpha', 'beta', 'transA', 'transB']);
    if (a.int('transA', 0) !== 0) throw this.nodeErr(r, 'transA 1 is not supported');
    const x = this.act(r, 0, 2);
    const b = this.floats(r, 1, 'B');
    if (b.shape.length !== 2) throw this.nodeErr(r, `B has shape ${fmt(b.shape)}, expected rank 2`);
    const transB = a.int('transB', 0) === 1;
    const [o, k] = transB ? [b.shape[0]!, b.shape[1]!] : [b.shape[1]!, b.shape[0]!];
    if (k !== x.shape[1]) throw this.nodeErr(r, `B ${fmt(b.shape)} (transB ${transB ? 1 : 0}) does not multiply an input of shape ${fmt(x.shape)}`);
    const alpha = a.float('alpha', 1);
    const beta = a.float('beta', 1);
    this.weightAxis(r, b.name, transB ? 0 : 1, `axis ${transB ? 0 : 1} (the outputs, transB ${transB ? 1 : 0})`);
    if (alpha !== 1 && this.dqConsts.has(b.name)) throw this.nodeErr(r, `alpha ${alpha} with quantized weights is not supported; supported: 1`);
    const cName = r.node.input[2] ?? '';
    if (this.dqConsts.has(cName)) {
      if (beta !== 1) throw this.nodeErr(r, `beta ${beta} with a quantized C is not supported; supported: 1`);
      if (this.dqConsts.get(cName)!.ints.length !== o) throw this.nodeErr(r, `a quantized C must hold one value per output (${o})`);
    }
    const w = new Float32Array(o * k);
    for (let i = 0; i < o; i++) for (let j = 0; j < k; j++) w[i * k + j] = alpha * b.floats[transB ? i * k + j : j * o + i]!;
    let bias: Float32Array | undefined;
    let bName = '';
    if (this.has(r, 2)) {
      const c = this.floats(r, 2, 'C');
      const n = c.floats.length;
      const dims = c.shape.filter((d) => d !== 1);
      if (!(n === 1 || (n === o && dims.length === 1 && c.shape[c.shape.length - 1] === o)))
        throw this.nodeErr(r, `C of shape ${fmt(c.shape)} is not supported; supported: a scalar or [${o}]`);
      bias = new Float32Array(o);
      for (let i = 0; i < o; i++) bias[i] = beta * c.floats[n === 1 ? 0 : i]!;
      bName = c.name;
    }
    this.fc(r, x, o, w, b.name, bias, bName);
  }

  /** MatMul by constant weights, with the Add of a constant bias that follows it (its only reader) folded in. */
  private matmul(r: NodeRef): void {
    this.attrs(r, []);
    const x = this.act(r, 0, 2);
    const b = this.floats(r, 1, 'B');
    if (b.shape.length !== 2 || b.shape[0] !== x.shape[1])
      throw this.nodeErr(r, `B of shape ${fmt(b.shape)} does not multiply an input of shape ${fmt(x.shape)}`);
    const [k, o] = b.shape as [number, number];
    this.weightAxis(r, b.name, 1, 'axis 1 (the outputs)');
    const w = new Float32Array(o * k);
    for (let i = 0; i < o; i++) for (let j = 0; j < k; j++) w[i * k + j] = b.floats[j * o + i]!;
    const out = r.node.output[0] ?? '';
    if ((this.uses.get(out) ?? 0) === 1) {
      const next = this.g.node.findIndex((n, i) => i > r.index && n.opType === 'Add' && n.input.includes(out));
      const add = this.g.node[next];
      if (add && add.input.length === 2 && add.attribute.length === 0 && (add.domain === '' || add.domain === 'ai.onnx')) {
        const other = add.input[0] === out ? add.input[1]! : add.input[0]!;
        this.earlyDequantize(other, r.index);
        const init = this.initializers.get(other);
        const c = this.values.get(other) ?? (init ? this.readTensor(init, `initializer '${other}'`) : undefined);
        const shapeOk = c?.kind === 'const' && c.floats !== undefined && c.floats.length === o && c.shape[c.shape.length - 1] === o;
        if (shapeOk && add.output[0]) {
          this.absorbed.add(next);
          this.fc(r, x, o, w, b.name, Float32Array.from((c as Const).floats!), (c as Const).name, add.output[0]);
          return;
        }
      }
    }
    this.fc(r, x, o, w, b.name, undefined, '');
  }

  /** A bias read through a DequantizeLinear of initializers that comes later in the node list: converted now. */
  private earlyDequantize(name: string, after: number): void {
    if (this.values.has(name)) return;
    const k = this.g.node.findIndex((n, i) => i > after && n.output[0] === name);
    const n = this.g.node[k];
    if (n?.opType !== 'DequantizeLinear' || (n.domain !== '' && n.domain !== 'ai.onnx') || this.absorbed.has(k)) return;
    if (!n.input.every((i) => i === '' || this.initializers.has(i))) return;
    this.absorbed.add(k);
    this.convert({ node: n, index: k });
  }

  /** A reshape the IR can do as a view: the element order is the same in NCHW and NHWC on both sides. */
  private view(r: NodeRef, x: Value, shape: readonly number[]): void {
    if (product(shape) !== product(x.shape)) throw this.nodeErr(r, `cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
    if (x.kind === 'const') {
      this.define(r, { ...x, shape });
      return;
    }
    if (shape.length === x.shape.length && shape.every((d, k) => d === x.shape[k])) {
      this.define(r, x);
      return;
    }
    if (!sameOrder(x.shape) && shape.length === 2 && shape[0] === x.shape[0] && this.readByWeights(r)) {
      // [N, C, H, W] flattened for a Gemm / MatMul by constant weights: the IR flattens NHWC ([N, H·W·C])
      // and the weights' columns are permuted to match (fc()), so no activation moves.
      const y = this.out(r, shape);
      this.push({ kind: 'reshape', name: this.opName(r), inputs: [x.id], outputs: [y.id] });
      this.flattenedNchw.set(y.id, [x.shape[1]!, x.shape[2]!, x.shape[3]!]);
      return;
    }
    if (!sameOrder(x.shape) || !sameOrder(shape)) {
      throw this.nodeErr(
        r,
        `reshaping ${fmt(x.shape)} to ${fmt(shape)} would reorder a channels-first tensor; supported when its spatial size or channels are 1`,
      );
    }
    const y = this.out(r, shape);
    this.push({ kind: 'reshape', name: this.opName(r), inputs: [x.id], outputs: [y.id] });
  }

  /** The node's one output is read by one Gemm or MatMul, as its input 0 (whose weights must be constants). */
  private readByWeights(r: NodeRef): boolean {
    const out = r.node.output[0] ?? '';
    if ((this.uses.get(out) ?? 0) !== 1 || this.g.output.some((o) => o.name === out)) return false;
    const reader = this.g.node.find((n, i) => i > r.index && n.input.includes(out));
    return (
      reader !== undefined &&
      (reader.domain === '' || reader.domain === 'ai.onnx') &&
      (reader.opType === 'Gemm' || reader.opType === 'MatMul') &&
      reader.input[0] === out &&
      reader.input[1] !== out
    );
  }

  private flatten(r: NodeRef): void {
    const a = this.attrs(r, ['axis']);
    const x = this.value(r, 0);
    const rank = x.shape.length;
    let axis = a.int('axis', 1);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis > rank) throw this.nodeErr(r, `axis ${axis} is outside rank ${rank}`);
    this.view(r, x, [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))]);
  }

  private reshape(r: NodeRef): void {
    const a = this.attrs(r, ['allowzero']);
    const x = this.value(r, 0);
    const spec = this.ints(r, 1, 'the shape');
    if (spec.shape.length !== 1 || spec.ints.length > MAX_RANK)
      throw this.nodeErr(r, `the shape ${fmt(spec.ints)} must be a 1-D list of at most ${MAX_RANK} values`);
    const allowZero = a.int('allowzero', 0) === 1;
    const shape = spec.ints.map((d, k) => (d === 0 && !allowZero ? (x.shape[k] ?? Number.NaN) : d));
    const infer = shape.filter((d) => d === -1).length;
    if (infer > 1 || shape.some((d) => !Number.isSafeInteger(d) || d < -1 || d === 0))
      throw this.nodeErr(r, `the shape ${fmt(spec.ints)} is not supported for input ${fmt(x.shape)}`);
    if (infer === 1) {
      const known = product(shape.filter((d) => d !== -1));
      const total = product(x.shape);
      if (total % known !== 0) throw this.nodeErr(r, `cannot reshape ${fmt(x.shape)} to ${fmt(spec.ints)}`);
      shape[shape.indexOf(-1)] = total / known;
    }
    this.view(r, x, shape);
  }

  private pad(r: NodeRef): void {
    const a = this.attrs(r, ['mode', 'pads', 'value']);
    if (a.string('mode', 'constant') !== 'constant') throw this.nodeErr(r, `mode ${a.string('mode', '')} is not supported; supported: constant`);
    if (this.has(r, 3)) throw this.nodeErr(r, 'the axes input is not supported');
    const x = this.act(r, 0);
    const pads = this.has(r, 1) ? this.ints(r, 1, 'pads').ints : a.ints('pads', []);
    const value = this.has(r, 2) ? this.scalar(r, 2, 'constant_value') : a.float('value', 0);
    if (value !== 0) throw this.nodeErr(r, `constant value ${value} is not supported; supported: 0`);
    const rank = x.shape.length;
    if (pads.length !== 2 * rank || pads.some((p) => !Number.isSafeInteger(p) || p < 0))
      throw this.nodeErr(r, `pads ${fmt(pads)} must be ${2 * rank} non-negative integers`);
    const pairs = x.shape.map((_, k) => [pads[k]!, pads[k + rank]!] as [number, number]);
    const shape = x.shape.map((d, k) => d + pairs[k]![0] + pairs[k]![1]);
    const y = this.out(r, shape);
    const irPairs = rank === 4 ? [pairs[0]!, pairs[2]!, pairs[3]!, pairs[1]!] : pairs;
    this.push({ kind: 'pad', name: this.opName(r), inputs: [x.id], outputs: [y.id], paddings: irPairs });
  }

  private concat(r: NodeRef): void {
    const a = this.attrs(r, ['axis']);
    const vals = r.node.input.map((_, k) => this.value(r, k));
    if (vals.length === 0) throw this.nodeErr(r, 'has no inputs');
    const rank = vals[0]!.shape.length;
    let axis = a.int('axis', Number.NaN);
    if (axis < 0) axis += rank;
    if (!(axis >= 0 && axis < rank)) throw this.nodeErr(r, `axis ${a.int('axis', Number.NaN)} is outside rank ${rank}`);
    if (vals.every((v) => v.kind === 'const' && v.ints !== undefined && v.shape.length === 1)) {
      // A shape list being built (PyTorch's flatten: Shape → Gather → Unsqueeze → Concat → Reshape).
      const ints = vals.flatMap((v) => (v as Const).ints!);
      this.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: [ints.length], ints });
      return;
    }
    if (vals.some((v) => v.kind !== 'act' || v.shape.length !== rank)) throw this.nodeErr(r, `inputs must be computed tensors of rank ${rank}`);
    const acts = vals as Act[];
    const channels = rank === 4 ? 1 : rank - 1;
    if (axis !== channels) throw this.nodeErr(r, `axis ${axis} is not supported on rank ${rank}; supported: ${channels} (the channels)`);
    acts.forEach((v, k) => {
      if (v.shape.some((d, i) => i !== axis && d !== acts[0]!.shape[i]))
        throw this.nodeErr(r, `input ${k} ${fmt(v.shape)} does not match input 0 ${fmt(acts[0]!.shape)} off the axis`);
    });
    const shape = [...acts[0]!.shape];
    shape[axis] = acts.reduce((s, v) => s + v.shape[axis]!, 0);
    const y = this.out(r, shape);
    this.push({ kind: 'concatenation', name: this.opName(r), inputs: acts.map((v) => v.id), outputs: [y.id], axis: rank - 1 });
  }

  private softmax(r: NodeRef): void {
    const a = this.attrs(r, ['axis']);
    const x = this.act(r, 0);
    const rank = x.shape.length;
    let axis = a.int('axis', this.opset >= 13 ? -1 : 1);
    if (axis < 0) axis += rank;
    // The IR's softmax runs along its last axis: NCHW's channels (axis 1) for rank 4, the last axis otherwise.
    // Before opset 13 the axis flattens every axis after it into one: the same when those are the last (or 1s).
    const irLast = rank === 4 ? 1 : rank - 1;
    const ok =
      this.opset >= 13 ? axis === irLast : axis === irLast && product(x.shape.slice(axis + 1)) === 1 && (rank !== 4 || product(x.shape.slice(2)) === 1);
    if (!ok) throw this.nodeErr(r, `axis ${axis} on shape ${fmt(x.shape)} is not supported; supported: the channels`);
    const y = this.out(r, x.shape);
    this.push({ kind: 'softmax', name: this.opName(r), inputs: [x.id], outputs: [y.id], beta: 1 });
  }

  // ---- QDQ: QuantizeLinear / DequantizeLinear ---------------------------------------------------

  /**
   * A QuantizeLinear's or DequantizeLinear's scale (input 1) and zero point (input 2): constants, per tensor or
   * along `axis` (length `n`). The zero point's type is the integer type (absent: `def`).
   */
  private qdqParams(r: NodeRef, def: number, axisLen: number | undefined, k = 1) {
    const sv = this.value(r, k);
    if (sv.kind !== 'const' || sv.floats === undefined) throw this.nodeErr(r, `the scale (input ${k}) must be a FLOAT constant`);
    const scale = [...sv.floats];
    if (scale.length === 0) throw this.nodeErr(r, `the scale (input ${k}) is empty`);
    if (scale.length !== 1 && (axisLen === undefined || scale.length !== axisLen || sv.shape.length !== 1))
      throw this.nodeErr(
        r,
        axisLen === undefined
          ? `the scale has shape ${fmt(sv.shape)}; supported: a scalar (per tensor) for a computed tensor`
          : `the scale has shape ${fmt(sv.shape)}; supported: a scalar or [${axisLen}] (the axis)`,
      );
    scale.forEach((s) => {
      if (!(s > 0) || !Number.isFinite(s)) throw this.nodeErr(r, `scale ${s} must be positive and finite`);
    });
    let type = def;
    let zp = scale.map(() => 0);
    if (this.has(r, k + 1)) {
      const zv = this.value(r, k + 1);
      if (zv.kind !== 'const' || zv.ints === undefined || zv.type === undefined)
        throw this.nodeErr(r, `the zero point (input ${k + 1}) must be an integer constant`);
      if (Q_DTYPES[zv.type] === undefined) throw this.nodeErr(r, `the zero point has type ${dataTypeName(zv.type)}; supported: INT8, UINT8 (INT32 for a bias)`);
      if (zv.ints.length !== scale.length) throw this.nodeErr(r, `the zero point has shape ${fmt(zv.shape)}, the scale ${fmt(sv.shape)}`);
      type = zv.type;
      zp = [...zv.ints];
    }
    const dtype = Q_DTYPES[type];
    if (dtype === undefined) throw this.nodeErr(r, `type ${dataTypeName(type)} is not supported; supported: INT8, UINT8 (INT32 for a bias)`);
    const [lo, hi] = dtype === 'int8' ? [-128, 127] : dtype === 'uint8' ? [0, 255] : [0, 0];
    zp.forEach((z) => {
      if (!(z >= lo && z <= hi))
        throw this.nodeErr(r, `zero point ${z} is outside [${lo}, ${hi}] for ${dtype}${dtype === 'int32' ? ' (an INT32 zero point must be 0)' : ''}`);
    });
    return { scale: scale.map((v) => Math.fround(v)), zp, dtype, type };
  }

  /** The axis attribute of a QuantizeLinear / DequantizeLinear on a value of rank `rank`. */
  private qdqAxis(r: NodeRef, rank: number): number {
    const a = this.attrs(r, r.node.opType === 'QuantizeLinear' ? ['axis', 'saturate'] : ['axis']);
    const axis = a.int('axis', 1);
    const norm = axis < 0 ? axis + rank : axis;
    return norm;
  }

  /**
   * QuantizeLinear: of a float value computed by one op and read by nothing else, that op's output becomes the
   * quantized tensor (lowerQdq gives the op its quantized form); otherwise (a graph input, a value read elsewhere
   * too) a quantize op. Of a DequantizeLinear's view: a requantization (a quantize op), or the same tensor when
   * the parameters agree. Of a float constant: folded (a quantized constant for a DequantizeLinear to read).
   */
  private quantizeLinear(r: NodeRef): void {
    const x = this.value(r, 0);
    const axis = this.qdqAxis(r, x.shape.length);
    if (x.kind === 'const') {
      if (x.floats === undefined) throw this.nodeErr(r, `input 0 ('${x.name}') must be FLOAT`);
      const p = this.qdqParams(r, OnnxDataType.UINT8, x.shape[axis]);
      if (p.dtype === 'int32') throw this.nodeErr(r, 'the output type INT32 is not supported; supported: INT8, UINT8');
      const [lo, hi] = p.dtype === 'int8' ? [-128, 127] : [0, 255];
      const inner = p.scale.length === 1 ? 1 : product(x.shape.slice(axis + 1));
      const n = p.scale.length;
      const ints = [...x.floats].map((f, i) => {
        const c = n === 1 ? 0 : Math.floor(i / inner) % n;
        const v = Math.fround(f / p.scale[c]!);
        const fl = Math.floor(v);
        const rounded = v - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(v); // half to even, as ONNX
        return Math.min(hi, Math.max(lo, rounded + p.zp[c]!));
      });
      this.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: x.shape, ints, type: p.type });
      return;
    }
    const p = this.qdqParams(r, OnnxDataType.UINT8, undefined);
    if (p.dtype === 'int32') throw this.nodeErr(r, 'the output type INT32 is not supported; supported: INT8, UINT8');
    const q: QParams = { dtype: p.dtype, scale: p.scale[0]!, zp: p.zp[0]! };
    const src = this.actQuant.get(x.id);
    if (src !== undefined && !x.dq) throw this.nodeErr(r, `input 0 ('${r.node.input[0]}') is already quantized`);
    if (src !== undefined && sameQ(src, q)) {
      this.define(r, { kind: 'act', id: x.id, shape: x.shape });
      return;
    }
    const readers = [...this.values].filter(([, v]) => v.kind === 'act' && v.id === x.id).reduce((n, [name]) => n + (this.uses.get(name) ?? 0), 0);
    if (src === undefined && this.producer.has(x.id) && readers === 1 && !this.g.output.some((o) => this.values.get(o.name) === x)) {
      this.actQuant.set(x.id, q);
      this.define(r, { kind: 'act', id: x.id, shape: x.shape });
      return;
    }
    const y = this.out(r, x.shape);
    this.actQuant.set(y.id, q);
    this.push({ kind: 'quantize', name: this.opName(r), inputs: [x.id], outputs: [y.id] });
  }

  /**
   * DequantizeLinear: of a QuantizeLinear's output, a float view of the same quantized tensor (its parameters
   * must be the QuantizeLinear's); of an integer constant, the dequantized constant, its integers and
   * parameters kept for lowerQdq (weights per tensor or per channel, int32 biases).
   */
  private dequantizeLinear(r: NodeRef): void {
    const x = this.value(r, 0);
    const axis = this.qdqAxis(r, x.shape.length);
    if (x.kind === 'const') {
      if (x.ints === undefined || x.type === undefined || Q_DTYPES[x.type] === undefined)
        throw this.nodeErr(r, `input 0 ('${x.name}') must be an INT8, UINT8 or INT32 constant`);
      const name = r.node.output[0] ?? '';
      this.define(r, this.dqConst(r, x, axis, 1, name));
      return;
    }
    const src = this.actQuant.get(x.id);
    if (src === undefined || x.dq)
      throw this.nodeErr(r, `input 0 ('${r.node.input[0]}') is not a QuantizeLinear's output; supported: QuantizeLinear → DequantizeLinear`);
    const p = this.qdqParams(r, OnnxDataType.UINT8, undefined);
    const q = { dtype: p.dtype, scale: p.scale[0]!, zp: p.zp[0]! };
    if (!sameQ(q as QParams, src))
      throw this.nodeErr(
        r,
        `scale ${q.scale} and zero point ${q.zp} (${q.dtype}) differ from its QuantizeLinear's ${src.scale} and ${src.zp} (${src.dtype}); supported: the same`,
      );
    this.define(r, { kind: 'act', id: x.id, shape: x.shape, dq: true });
  }

  /** An integer constant dequantized with the scale and zero point at inputs k, k + 1 (per tensor or along `axis`); its integers kept. */
  private dqConst(r: NodeRef, x: Const, axis: number, k: number, name: string): Const {
    if (x.ints === undefined || x.type === undefined || Q_DTYPES[x.type] === undefined)
      throw this.nodeErr(r, `'${x.name}' must be an INT8, UINT8 or INT32 constant`);
    const p = this.qdqParams(r, x.type, x.shape[axis], k); // per axis only where the axis exists
    if (p.type !== x.type) throw this.nodeErr(r, `the zero point's type ${dataTypeName(p.type)} differs from '${x.name}''s ${dataTypeName(x.type)}`);
    const n = p.scale.length;
    const inner = n === 1 ? 1 : product(x.shape.slice(axis + 1));
    const floats = Float32Array.from(x.ints, (q, i) => {
      const c = n === 1 ? 0 : Math.floor(i / inner) % n;
      return Math.fround((q - p.zp[c]!) * p.scale[c]!);
    });
    this.dqConsts.set(name, { dtype: p.dtype, scale: p.scale, zp: p.zp, axis: n === 1 ? 0 : axis, ints: x.ints });
    return { kind: 'const', name, shape: x.shape, floats };
  }

  /**
   * QLinearConv / QLinearMatMul: read as DequantizeLinear (input, weights, the int32 bias at x_scale × w_scale)
   * → Conv / MatMul → QuantizeLinear, so the same lowering takes them. The input must be a QuantizeLinear's
   * (or another QLinear op's) output with the parameters the node gives it.
   */
  private qlinear(r: NodeRef, as: 'Conv' | 'MatMul'): void {
    const out = r.node.output[0] ?? '';
    const x = this.value(r, 0);
    const xq = x.kind === 'act' && !x.dq ? this.actQuant.get(x.id) : undefined;
    if (x.kind !== 'act' || xq === undefined)
      throw this.nodeErr(r, `input 0 ('${r.node.input[0]}') must be a quantized tensor (a QuantizeLinear's or QLinear op's output)`);
    const xp = this.qdqParams(r, OnnxDataType.UINT8, undefined, 1);
    if (xp.dtype === 'int32' || !sameQ({ dtype: xp.dtype, scale: xp.scale[0]!, zp: xp.zp[0]! }, xq))
      throw this.nodeErr(r, `x_scale ${xp.scale[0]} and x_zero_point ${xp.zp[0]} differ from input 0's ${xq.scale} and ${xq.zp}; supported: the same`);
    const w = this.value(r, 3);
    if (w.kind !== 'const') throw this.nodeErr(r, 'the weights (input 3) must be a constant');
    const wc = this.dqConst(r, w, as === 'Conv' ? 0 : 1, 4, `${out}::w`);
    const yp = this.qdqParams(r, OnnxDataType.UINT8, undefined, 6);
    if (yp.dtype === 'int32') throw this.nodeErr(r, 'the output type INT32 is not supported; supported: INT8, UINT8');
    this.values.set(`${out}::x`, { ...x, dq: true });
    this.values.set(`${out}::w`, wc);
    const inputs = [`${out}::x`, `${out}::w`];
    if (as === 'Conv' && this.has(r, 8)) {
      const b = this.value(r, 8);
      if (b.kind !== 'const' || b.ints === undefined || b.type !== OnnxDataType.INT32) throw this.nodeErr(r, 'the bias (input 8) must be an INT32 constant');
      const ws = this.dqConsts.get(`${out}::w`)!.scale;
      const o = w.shape[0] ?? 0;
      if (b.ints.length !== o) throw this.nodeErr(r, `the bias has shape ${fmt(b.shape)}, expected [${o}]`);
      const scale = Array.from({ length: o }, (_, c) => Math.fround(xq.scale * ws[ws.length === 1 ? 0 : c]!));
      this.dqConsts.set(`${out}::b`, { dtype: 'int32', scale, zp: scale.map(() => 0), axis: 0, ints: b.ints });
      const floats = Float32Array.from(b.ints, (v, c) => Math.fround(v * scale[c]!));
      this.values.set(`${out}::b`, { kind: 'const', name: `${out}::b`, shape: b.shape, floats });
      inputs.push(`${out}::b`);
    }
    const node = { ...r.node, opType: as, input: inputs, output: [`${out}::y`], attribute: as === 'Conv' ? r.node.attribute : [] };
    if (as === 'Conv') this.conv({ node, index: r.index });
    else {
      this.attrs(r, []);
      this.matmul({ node, index: r.index });
    }
    const y = this.values.get(`${out}::y`) as Act;
    this.actQuant.set(y.id, { dtype: yp.dtype, scale: yp.scale[0]!, zp: yp.zp[0]! });
    this.define(r, { kind: 'act', id: y.id, shape: y.shape });
  }

  /**
   * Gives the quantized tensors their dtype and parameters and each op the form that reads and writes them:
   * an op whose output is quantized, whose activation inputs are all quantized and which has a quantized form
   * (QUANTIZABLE; weights and biases through DequantizeLinear) becomes that form, with its output in its own
   * parameters where the op fixes them (views, pads and pools keep their input's; softmax 1/256) and a quantize
   * (requantization) to the QuantizeLinear's after it. Any other op runs in float32, with a dequantize in front
   * of each quantized input and a quantize after it when its output is quantized (the ONNX meaning, no
   * approximation). A graph output that the model gives as float gets a dequantize.
   */
  private lowerQdq(outputs: number[], floatOut: readonly boolean[]): void {
    const T = this.tensors;
    const aq = this.actQuant;
    const isConst = (id: number) => T[id]!.data !== undefined;
    // uint8 activations run as int8 (q − 128 with zero point − 128: the same real values), so int8 weights
    // (onnxruntime's U8S8) and every int8 kernel apply; they stay uint8 where uint8 constants (legacy uint8
    // weights) or a uint8 graph output ask for it.
    if (
      [...aq.values()].some((q) => q.dtype === 'uint8') &&
      ![...this.dqConsts.values()].some((c) => c.dtype === 'uint8') &&
      outputs.every((id, k) => floatOut[k] || aq.get(id)?.dtype !== 'uint8')
    ) {
      for (const [id, q] of aq) if (q.dtype === 'uint8') aq.set(id, { dtype: 'int8', scale: q.scale, zp: q.zp - 128 });
    }
    // Views and zero pads of a quantized tensor are quantized alike.
    for (const op of this.ops)
      if ((op.kind === 'reshape' || op.kind === 'pad') && aq.has(op.inputs[0]!) && !aq.has(op.outputs[0]!)) aq.set(op.outputs[0]!, aq.get(op.inputs[0]!)!);
    // Conv → Relu / Clip → QuantizeLinear: the op before the activation writes the activation's parameters.
    const uses = new Array<number>(T.length).fill(0);
    for (const op of this.ops) for (const i of op.inputs) uses[i]!++;
    for (const o of outputs) uses[o]!++;
    for (let i = this.ops.length - 1; i >= 0; i--) {
      const op = this.ops[i]!;
      const x = op.inputs[0]!;
      if (op.kind === 'activation' && aq.has(op.outputs[0]!) && !aq.has(x) && uses[x] === 1 && this.producer.has(x)) aq.set(x, aq.get(op.outputs[0]!)!);
    }
    const fresh = (like: number, suffix: string): number => {
      const t = T[like]!;
      const id = T.length;
      T.push({ id, name: `${t.name}_${suffix}`, shape: [...t.shape], dtype: 'float32' });
      return id;
    };
    const ops: Op[] = [];
    const deq = new Map<number, number>();
    const dequantized = (id: number): number => {
      let f = deq.get(id);
      if (f === undefined) {
        f = fresh(id, 'dequantized');
        ops.push({ kind: 'dequantize', name: `${T[id]!.name}_dequantize`, inputs: [id], outputs: [f] });
        deq.set(id, f);
      }
      return f;
    };
    for (const op of this.ops) {
      const out = op.outputs[0]!;
      const q = aq.get(out);
      if (op.kind === 'quantize') {
        ops.push(op);
        continue;
      }
      const acts = op.inputs.filter((id) => !isConst(id));
      if (q && QUANTIZABLE.has(op.kind) && acts.every((id) => aq.get(id)?.dtype === q.dtype) && this.quantizeConstants(op, q)) {
        const x = aq.get(op.inputs[0]!)!;
        const fixed: QParams | undefined =
          op.kind === 'reshape' || op.kind === 'pad' || op.kind === 'max_pool2d' || op.kind === 'average_pool2d'
            ? x
            : op.kind === 'softmax'
              ? { dtype: q.dtype, scale: 1 / 256, zp: q.dtype === 'int8' ? -128 : 0 }
              : undefined;
        if (fixed && !sameQ(fixed, q)) {
          const t = fresh(out, 'q');
          aq.set(t, fixed);
          ops.push({ ...op, outputs: [t] } as Op);
          ops.push({ kind: 'quantize', name: `${op.name}_requantize`, inputs: [t], outputs: [out] });
        } else ops.push(op);
        continue;
      }
      const inputs = op.inputs.map((id) => (aq.has(id) ? dequantized(id) : id));
      if (q) {
        const t = fresh(out, 'float');
        ops.push({ ...op, inputs, outputs: [t] } as Op);
        ops.push({ kind: 'quantize', name: `${op.name}_quantize`, inputs: [t], outputs: [out] });
      } else ops.push({ ...op, inputs } as Op);
    }
    outputs.forEach((id, k) => {
      if (floatOut[k] && aq.has(id)) outputs[k] = dequantized(id);
    });
    for (const [id, q] of aq) T[id] = { ...T[id]!, dtype: q.dtype, quant: { scale: [q.scale], zeroPoint: [q.zp], axis: 0 } };
    this.ops.length = 0;
    this.ops.push(...ops);
  }

  /** The node an IR op came from (its name starts with the node's index). */
  private nodeOf(op: Op): NodeRef {
    const index = Number.parseInt(op.name, 10);
    return { node: this.g.node[index]!, index };
  }

  /**
   * A quantized op's constants in integers: weights (through DequantizeLinear) int8 symmetric, per tensor or
   * per output channel, or uint8 per tensor under uint8 activations; the bias int32 at input scale × weight
   * scale (an int32 DequantizeLinear at that scale, or float32 rounded to it); a constant operand of add / mul
   * quantized per tensor in the activations' type. False when a constant has no quantized form here (the op
   * then runs in float32); throws on quantized constants no kernel takes.
   */
  private quantizeConstants(op: Op, q: QParams): boolean {
    const T = this.tensors;
    const consts = op.inputs.map((id, k) => [id, k] as const).filter(([id]) => T[id]!.data !== undefined);
    if (consts.length === 0) return true;
    if (op.kind === 'add' || op.kind === 'mul') {
      const [id] = consts[0]!;
      const cq = this.constQuant.get(id);
      if (!cq || cq.dtype !== q.dtype || cq.scale.length !== 1) return false;
      const t = T[id]!;
      T[id] = {
        ...t,
        dtype: q.dtype,
        data: q.dtype === 'int8' ? Int8Array.from(cq.ints) : Uint8Array.from(cq.ints),
        quant: { scale: cq.scale, zeroPoint: cq.zp, axis: 0 },
      };
      return true;
    }
    if (op.kind !== 'conv2d' && op.kind !== 'depthwise_conv2d' && op.kind !== 'fully_connected') return false;
    const fail = (msg: string): never => {
      throw this.nodeErr(this.nodeOf(op), msg);
    };
    const wid = op.inputs[1]!;
    const w = T[wid]!;
    const wq = this.constQuant.get(wid);
    if (!wq) return false;
    const perChannel = wq.scale.length > 1;
    if (wq.dtype === 'int32') fail('INT32 weights are not supported; supported: INT8, UINT8');
    if (wq.dtype === 'int8' && wq.zp.some((z) => z !== 0))
      fail(`int8 weights with zero point ${wq.zp.find((z) => z !== 0)} are not supported; supported: 0 (symmetric int8 weights)`);
    if (wq.dtype !== q.dtype && !(wq.dtype === 'int8' && q.dtype === 'int8'))
      fail(`${wq.dtype} weights under ${q.dtype} activations are not supported; supported: int8 weights with int8 activations, uint8 with uint8`);
    if (wq.dtype === 'uint8' && perChannel) fail('uint8 weights quantized per channel are not supported; supported: per tensor');
    const axis = op.kind === 'depthwise_conv2d' ? 3 : 0;
    const oc = w.shape[axis]!;
    const scales = perChannel ? wq.scale : [wq.scale[0]!];
    const zps = perChannel ? wq.zp : [wq.zp[0]!];
    if (perChannel && scales.length !== oc) fail(`weights have ${scales.length} scales for ${oc} output channels`);
    const f = w.data as Float32Array;
    const inner = f.length / oc;
    const ints = Int32Array.from(f, (v, i) => {
      const c = perChannel ? (axis === 0 ? Math.floor(i / inner) : i % oc) : 0;
      return Math.round(v / scales[c]!) + zps[c]!; // exact: v = fround((q − zp) · s), |q − zp| ≤ 255
    });
    T[wid] = {
      ...w,
      dtype: wq.dtype,
      data: wq.dtype === 'int8' ? Int8Array.from(ints) : Uint8Array.from(ints),
      quant: { scale: scales, zeroPoint: zps, axis },
    };
    const bid = op.inputs[2];
    if (bid !== undefined) {
      const b = T[bid]!;
      const sIn = this.actQuant.get(op.inputs[0]!)!.scale;
      const want = Array.from({ length: oc }, (_, c) => Math.fround(sIn * scales[perChannel ? c : 0]!));
      const bq = this.constQuant.get(bid);
      let data: Int32Array;
      if (bq) {
        if (bq.dtype !== 'int32') fail(`a ${bq.dtype} bias is not supported; supported: INT32`);
        bq.scale.forEach((s, c) => {
          const ws = want[bq.scale.length === 1 ? 0 : c]!;
          if (Math.abs(s - ws) > 1e-6 * ws)
            fail(`the bias scale ${s} differs from input scale × weight scale ${ws}${bq.scale.length > 1 ? ` (channel ${c})` : ''}; supported: equal`);
        });
        if (bq.scale.length === 1 && perChannel && want.some((v) => v !== want[0])) fail('a per-tensor bias scale under per-channel weights is not supported');
        data = Int32Array.from(bq.ints);
      } else {
        const bf = b.data as Float32Array;
        data = Int32Array.from(bf, (v, c) => {
          const n = Math.round(v / want[c]!);
          if (!(Math.abs(n) <= 2147483647)) fail(`bias ${v} is outside int32 at scale ${want[c]}`);
          return n;
        });
      }
      T[bid] = { ...b, dtype: 'int32', data, quant: { scale: want, zeroPoint: want.map(() => 0), axis: 0 } };
    }
    return true;
  }

  // ---- constants folded at import ---------------------------------------------------------------

  private constant(r: NodeRef): void {
    const a = this.attrs(r, ['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
    const name = r.node.output[0] ?? '';
    const t = a.tensor('value');
    if (t) this.define(r, { ...this.readTensor(t, `node ${r.index} '${r.node.name}' (Constant)`), name });
    else if (a.has('value_float')) this.define(r, { kind: 'const', name, shape: [], floats: Float32Array.of(a.float('value_float', 0)) });
    else if (a.has('value_floats'))
      this.define(r, { kind: 'const', name, shape: [a.floatList('value_floats').length], floats: Float32Array.from(a.floatList('value_floats')) });
    else if (a.has('value_int')) this.define(r, { kind: 'const', name, shape: [], ints: [a.int('value_int', 0)] });
    else if (a.has('value_ints')) this.define(r, { kind: 'const', name, shape: [a.ints('value_ints', []).length], ints: a.ints('value_ints', []) });
    else throw this.nodeErr(r, 'has no value');
  }

  private shapeOf(r: NodeRef): void {
    const a = this.attrs(r, ['start', 'end']);
    const x = this.value(r, 0);
    const rank = x.shape.length;
    const clampAxis = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
    const ints = x.shape.slice(clampAxis(a.int('start', 0)), clampAxis(a.int('end', rank)));
    this.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: [ints.length], ints });
  }

  private gather(r: NodeRef): void {
    const a = this.attrs(r, ['axis']);
    const data = this.ints(r, 0, 'the data');
    const idx = this.ints(r, 1, 'the indices');
    if (a.int('axis', 0) !== 0 || data.shape.length !== 1) throw this.nodeErr(r, 'supported only on a 1-D integer constant along axis 0 (a shape)');
    const n = data.ints.length;
    const ints = idx.ints.map((i) => {
      const j = i < 0 ? i + n : i;
      if (!(j >= 0 && j < n)) throw this.nodeErr(r, `index ${i} is outside [${-n}, ${n - 1}]`);
      return data.ints[j]!;
    });
    this.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: idx.shape, ints });
  }

  private unsqueeze(r: NodeRef): void {
    const a = this.attrs(r, ['axes']);
    const x = this.value(r, 0);
    if (x.kind !== 'const') throw this.nodeErr(r, 'supported only on constants (a shape being built)');
    const axes = this.has(r, 1) ? this.ints(r, 1, 'axes').ints : a.ints('axes', []);
    const rank = x.shape.length + axes.length;
    const norm = axes.map((v) => (v < 0 ? v + rank : v));
    if (norm.some((v) => !(v >= 0 && v < rank)) || new Set(norm).size !== norm.length) throw this.nodeErr(r, `axes ${fmt(axes)} are invalid for rank ${rank}`);
    const shape: number[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[k++]!);
    this.define(r, { ...x, name: r.node.output[0] ?? '', shape });
  }
}

/** A node's attributes, read by name with defaults; a wrong type is the node's error. */
class Attrs {
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
