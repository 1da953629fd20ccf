/**
 * Structural check of a graph: tensor ids, operand counts, shapes and dtypes
 * per op. Run on what a frontend produced (a failure is the model's fault:
 * bad input) and after the passes (a failure is ours: internal error).
 */
import { badInput, internalError, type MobilecError } from '../model/errors.js';
import { dtypeRange, elementCount, isQuantizedDType, type Graph, type Tensor } from '../model/ir.js';
import { outputExtent } from '../model/geometry.js';
import { opDef } from '../ops/registry.js';

const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

export function validateGraph(graph: Graph, kind: 'bad-input' | 'internal' = 'bad-input'): Graph {
  const err = (msg: string): MobilecError => (kind === 'internal' ? internalError : badInput)(`model ${graph.name}: ${msg}`);
  const T = graph.tensors;
  T.forEach((t, i) => {
    const where = `tensor ${i} (${t.name})`;
    if (t.id !== i) throw err(`${where}: id ${t.id} differs from its index`);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 1)) throw err(`${where}: shape ${fmt(t.shape)} must have positive integer dimensions`);
    if (t.data && t.data.length !== elementCount(t.shape)) {
      throw err(`${where}: holds ${t.data.length} values, shape ${fmt(t.shape)} needs ${elementCount(t.shape)}`);
    }
    if (isQuantizedDType(t.dtype) && !t.quant) throw err(`${where}: ${t.dtype} tensor without quantization parameters`);
    // A NaN or infinite weight has no defined result (C and the reference would each propagate it their own way).
    if (t.data && t.dtype === 'float32') {
      const d = t.data as Float32Array;
      for (let k = 0; k < d.length; k++) {
        // Bad input in either mode: after the passes, a folded batch norm can overflow what the model gave.
        if (!Number.isFinite(d[k]!)) throw badInput(`model ${graph.name}: ${where}: constant value ${k} is ${d[k]} (float32 constants must be finite)`);
      }
    }
  });
  const inRange = (id: number) => Number.isInteger(id) && id >= 0 && id < T.length;
  for (const id of [...graph.inputs, ...graph.outputs]) if (!inRange(id)) throw err(`graph input/output ${id} is not a tensor`);
  if (graph.ops.length === 0) throw err('has no ops');

  const available = new Set<number>(graph.inputs);
  graph.ops.forEach((op, index) => {
    const where = `op ${index} (${op.name}, ${op.kind})`;
    const fail = (msg: string): never => {
      throw err(`${where}: ${msg}`);
    };
    const def = opDef(op);
    const [lo, hi] = def.operands;
    if (op.inputs.length < lo || op.inputs.length > hi) fail(`takes ${lo === hi ? lo : `${lo} to ${hi}`} inputs, has ${op.inputs.length}`);
    if (op.outputs.length !== 1) fail(`must have 1 output, has ${op.outputs.length}`);
    for (const id of [...op.inputs, ...op.outputs]) if (!inRange(id)) fail(`refers to tensor ${id}, which does not exist`);
    op.inputs.forEach((id, k) => {
      if (!available.has(id) && !T[id]!.data) fail(`input ${k} (${T[id]!.name}) is read before any op computes it`);
    });
    const x = T[op.inputs[0]!]!;
    const y = T[op.outputs[0]!]!;
    if (x.data) fail(`input ${x.name} must be an activation, not a constant`);
    available.add(y.id);

    const quant = isQuantizedDType(x.dtype);
    if (!quant && x.dtype !== 'float32') fail(`input ${x.name} has dtype ${x.dtype} (supported: float32, int8, uint8)`);
    if (def.convertsDType !== true && y.dtype !== x.dtype) fail(`output ${y.name} has dtype ${y.dtype}, its input ${x.dtype}`);
    const constant = (k: number, what: string, dtypes: readonly string[]): Tensor | undefined => {
      const id = op.inputs[k];
      if (id === undefined) return undefined;
      const t = T[id]!;
      if (!t.data) fail(`${what} ${t.name} must be a constant`);
      if (!dtypes.includes(t.dtype)) fail(`${what} ${t.name} has dtype ${t.dtype} (expected ${dtypes.join(' or ')})`);
      return t;
    };
    const weightDtypes = quant ? ['int8', 'uint8'] : ['float32'];
    const biasDtypes = quant ? ['int32'] : ['float32'];
    const need4d = (t: Tensor, what: string) => {
      if (t.shape.length !== 4) fail(`${what} ${t.name} must be 4-D, has shape ${fmt(t.shape)}`);
    };
    const expectShape = (t: Tensor, shape: readonly number[], what: string) => {
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        fail(`${what} ${t.name} has shape ${fmt(t.shape)}, expected ${fmt(shape)}`);
      }
    };
    const perTensor = (t: Tensor, what: string) => {
      if (!isQuantizedDType(t.dtype)) fail(`${what} ${t.name} must be int8 or uint8, has dtype ${t.dtype}`);
      if (t.quant!.scale.length !== 1 || t.quant!.zeroPoint.length !== 1) fail(`${what} ${t.name} must be quantized per tensor`);
      const s = t.quant!.scale[0]!;
      if (!(s > 0) || !Number.isFinite(s)) fail(`${what} ${t.name} has scale ${s} (must be positive and finite)`);
      const [qmin, qmax] = dtypeRange(t.dtype as 'int8' | 'uint8');
      const zp = t.quant!.zeroPoint[0]!;
      if (!Number.isInteger(zp) || zp < qmin || zp > qmax) fail(`${what} ${t.name} has zero point ${zp} outside [${qmin}, ${qmax}]`);
    };
    const window = (kh: number, kw: number, sh: number, sw: number, padding: 'same' | 'valid', channels: number) => {
      if (sh < 1 || sw < 1) fail(`stride ${sh}x${sw} must be >= 1`);
      // The C kernels of windowed ops (conv, depthwise, pools: templates/kernels and the SIMD variants) run one image.
      if (x.shape[0] !== 1) fail(`input ${x.name} has batch ${x.shape[0]} (shape ${fmt(x.shape)}); supported: 1`);
      const oh = outputExtent(x.shape[1]!, kh, sh, padding);
      const ow = outputExtent(x.shape[2]!, kw, sw, padding);
      if (oh < 1 || ow < 1) fail(`window ${kh}x${kw} does not fit input ${fmt(x.shape)} with padding ${padding}`);
      expectShape(y, [x.shape[0]!, oh, ow, channels], 'output');
    };

    def.validate(op, { graph, x, y, quant, weightDtypes, biasDtypes, fail, constant, need4d, expectShape, perTensor, window });
  });
  for (const id of graph.outputs) if (!available.has(id)) throw err(`graph output ${T[id]!.name} is never computed`);
  return graph;
}
