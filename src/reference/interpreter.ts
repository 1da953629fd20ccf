/**
 * The reference interpreter: runs a Graph op by op with the kernels in
 * ./kernels, the source of truth the generated C is compared against.
 */
import { allocate } from '../util/tensors.js';
import {
  dtypeRange,
  elementCount,
  isQuantizedDType,
  type DType,
  type Graph,
  type Op,
  type Requant,
  type Tensor,
  type TensorData,
} from '../model/ir.js';
import { windowGeometry } from '../model/geometry.js';
import { badInput, internalError } from '../model/errors.js';
import { activationRange } from '../numerics/fixedpoint.js';
import type { QuantArray, QuantParams } from './kernels/common.js';
import { conv2dFloat, conv2dQuant } from './kernels/conv2d.js';
import { depthwiseConv2dFloat, depthwiseConv2dQuant } from './kernels/depthwiseConv2d.js';
import { pool2dFloat, pool2dQuant } from './kernels/pool2d.js';
import { fullyConnectedFloat, fullyConnectedQuant } from './kernels/fullyConnected.js';
import { softmaxFloat, softmaxQuant } from './kernels/softmax.js';
import { batchNormFloat } from './kernels/batchNorm.js';
import { activationFloat, activationQuant } from './kernels/activation.js';
import { reshape } from './kernels/reshape.js';
import { pad } from './kernels/pad.js';
import { dequantize, quantizeFloat, requantizeQuant } from './kernels/quantize.js';
import { addFloat, addQuant } from './kernels/add.js';

export interface RunResult {
  readonly outputs: TensorData[];
  /** Every graph input and every tensor produced by an op, by tensor id. */
  readonly values: ReadonlyMap<number, TensorData>;
}

/** The dtype a typed array holds. */
export function dtypeOfData(d: TensorData): DType {
  if (d instanceof Float32Array) return 'float32';
  if (d instanceof Int8Array) return 'int8';
  if (d instanceof Uint8Array) return 'uint8';
  return 'int32';
}

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

function expect<T extends TensorData>(
  d: TensorData,
  ctor: { new (n: number): T; name: string },
  op: Op,
  what: string,
): T {
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
  const convertsDType = op.kind === 'reshape' || op.kind === 'quantize' || op.kind === 'dequantize';
  if (quantized && yT.dtype !== xT.dtype && !convertsDType) {
    throw badInput(`op ${op.name} (${op.kind}): mixed ${xT.dtype} input and ${yT.dtype} output is not supported`);
  }
  const out = allocateFor(yT);
  // Operand i if the op has it (absent or -1 means none, e.g. a conv without bias), checked to be a `ctor`.
  const optional = <T extends TensorData>(i: number, ctor: { new (n: number): T; name: string }, what: string): T | undefined =>
    op.inputs[i] === undefined || op.inputs[i]! < 0 ? undefined : expect(read(op.inputs[i], op), ctor, op, what);

  switch (op.kind) {
    case 'conv2d':
    case 'depthwise_conv2d': {
      const g = windowGeometry(graph, op);
      const f = read(op.inputs[1], op);
      if (quantized) {
        const q = quantParams(graph, op);
        const bias = optional(2, Int32Array, 'bias');
        const fn = op.kind === 'conv2d' ? conv2dQuant : depthwiseConv2dQuant;
        return fn(quantData(x, op, 'input'), quantData(f, op, 'filter'), bias, g, q, out as QuantArray);
      }
      const bias = optional(2, Float32Array, 'bias');
      const fn = op.kind === 'conv2d' ? conv2dFloat : depthwiseConv2dFloat;
      const xf = expect(x, Float32Array, op, 'input');
      const ff = expect(f, Float32Array, op, 'filter');
      return fn(xf, ff, bias, g, op.activation, out as Float32Array);
    }
    case 'average_pool2d':
    case 'max_pool2d': {
      const g = windowGeometry(graph, op);
      const kind = op.kind === 'average_pool2d' ? 'average' : 'max';
      if (quantized) {
        const r = requantOf(op);
        return pool2dQuant(quantData(x, op, 'input'), g, kind, r.actMin, r.actMax, out as QuantArray);
      }
      return pool2dFloat(expect(x, Float32Array, op, 'input'), g, kind, op.activation, out as Float32Array);
    }
    case 'fully_connected': {
      const wT = graph.tensors[op.inputs[1]!]!;
      const w = read(op.inputs[1], op);
      const [outDepth, inDepth] = wT.shape as [number, number];
      if (wT.shape.length !== 2 || x.length % inDepth !== 0) {
        throw badInput(
          `op ${op.name} (fully_connected): input of ${x.length} elements does not flatten to [batch, ${inDepth}] for weights [${wT.shape.join(', ')}]`,
        );
      }
      if (quantized) {
        const q = quantParams(graph, op);
        const bias = optional(2, Int32Array, 'bias');
        return fullyConnectedQuant(quantData(x, op, 'input'), quantData(w, op, 'weights'), bias, inDepth, outDepth, q, out as QuantArray);
      }
      const bias = optional(2, Float32Array, 'bias');
      const xf = expect(x, Float32Array, op, 'input');
      const wf = expect(w, Float32Array, op, 'weights');
      return fullyConnectedFloat(xf, wf, bias, inDepth, outDepth, op.activation, out as Float32Array);
    }
    case 'softmax': {
      const depth = xT.shape[xT.shape.length - 1] ?? 1;
      if (quantized) {
        if (op.softmaxQuant === undefined) throw internalError(`quantized op ${op.name} (softmax) has no softmaxQuant parameters`);
        const wantZp = yT.dtype === 'int8' ? -128 : 0;
        // As TFLite's prepare: int8 needs (1/256, -128); uint8 needs zero point 0.
        if (yT.quant?.zeroPoint[0] !== wantZp || (yT.dtype === 'int8' && yT.quant.scale[0] !== 1 / 256)) {
          throw badInput(`op ${op.name} (softmax): ${yT.dtype} output must have scale 1/256 and zero point ${wantZp}`);
        }
        return softmaxQuant(quantData(x, op, 'input'), depth, op.softmaxQuant, out as QuantArray);
      }
      return softmaxFloat(expect(x, Float32Array, op, 'input'), depth, op.beta, out as Float32Array);
    }
    case 'batch_norm': {
      if (quantized) throw badInput(`op ${op.name} (batch_norm): quantized batch norm is not supported; fold it first`);
      const params = [1, 2, 3, 4].map((i) => expect(read(op.inputs[i], op), Float32Array, op, `batch_norm operand ${i}`));
      const C = xT.shape[xT.shape.length - 1] ?? 1;
      for (const p of params) {
        if (p.length !== C) throw badInput(`op ${op.name} (batch_norm): parameters must have ${C} entries, got ${p.length}`);
      }
      return batchNormFloat(
        expect(x, Float32Array, op, 'input'),
        params[0]!,
        params[1]!,
        params[2]!,
        params[3]!,
        op.epsilon,
        out as Float32Array,
      );
    }
    case 'activation': {
      if (quantized) {
        const xq = xT.quant;
        const yq = yT.quant;
        if (xq === undefined || yq === undefined) throw internalError(`op ${op.name} (activation) has unquantized operands`);
        if (xq.scale[0] !== yq.scale[0] || xq.zeroPoint[0] !== yq.zeroPoint[0]) {
          throw badInput(`op ${op.name} (activation): quantized activation needs equal input and output quantization`);
        }
        const [lo, hi] = activationRange(op.activation, yq.scale[0]!, yq.zeroPoint[0]!, yT.dtype as 'int8' | 'uint8');
        return activationQuant(quantData(x, op, 'input'), lo, hi, out as QuantArray);
      }
      return activationFloat(expect(x, Float32Array, op, 'input'), op.activation, out as Float32Array);
    }
    case 'reshape': {
      if (x.length !== out.length || dtypeOfData(x) !== yT.dtype) {
        throw badInput(`op ${op.name} (reshape): cannot reshape ${x.length} ${dtypeOfData(x)} values to [${yT.shape.join(', ')}] ${yT.dtype}`);
      }
      return reshape(x);
    }
    case 'pad': {
      if (dtypeOfData(x) !== yT.dtype) {
        throw badInput(`op ${op.name} (pad): ${dtypeOfData(x)} input with ${yT.dtype} output is not supported`);
      }
      return pad(x, xT.shape, op.paddings, quantized ? zeroPoint(yT, 'output') : 0, out);
    }
    case 'quantize': {
      if (!isQuantizedDType(yT.dtype)) throw badInput(`op ${op.name} (quantize): output must be int8 or uint8, got ${yT.dtype}`);
      const [qmin, qmax] = dtypeRange(yT.dtype);
      const yq = perTensor(yT, op, 'output');
      if (!quantized) {
        return quantizeFloat(expect(x, Float32Array, op, 'input'), yq.scale, yq.zeroPoint, qmin, qmax, out as QuantArray);
      }
      const r = requantOf(op);
      if (r.multiplier.length !== 1 || r.shift.length !== 1) {
        throw internalError(`op ${op.name} (quantize): requantization needs one multiplier and shift`);
      }
      return requantizeQuant(
        quantData(x, op, 'input'),
        perTensor(xT, op, 'input').zeroPoint,
        r.multiplier[0]!,
        r.shift[0]!,
        yq.zeroPoint,
        qmin,
        qmax,
        out as QuantArray,
      );
    }
    case 'dequantize': {
      if (!quantized) throw badInput(`op ${op.name} (dequantize): input must be int8 or uint8, got ${xT.dtype}`);
      const xq = perTensor(xT, op, 'input');
      return dequantize(quantData(x, op, 'input'), xq.scale, xq.zeroPoint, expect(out, Float32Array, op, 'output'));
    }
    case 'add': {
      const x2T = graph.tensors[op.inputs[1]!]!;
      const x2 = read(op.inputs[1], op);
      if (x2.length !== x.length || dtypeOfData(x2) !== dtypeOfData(x) || out.length !== x.length) {
        throw badInput(`op ${op.name} (add): operands must have the same shape and dtype`);
      }
      if (quantized) {
        if (op.addQuant === undefined) throw internalError(`quantized op ${op.name} (add) has no addQuant parameters`);
        return addQuant(
          quantData(x, op, 'input 1'),
          quantData(x2, op, 'input 2'),
          perTensor(xT, op, 'input 1').zeroPoint,
          perTensor(x2T, op, 'input 2').zeroPoint,
          perTensor(yT, op, 'output').zeroPoint,
          op.addQuant,
          out as QuantArray,
        );
      }
      return addFloat(expect(x, Float32Array, op, 'input 1'), expect(x2, Float32Array, op, 'input 2'), op.activation, out as Float32Array);
    }
    default: {
      const never: never = op;
      throw internalError(`unknown op kind ${(never as Op).kind}`);
    }
  }
}
