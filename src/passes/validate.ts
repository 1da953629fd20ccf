/**
 * Structural check of a graph: tensor ids, operand counts, shapes and dtypes
 * per op. Run on what a frontend produced (a failure is the model's fault:
 * bad input) and after the passes (a failure is ours: internal error).
 */
import { badInput, internalError, type MobilecError } from '../model/errors.js';
import { dtypeRange, elementCount, isQuantizedDType, type Graph, type Op, type Tensor } from '../model/ir.js';
import { outputExtent } from '../model/geometry.js';

const OPERANDS: Readonly<Record<Op['kind'], [number, number]>> = {
  conv2d: [2, 3],
  depthwise_conv2d: [2, 3],
  batch_norm: [5, 5],
  activation: [1, 1],
  average_pool2d: [1, 1],
  max_pool2d: [1, 1],
  fully_connected: [2, 3],
  softmax: [1, 1],
  reshape: [1, 1],
  pad: [1, 1],
  quantize: [1, 1],
  dequantize: [1, 1],
  add: [2, 2],
};

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
    const [lo, hi] = OPERANDS[op.kind];
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
    const converts = op.kind === 'quantize' || op.kind === 'dequantize';
    if (!converts && y.dtype !== x.dtype) fail(`output ${y.name} has dtype ${y.dtype}, its input ${x.dtype}`);
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
      const oh = outputExtent(x.shape[1]!, kh, sh, padding);
      const ow = outputExtent(x.shape[2]!, kw, sw, padding);
      if (oh < 1 || ow < 1) fail(`window ${kh}x${kw} does not fit input ${fmt(x.shape)} with padding ${padding}`);
      expectShape(y, [x.shape[0]!, oh, ow, channels], 'output');
    };

    switch (op.kind) {
      case 'conv2d':
      case 'depthwise_conv2d': {
        need4d(x, 'input');
        const f = constant(1, 'filter', weightDtypes)!;
        need4d(f, 'filter');
        const [o, kh, kw, i] = f.shape as [number, number, number, number];
        let channels: number;
        if (op.kind === 'conv2d') {
          if (i !== x.shape[3]) fail(`filter ${f.name} ${fmt(f.shape)} expects ${i} input channels, input has ${x.shape[3]}`);
          channels = o;
        } else {
          const m = op.depthMultiplier;
          if (o !== 1 || i !== x.shape[3]! * m) fail(`filter ${f.name} ${fmt(f.shape)} must be [1, KH, KW, ${x.shape[3]! * m}] (channels x depthMultiplier ${m})`);
          channels = i;
        }
        const b = constant(2, 'bias', biasDtypes);
        if (b) expectShape(b, [channels], 'bias');
        window(kh, kw, op.strideH, op.strideW, op.padding, channels);
        break;
      }
      case 'batch_norm': {
        if (quant) fail('batch norm must be folded before quantization');
        for (let k = 1; k < 5; k++) expectShape(constant(k, 'batch-norm parameter', ['float32'])!, [x.shape[x.shape.length - 1]!], 'batch-norm parameter');
        expectShape(y, x.shape, 'output');
        break;
      }
      case 'activation':
      case 'softmax':
        expectShape(y, x.shape, 'output');
        break;
      case 'average_pool2d':
      case 'max_pool2d':
        need4d(x, 'input');
        window(op.filterH, op.filterW, op.strideH, op.strideW, op.padding, x.shape[3]!);
        break;
      case 'fully_connected': {
        const w = constant(1, 'weights', weightDtypes)!;
        if (w.shape.length !== 2) fail(`weights ${w.name} must be [O, I], has shape ${fmt(w.shape)}`);
        const [o, i] = w.shape as [number, number];
        const n = elementCount(x.shape);
        if (n % i !== 0) fail(`input ${x.name} ${fmt(x.shape)} (${n} values) does not flatten to rows of ${i}`);
        const b = constant(2, 'bias', biasDtypes);
        if (b) expectShape(b, [o], 'bias');
        expectShape(y, [n / i, o], 'output');
        break;
      }
      case 'reshape':
        if (elementCount(y.shape) !== elementCount(x.shape)) fail(`output ${fmt(y.shape)} and input ${fmt(x.shape)} differ in element count`);
        break;
      case 'pad': {
        const p = op.paddings;
        if (x.shape.length > 4) fail(`input ${x.name} ${fmt(x.shape)} has more than 4 dimensions`);
        if (p.length !== x.shape.length) fail(`has ${p.length} [before, after] paddings for the ${x.shape.length}-D input ${x.name}`);
        if (p.some((ba) => ba.length !== 2 || ba.some((v) => !Number.isInteger(v) || v < 0))) {
          fail(`paddings ${JSON.stringify(p)} must be non-negative integer [before, after] pairs`);
        }
        expectShape(y, x.shape.map((d, i) => d + p[i]![0] + p[i]![1]), 'output');
        if (quant) {
          perTensor(x, 'input');
          perTensor(y, 'output');
          if (x.quant!.scale[0] !== y.quant!.scale[0] || x.quant!.zeroPoint[0] !== y.quant!.zeroPoint[0]) {
            fail(`output ${y.name} must have its input's scale and zero point (quantized pad copies values)`);
          }
        }
        break;
      }
      case 'quantize':
        if (quant) perTensor(x, 'input');
        perTensor(y, 'output');
        expectShape(y, x.shape, 'output');
        break;
      case 'dequantize':
        perTensor(x, 'input');
        if (y.dtype !== 'float32') fail(`output ${y.name} must be float32, has dtype ${y.dtype}`);
        expectShape(y, x.shape, 'output');
        break;
      case 'add': {
        const x2 = T[op.inputs[1]!]!;
        if (x2.dtype !== x.dtype) fail(`input 1 ${x2.name} has dtype ${x2.dtype}, input 0 ${x.dtype}`);
        expectShape(x2, x.shape, 'input 1 (no broadcasting)');
        expectShape(y, x.shape, 'output');
        if (quant) {
          perTensor(x, 'input 0');
          perTensor(x2, 'input 1');
          perTensor(y, 'output');
        }
        break;
      }
    }
  });
  for (const id of graph.outputs) if (!available.has(id)) throw err(`graph output ${T[id]!.name} is never computed`);
  return graph;
}
