/**
 * The reference interpreter: runs a Graph op by op with the kernels in
 * ./kernels, the source of truth the generated C is compared against.
 */
import { allocate, dtypeOfData } from '../util/tensors.js';
import { elementCount, isQuantizedDType, type Graph, type Op, type Requant, type Tensor, type TensorData } from '../model/ir.js';
import { windowGeometry } from '../model/geometry.js';
import { badInput, internalError } from '../model/errors.js';
import type { QuantArray, QuantParams } from './kernels/common.js';
import { opDef } from '../ops/registry.js';
import type { RunContext } from '../ops/types.js';

export interface RunResult {
  readonly outputs: TensorData[];
  /** Every graph input and every tensor produced by an op, by tensor id. */
  readonly values: ReadonlyMap<number, TensorData>;
}

/** The dtype a typed array holds. */
export { dtypeOfData };

/** A zeroed typed array for a tensor. */
export function allocateFor(t: Tensor): TensorData {
  return allocate(t.dtype, elementCount(t.shape));
}

export function runGraph(graph: Graph, inputs: readonly TensorData[]): RunResult {
  if (inputs.length !== graph.inputs.length) {
    throw badInput(`model ${graph.name} takes ${graph.inputs.length} input(s), got ${inputs.length}`);
  }
  const values = new Map<number, TensorData>();
  graph.inputs.forEach((id, i) => {
    const t = graph.tensors[id]!;
    const d = inputs[i]!;
    const dt = dtypeOfData(d);
    if (dt !== t.dtype) throw badInput(`input ${i} (${t.name}) must be ${t.dtype}, got ${dt}`);
    const n = elementCount(t.shape);
    if (d.length !== n) {
      throw badInput(`input ${i} (${t.name}) must have ${n} elements (shape [${t.shape.join(', ')}]), got ${d.length}`);
    }
    values.set(id, d);
  });

  const read = (id: number | undefined, op: Op): TensorData => {
    if (id === undefined) throw internalError(`op ${op.name} (${op.kind}) is missing an input`);
    const v = values.get(id);
    if (v !== undefined) return v;
    const t = graph.tensors[id];
    if (t?.data !== undefined) return t.data;
    throw internalError(`op ${op.name} (${op.kind}) reads tensor ${id} before it is computed`);
  };

  for (const op of graph.ops) {
    const out = runOp(graph, op, read);
    const id = op.outputs[0]!;
    const t = graph.tensors[id]!;
    if (out.length !== elementCount(t.shape) || dtypeOfData(out) !== t.dtype) {
      throw internalError(`op ${op.name} (${op.kind}) produced ${out.length} ${dtypeOfData(out)} values for tensor ${t.name}`);
    }
    values.set(id, out);
  }

  const outputs = graph.outputs.map((id) => {
    const v = values.get(id) ?? graph.tensors[id]?.data;
    if (v === undefined) throw internalError(`graph output ${id} is never computed`);
    return v;
  });
  return { outputs, values };
}

function zeroPoint(t: Tensor, what: string): number {
  const zp = t.quant?.zeroPoint[0];
  if (zp === undefined) throw internalError(`${what} tensor ${t.name} has no quantization`);
  return zp;
}

function perTensor(t: Tensor, op: Op, what: string): { scale: number; zeroPoint: number } {
  const scale = t.quant?.scale[0];
  const zp = t.quant?.zeroPoint[0];
  if (scale === undefined || zp === undefined) throw internalError(`op ${op.name} (${op.kind}): ${what} tensor ${t.name} has no quantization`);
  if (t.quant!.scale.length !== 1) throw badInput(`op ${op.name} (${op.kind}): ${what} tensor ${t.name} must be quantized per tensor`);
  return { scale, zeroPoint: zp };
}

function requantOf(op: Op): Requant {
  if (op.requant === undefined) throw internalError(`quantized op ${op.name} (${op.kind}) has no requant parameters`);
  return op.requant;
}

function quantParams(graph: Graph, op: Op): QuantParams {
  const r = requantOf(op);
  const x = graph.tensors[op.inputs[0]!]!;
  const w = graph.tensors[op.inputs[1]!]!;
  const y = graph.tensors[op.outputs[0]!]!;
  return {
    inputZeroPoint: zeroPoint(x, 'input'),
    filterZeroPoint: w.quant?.zeroPoint[0] ?? 0,
    outputZeroPoint: zeroPoint(y, 'output'),
    multiplier: r.multiplier,
    shift: r.shift,
    actMin: r.actMin,
    actMax: r.actMax,
  };
}

function expect<T extends TensorData>(d: TensorData, ctor: { new (n: number): T; name: string }, op: Op, what: string): T {
  if (!(d instanceof ctor)) {
    throw badInput(`op ${op.name} (${op.kind}): ${what} must be ${ctor.name}, got ${d.constructor.name}`);
  }
  return d;
}

function quantData(d: TensorData, op: Op, what: string): QuantArray {
  if (d instanceof Int8Array || d instanceof Uint8Array) return d;
  throw badInput(`op ${op.name} (${op.kind}): ${what} must be int8 or uint8, got ${dtypeOfData(d)}`);
}

function runOp(graph: Graph, op: Op, read: (id: number | undefined, op: Op) => TensorData): TensorData {
  const xT = graph.tensors[op.inputs[0]!]!;
  const yT = graph.tensors[op.outputs[0]!]!;
  const x = read(op.inputs[0], op);
  const quantized = isQuantizedDType(xT.dtype);
  if (!quantized && xT.dtype !== 'float32') {
    throw badInput(`op ${op.name} (${op.kind}): input dtype ${xT.dtype} is not supported (float32, int8, uint8)`);
  }
  const def = opDef(op);
  if (quantized && yT.dtype !== xT.dtype && def.convertsDType === undefined) {
    throw badInput(`op ${op.name} (${op.kind}): mixed ${xT.dtype} input and ${yT.dtype} output is not supported`);
  }
  const out = allocateFor(yT);
  const ctx: RunContext = {
    graph,
    xT,
    yT,
    x,
    out,
    quantized,
    read: (k) => read(op.inputs[k], op),
    // Operand i if the op has it (absent or -1 means none, e.g. a conv without bias), checked to be a `ctor`.
    optional: (k, ctor, what) => (op.inputs[k] === undefined || op.inputs[k]! < 0 ? undefined : expect(read(op.inputs[k], op), ctor, op, what)),
    expect: (d, ctor, what) => expect(d, ctor, op, what),
    quantData: (d, what) => quantData(d, op, what),
    quantParams: () => quantParams(graph, op),
    requant: () => requantOf(op),
    perTensor: (t, what) => perTensor(t, op, what),
    zeroPoint,
    window: () => windowGeometry(graph, op),
  };
  return def.run(op, ctx);
}
