/**
 * The `.tflite` frontend: subgraph 0 of a TensorFlow Lite flatbuffer → an IR
 * graph, one IR op per TFLite operator (so op indices in errors are the
 * model's own). Tensors keep TFLite's layouts, dtypes, scales (float32
 * values) and zero points; the model is already quantized, so no PTQ is
 * requested. Every size is checked against TFLITE_LIMITS before anything is
 * allocated for it.
 */
import { basename } from 'node:path';
import { BudgetTally, DEFAULT_BUDGET, overBudget, type Budget } from '../../model/budget.js';
import { readModelFile } from '../modelFile.js';
import { badInput, internalError, type MobilecError } from '../../model/errors.js';
import {
  DTYPE_BYTES,
  type Activation,
  type DType,
  type Graph,
  type Op,
  type Padding,
  type Quantization,
  type Tensor,
  type TensorData,
} from '../../model/ir.js';
import { compact } from '../../passes/graphUtils.js';
import { sanitizeName } from '../description/index.js';
import type { FrontendResult } from '../types.js';
import { tfliteBuiltins } from '../../ops/registry.js';
import type { TfliteContext } from '../../ops/types.js';
import {
  ACTIVATION_NAMES,
  ActivationCode,
  BuiltinOp,
  OptionsType,
  PaddingCode,
  TensorType,
  builtinName,
  readModel,
  tensorTypeName,
  type BufferDef,
  type ModelDef,
  type OperatorDef,
  type SubGraphDef,
  type TensorDef,
} from './schema.js';

/** The .tflite format's own limit; the sizes come from the resource budget (src/model/budget.ts). */
export const TFLITE_MAX_RANK = 6;

/** The TFLite operators mobilec imports (the registry's mappings), in the order error messages list them. */
export const SUPPORTED_TFLITE_OPS: readonly string[] = [...tfliteBuiltins().keys()].map(builtinName);

const DTYPES: ReadonlyMap<number, DType> = new Map([
  [TensorType.FLOAT32, 'float32'],
  [TensorType.INT8, 'int8'],
  [TensorType.UINT8, 'uint8'],
  [TensorType.INT32, 'int32'],
]);

const ACTIVATIONS: ReadonlyMap<number, Activation> = new Map([
  [ActivationCode.NONE, 'none'],
  [ActivationCode.RELU, 'relu'],
  [ActivationCode.RELU6, 'relu6'],
  [ActivationCode.RELU_N1_TO_1, 'relu_n1_to_1'],
]);

export function loadTflite(path: string, budget: Budget = DEFAULT_BUDGET): FrontendResult {
  return importTflite(readModelFile(path, budget), path, budget);
}

/** Like loadTflite, from the file's bytes; `path` names the model and its errors. */
export function importTflite(bytes: Uint8Array, path: string, budget: Budget = DEFAULT_BUDGET): FrontendResult {
  const file = basename(path);
  if (bytes.byteLength > budget.maxFileBytes) overBudget(budget, 'maxFileBytes', bytes.byteLength, `${file}: `, 'the file');
  const model = readModel(bytes, file);
  return { graph: new Importer(bytes, file, model, sanitizeName(path), budget).graph() };
}

/** An operator resolved to its builtin name, with its tensor operands checked. */
interface OpRef {
  readonly index: number;
  readonly def: OperatorDef;
  readonly code: number;
  readonly name: string;
}

class Importer {
  private readonly sg: SubGraphDef;
  /** TFLite tensor index → IR tensor (only tensors the graph uses). */
  private readonly tensors = new Map<number, Tensor>();
  private readonly tally: BudgetTally;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly file: string,
    private readonly model: ModelDef,
    private readonly name: string,
    budget: Budget,
  ) {
    this.tally = new BudgetTally(budget, `${file}: `);
    if (model.version !== 3) throw this.err(`schema version ${model.version} is not supported (expected 3)`);
    const sg = model.subgraphs[0];
    if (sg === undefined) throw this.err('model has no subgraphs');
    this.sg = sg;
  }

  private err(msg: string): MobilecError {
    return badInput(`${this.file}: ${msg}`);
  }

  graph(): Graph {
    const sg = this.sg;
    this.tally.ops(sg.operators.length);
    const refs = sg.operators.map((def, index) => this.resolve(def, index));
    sg.inputs.forEach((t, k) => {
      this.checkIndex(t, `subgraph input ${k}`);
    });
    sg.outputs.forEach((t, k) => {
      this.checkIndex(t, `subgraph output ${k}`);
    });
    this.checkDataflow(refs);
    const ops = refs.map((ref) => this.convertOp(ref));
    const tensorList: Tensor[] = [...this.tensors.values()].sort((a, b) => a.id - b.id);
    // IR ids are TFLite indices for now; compact() renumbers to 0..n-1.
    const sparse: Tensor[] = [];
    for (const t of tensorList) sparse[t.id] = t;
    const placeholder = (id: number): Tensor => ({ id, name: '', shape: [1], dtype: 'float32' });
    const full = Array.from({ length: sg.tensors.length }, (_, i) => sparse[i] ?? placeholder(i));
    const graph: Graph = {
      name: this.name,
      tensors: full,
      ops,
      inputs: sg.inputs.map((i) => this.tensor(i, 'subgraph input').id),
      outputs: sg.outputs.map((i) => this.tensor(i, 'subgraph output').id),
    };
    return compact(graph);
  }

  private checkIndex(t: number, where: string): void {
    if (!Number.isInteger(t) || t < 0 || t >= this.sg.tensors.length) {
      throw this.err(`${where} refers to tensor ${t}; the subgraph has ${this.sg.tensors.length} tensors`);
    }
  }

  private resolve(def: OperatorDef, index: number): OpRef {
    const codes = this.model.operatorCodes;
    if (def.opcodeIndex >= codes.length) {
      throw this.err(`operator ${index}: opcode_index ${def.opcodeIndex} is out of range (${codes.length} operator codes)`);
    }
    const oc = codes[def.opcodeIndex]!;
    const code = oc.builtinCode;
    const name = code === BuiltinOp.CUSTOM ? `CUSTOM '${oc.customCode ?? ''}'` : builtinName(code);
    const op = tfliteBuiltins().get(code)?.def;
    const ref: OpRef = { index, def, code, name };
    if (code === BuiltinOp.CUSTOM || op?.tflite === undefined) {
      throw this.err(`operator ${index} (${name}) is not supported; supported: ${SUPPORTED_TFLITE_OPS.join(', ')}`);
    }
    def.inputs.forEach((t, k) => {
      // -1 marks an omitted optional operand (e.g. a bias).
      if (t === -1 && op.tflite!.optionalInputs?.includes(k)) return;
      this.checkIndex(t, `operator ${index} (${name}) input ${k}`);
    });
    def.outputs.forEach((t, k) => {
      this.checkIndex(t, `operator ${index} (${name}) output ${k}`);
    });
    if (def.outputs.length !== 1) throw this.opErr(ref, `has ${def.outputs.length} outputs, expected 1`);
    return ref;
  }

  private opErr(ref: OpRef, msg: string): MobilecError {
    return this.err(`operator ${ref.index} (${ref.name}): ${msg}`);
  }

  /** Operators run in file order: every input must exist before its reader runs, every tensor is written once. */
  private checkDataflow(refs: readonly OpRef[]): void {
    const state = new Array<'input' | 'const' | 'produced' | undefined>(this.sg.tensors.length).fill(undefined);
    const touch = (i: number) => {
      if (state[i] === undefined && this.bufferOf(this.sg.tensors[i]!, i).length > 0) state[i] = 'const';
    };
    for (const i of this.sg.inputs) touch(i);
    for (const ref of refs) for (const i of [...ref.def.inputs, ...ref.def.outputs]) if (i !== -1) touch(i);
    for (const i of this.sg.inputs) {
      if (state[i] === 'const') throw this.err(`subgraph input tensor ${i} (${this.sg.tensors[i]!.name}) is a constant`);
      state[i] = 'input';
    }
    for (const ref of refs) {
      ref.def.inputs.forEach((t, k) => {
        if (t === -1) return;
        if (state[t] === undefined) {
          throw this.opErr(
            ref,
            `input ${k} (tensor ${t}, ${this.sg.tensors[t]!.name}) is read before any operator computes it (operators out of order or a cycle)`,
          );
        }
      });
      for (const t of ref.def.outputs) {
        if (state[t] !== undefined) {
          throw this.opErr(
            ref,
            `output tensor ${t} (${this.sg.tensors[t]!.name}) is already ${state[t] === 'produced' ? 'computed by an earlier operator' : state[t] === 'const' ? 'a constant' : 'a subgraph input'} (a cycle or a duplicate write)`,
          );
        }
        state[t] = 'produced';
      }
    }
    for (const t of this.sg.outputs) {
      if (state[t] === undefined) throw this.err(`subgraph output tensor ${t} (${this.sg.tensors[t]!.name}) is never computed`);
    }
  }

  private bufferOf(t: TensorDef, index: number): BufferDef {
    const buffers = this.model.buffers;
    if (t.buffer >= buffers.length) {
      // Buffer 0 is the empty sentinel; some writers omit the buffers vector entirely when nothing is constant.
      if (t.buffer === 0) return { start: 0, length: 0 };
      throw this.err(`tensor ${index} (${t.name}): buffer ${t.buffer} is out of range (${buffers.length} buffers)`);
    }
    return buffers[t.buffer]!;
  }

  /** The IR tensor for TFLite tensor `index`, converted on first use (limits checked before allocating). */
  private tensor(index: number, role: string): Tensor {
    const have = this.tensors.get(index);
    if (have) return have;
    const def = this.sg.tensors[index]!;
    const where = `tensor ${index} (${def.name})`;
    const fail = (msg: string): never => {
      throw this.err(`${where}: ${msg}`);
    };
    const dtype = DTYPES.get(def.type);
    if (dtype === undefined) fail(`type ${tensorTypeName(def.type)} is not supported (${role}); supported: FLOAT32, INT8, UINT8, INT32`);
    if (def.hasSparsity) fail('sparse tensors are not supported');
    const shape = def.shape;
    if (shape.length > TFLITE_MAX_RANK) fail(`rank ${shape.length} is over the limit of ${TFLITE_MAX_RANK}`);
    let elements = 1;
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 1) fail(`shape [${shape.join(', ')}] must have positive dimensions`);
      elements = Math.min(elements * d, Number.MAX_SAFE_INTEGER);
    }
    const bytes = elements * DTYPE_BYTES[dtype!];
    const buf = this.bufferOf(def, index);
    this.tally.tensor(`${index} (${def.name}) [${shape.join(', ')}] ${dtype}`, elements, DTYPE_BYTES[dtype!], buf.length > 0);
    let data: TensorData | undefined;
    if (buf.length > 0) {
      if (buf.length !== bytes) fail(`buffer ${def.buffer} holds ${buf.length} bytes, shape [${shape.join(', ')}] ${dtype} needs ${bytes}`);
      data = this.copyData(buf, dtype!, bytes / DTYPE_BYTES[dtype!]);
    }
    const quant = this.quantization(def, dtype!, data !== undefined, fail);
    const t: Tensor = { id: index, name: def.name || `tensor_${index}`, shape: [...shape], dtype: dtype!, ...(quant && { quant }), ...(data && { data }) };
    this.tensors.set(index, t);
    return t;
  }

  /** Little-endian file bytes → a fresh, aligned typed array. */
  private copyData(buf: BufferDef, dtype: DType, n: number): TensorData {
    const src = this.bytes.subarray(buf.start, buf.start + buf.length);
    switch (dtype) {
      case 'int8':
        return new Int8Array(src.buffer.slice(src.byteOffset, src.byteOffset + n));
      case 'uint8':
        return Uint8Array.from(src);
      case 'int32': {
        const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
        const out = new Int32Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
        return out;
      }
      case 'float32': {
        const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
        return out;
      }
    }
  }

  private quantization(def: TensorDef, dtype: DType, constant: boolean, fail: (msg: string) => never): Quantization | undefined {
    const q = def.quantization;
    if (dtype === 'float32' || q === undefined || q.scale === undefined || q.scale.length === 0) return undefined;
    if (q.detailsType !== 0) fail('custom quantization details are not supported');
    const scale = q.scale;
    const n = scale.length;
    const zeroPoint = q.zeroPoint === undefined || q.zeroPoint.length === 0 ? scale.map(() => 0) : q.zeroPoint;
    if (zeroPoint.length !== n) fail(`has ${n} scales but ${zeroPoint.length} zero points`);
    for (const s of scale) if (!(s > 0) || !Number.isFinite(s)) fail(`quantization scale ${s} must be positive and finite`);
    const [lo, hi] = dtype === 'int8' ? [-128, 127] : dtype === 'uint8' ? [0, 255] : [-2147483648, 2147483647];
    for (const z of zeroPoint) if (z < lo || z > hi) fail(`zero point ${z} is outside the ${dtype} range [${lo}, ${hi}]`);
    let axis = 0;
    if (n > 1) {
      // A 1-D tensor (a bias) can only be quantized along its one axis,
      // whatever quantized_dimension says (some converters copy the filter's).
      axis = def.shape.length === 1 ? 0 : q.quantizedDimension;
      if (axis < 0 || axis >= def.shape.length) fail(`quantized_dimension ${axis} is not an axis of shape [${def.shape.join(', ')}]`);
      if (def.shape[axis] !== n) fail(`has ${n} per-channel scales, dimension ${axis} of shape [${def.shape.join(', ')}] is ${def.shape[axis]}`);
      if (!constant) fail('per-channel quantization is only supported on constant tensors (weights, biases)');
      if (zeroPoint.some((z) => z !== zeroPoint[0])) fail('per-channel zero points must all be equal');
    }
    return { scale: [...scale], zeroPoint: zeroPoint.map((z) => (z === 0 ? 0 : z)), axis };
  }

  /** A constant integer operand (PAD's paddings): int32 or int64 data straight from its buffer. */
  private constInts(index: number, ref: OpRef, what: string): { shape: number[]; values: number[] } {
    const def = this.sg.tensors[index]!;
    const buf = this.bufferOf(def, index);
    const fail = (msg: string): never => {
      throw this.opErr(ref, `${what} tensor ${index} (${def.name}) ${msg}`);
    };
    if (buf.length === 0) fail('must be a constant');
    const size = def.type === TensorType.INT32 ? 4 : def.type === TensorType.INT64 ? 8 : fail(`has type ${tensorTypeName(def.type)}, expected INT32 or INT64`);
    if (def.shape.length > TFLITE_MAX_RANK || def.shape.some((d) => !Number.isInteger(d) || d < 1)) fail(`has an invalid shape [${def.shape.join(', ')}]`);
    const n = def.shape.reduce((a, b) => a * b, 1);
    if (n * size !== buf.length) fail(`holds ${buf.length} bytes, shape [${def.shape.join(', ')}] needs ${n * size}`);
    if (n > 64) fail(`has ${n} values, too many for a ${what}`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + buf.start, buf.length);
    const values: number[] = [];
    for (let i = 0; i < n; i++) values.push(size === 4 ? view.getInt32(4 * i, true) : Number(view.getBigInt64(8 * i, true)));
    return { shape: [...def.shape], values };
  }

  private activation(ref: OpRef, code: number): Activation {
    const a = ACTIVATIONS.get(code);
    if (a === undefined) {
      throw this.opErr(ref, `fused activation ${ACTIVATION_NAMES[code] ?? code} is not supported; supported: NONE, RELU, RELU6, RELU_N1_TO_1`);
    }
    return a;
  }

  private padding(ref: OpRef, code: number): Padding {
    if (code === PaddingCode.SAME) return 'same';
    if (code === PaddingCode.VALID) return 'valid';
    throw this.opErr(ref, `padding ${code} is not supported; supported: SAME (0), VALID (1)`);
  }

  private strides(ref: OpRef, h: number, w: number): void {
    if (h < 1 || w < 1) throw this.opErr(ref, `stride ${h}x${w} must be >= 1`);
  }

  private dilation(ref: OpRef, h: number, w: number): void {
    if (h !== 1 || w !== 1) throw this.opErr(ref, `dilation ${h}x${w} is not supported (only 1x1)`);
  }

  /** The options table, checked to be of the type the operator expects (absent = defaults). */
  private options(ref: OpRef, expected: number, name: string) {
    const t = ref.def.builtinOptionsType;
    if (t !== OptionsType.NONE && t !== expected) {
      throw this.opErr(ref, `builtin_options has union type ${t}, expected ${name} (${expected})`);
    }
    return t === OptionsType.NONE ? undefined : ref.def.builtinOptions;
  }

  private arity(ref: OpRef, lo: number, hi: number): void {
    const n = ref.def.inputs.length;
    if (n < lo || n > hi) throw this.opErr(ref, `has ${n} inputs, expected ${lo === hi ? lo : `${lo} to ${hi}`}`);
  }

  private convertOp(ref: OpRef): Op {
    const def = ref.def;
    const { def: op, builtin } = tfliteBuiltins().get(ref.code)!;
    const where = `operator ${ref.index} (${ref.name})`;
    const ins = (k: number) => this.tensor(def.inputs[k]!, `input ${k} of ${where}`).id;
    const ctx: TfliteContext = {
      code: ref.code,
      name: `${ref.index}_${ref.name}`,
      inputs: def.inputs,
      fail: (msg) => {
        throw this.opErr(ref, msg);
      },
      arity: (lo, hi) => this.arity(ref, lo, hi),
      options: () => {
        if (!builtin.options) throw internalError(`${where}: the mapping declares no options table`);
        return this.options(ref, builtin.options.type, builtin.options.name);
      },
      input: ins,
      // Inputs convert before the output, so errors name tensors in data-flow order.
      output: () => this.tensor(def.outputs[0]!, `output of ${where}`).id,
      withBias: () => {
        const ids = [ins(0), ins(1)];
        if (def.inputs.length > 2 && def.inputs[2] !== -1) ids.push(ins(2));
        return ids;
      },
      tensor: (id) => this.tensors.get(id)!,
      activation: (code) => this.activation(ref, code),
      padding: (code) => this.padding(ref, code),
      strides: (h, w) => this.strides(ref, h, w),
      dilation: (h, w) => this.dilation(ref, h, w),
      constInts: (k, what) => this.constInts(def.inputs[k]!, ref, what),
    };
    return op.tflite!.convert(ctx) as Op;
  }
}
