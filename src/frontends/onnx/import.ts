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
 * Dropout → nothing; Div by a constant → a mul by its reciprocal; Shape,
 * Gather, Unsqueeze, Cast, Slice, Concat and Constant on constants → folded
 * at import). Anything else is refused with one line naming the file, the
 * node (index, name, op type) and the supported list (exit 2). Every size is checked against the resource budget before it is
 * allocated.
 */
import { DEFAULT_BUDGET, overBudget, type Budget } from '../../model/budget.js';
import { badInput } from '../../model/errors.js';
import type { Graph } from '../../model/ir.js';
import { compact } from '../../passes/graphUtils.js';
import { sanitizeName } from '../description/index.js';
import { readModelFile } from '../modelFile.js';
import type { FrontendResult } from '../types.js';
import { basename, dirname, resolve } from 'node:path';
import { Ctx } from './context.js';
import { gemm, matmul } from './dense.js';
import { binary, clip, div, hardSigmoid, identity, relu, softmax, unary } from './elementwise.js';
import { lowerQdq } from './lower.js';
import { OnnxDataType, dataTypeName, decodeModel, int64, type ModelProto, type ValueInfoProto } from './proto.js';
import { dequantizeLinear, qlinear, quantizeLinear } from './qdq.js';
import { cast, concat, constant, flatten, gather, pad, reshape, shapeOf, slice, unsqueeze } from './shapes.js';
import { batchNorm, conv, globalAveragePool, pool } from './spatial.js';
import { fmt, type NodeRef } from './values.js';

export { irShape } from './values.js';

/** Maps one node: its IR ops pushed and its outputs defined on the context, or a refusal naming it. */
type Mapper = (cx: Ctx, r: NodeRef) => void;

/**
 * The ONNX operators (default domain) mobilec imports, in the order error messages list them: each one's
 * mapper and the most inputs it takes (ONNX's schemas; Concat takes any number).
 */
const OPS: Readonly<Record<string, { readonly maxInputs?: number; readonly map: Mapper }>> = {
  Conv: { maxInputs: 3, map: conv },
  BatchNormalization: { maxInputs: 5, map: batchNorm },
  Relu: { maxInputs: 1, map: relu },
  Clip: { maxInputs: 3, map: clip },
  HardSigmoid: { maxInputs: 1, map: hardSigmoid },
  HardSwish: { maxInputs: 1, map: unary },
  Sigmoid: { maxInputs: 1, map: unary },
  Add: { maxInputs: 2, map: binary },
  Mul: { maxInputs: 2, map: binary },
  Div: { maxInputs: 2, map: div },
  GlobalAveragePool: { maxInputs: 1, map: globalAveragePool },
  AveragePool: { maxInputs: 1, map: pool },
  MaxPool: { maxInputs: 1, map: pool },
  Gemm: { maxInputs: 3, map: gemm },
  MatMul: { maxInputs: 2, map: matmul },
  Flatten: { maxInputs: 1, map: flatten },
  Reshape: { maxInputs: 2, map: reshape },
  Pad: { maxInputs: 4, map: pad },
  Concat: { map: concat },
  Identity: { maxInputs: 1, map: identity },
  Dropout: { maxInputs: 3, map: identity },
  Softmax: { maxInputs: 1, map: softmax },
  Constant: { maxInputs: 0, map: constant },
  Shape: { maxInputs: 1, map: shapeOf },
  Gather: { maxInputs: 2, map: gather },
  Unsqueeze: { maxInputs: 2, map: unsqueeze },
  Cast: { maxInputs: 1, map: cast },
  Slice: { maxInputs: 5, map: slice },
  QuantizeLinear: { maxInputs: 3, map: quantizeLinear },
  DequantizeLinear: { maxInputs: 3, map: dequantizeLinear },
  QLinearConv: { maxInputs: 9, map: (cx, r) => qlinear(cx, r, 'Conv') },
  QLinearMatMul: { maxInputs: 8, map: (cx, r) => qlinear(cx, r, 'MatMul') },
};

/** The ONNX operators (default domain) mobilec imports, in the order error messages list them. */
export const SUPPORTED_ONNX_OPS: readonly string[] = Object.keys(OPS);

/** The QDQ ops, which read quantized tensors and integer constants directly. */
const QDQ_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'QLinearConv', 'QLinearMatMul']);

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
  const cx = new Ctx(model, file, dirname(resolve(path)), sanitizeName(path), budget);
  cx.convert = (r) => convert(cx, r);
  return { graph: buildGraph(cx) };
}

/** One node: the checks every op shares, then its mapper; an op not in OPS is refused with the supported list. */
function convert(cx: Ctx, r: NodeRef): void {
  const { node } = r;
  const unsupported = (type: string) => cx.err(`node ${r.index} '${node.name}' (${type}) is not supported; supported: ${SUPPORTED_ONNX_OPS.join(', ')}`);
  if (node.domain !== '' && node.domain !== 'ai.onnx') throw unsupported(`${node.domain}.${node.opType}`);
  const op = Object.hasOwn(OPS, node.opType) ? OPS[node.opType] : undefined;
  const most = op?.maxInputs;
  if (most !== undefined && node.input.length > most) throw cx.nodeErr(r, `has ${node.input.length} inputs; at most ${most}`);
  if (!QDQ_OPS.has(node.opType)) {
    node.input.forEach((name, k) => {
      const v = cx.values.get(name);
      if (v?.kind === 'act' && !v.dq && cx.actQuant.has(v.id))
        throw cx.nodeErr(r, `input ${k} ('${name}') is a QuantizeLinear's integer output; supported: read through DequantizeLinear`);
      if (v?.kind === 'const' && v.type !== undefined && v.type !== OnnxDataType.INT64 && v.type !== OnnxDataType.INT32)
        throw cx.nodeErr(r, `input ${k} ('${name}') is a ${dataTypeName(v.type)} constant; supported: read through DequantizeLinear`);
    });
  }
  if (op === undefined) throw unsupported(node.opType);
  op.map(cx, r);
}

function buildGraph(cx: Ctx): Graph {
  const g = cx.g;
  cx.tally.ops(g.node.length);
  for (const t of g.initializer) cx.initializers.set(t.name, t);
  for (const n of g.node) for (const i of n.input) if (i !== '') cx.uses.set(i, (cx.uses.get(i) ?? 0) + 1);
  for (const o of g.output) cx.uses.set(o.name, (cx.uses.get(o.name) ?? 0) + 1);
  const inputs: number[] = [];
  const inputShapes: number[][] = [];
  for (const vi of g.input) {
    if (cx.initializers.has(vi.name)) continue; // IR < 4 lists initializers among the inputs
    const shape = inputShape(cx, vi);
    const act = cx.newAct(vi.name, shape);
    cx.values.set(vi.name, act);
    inputs.push(act.id);
    inputShapes.push(shape);
  }
  if (inputs.length === 0) throw cx.err('the graph has no input');
  g.node.forEach((node, index) => {
    if (!cx.absorbed.has(index)) convert(cx, { node, index });
  });
  const outputs: number[] = [];
  const outputShapes: number[][] = [];
  const floatOut: boolean[] = [];
  for (const vi of g.output) {
    const v = cx.values.get(vi.name);
    if (v === undefined) throw cx.err(`graph output '${vi.name}' is never computed`);
    if (v.kind !== 'act') throw cx.err(`graph output '${vi.name}' is a constant`);
    const input = inputs.indexOf(v.id);
    if (input >= 0)
      throw cx.err(`graph output '${vi.name}' is graph input '${g.input.filter((i) => !cx.initializers.has(i.name))[input]!.name}' (no node computes it)`);
    const declared = vi.type?.tensorType?.shape?.dim;
    if (declared && declared.length > 0) {
      const d = declared.map((x) => (x.dimValue !== undefined && x.dimValue !== null ? int64(x.dimValue) : -1));
      if (d.length !== v.shape.length || d.some((n, k) => n > 0 && n !== v.shape[k])) {
        throw cx.err(`graph output '${vi.name}' declares shape ${fmt(d)}, its nodes compute ${fmt(v.shape)}`);
      }
    }
    outputs.push(v.id);
    outputShapes.push([...v.shape]);
    floatOut.push(v.dq === true || !cx.actQuant.has(v.id));
  }
  if (outputs.length === 0) throw cx.err('the graph has no output');
  // Through Identity or Dropout, a conv's output may have other readers than its BatchNormalization: not foldable.
  for (const { r, x } of cx.batchNorms) {
    const readers = cx.ops.filter((op) => op.inputs.includes(x)).length + outputs.filter((o) => o === x).length;
    if (readers !== 1) throw cx.nodeErr(r, 'is supported only right after a Conv whose output nothing else reads (it is folded into the Conv)');
  }
  if (cx.actQuant.size > 0) lowerQdq(cx, outputs, floatOut);
  const graph: Graph = {
    name: cx.name,
    tensors: cx.tensors,
    ops: cx.ops,
    inputs,
    outputs,
    source: { format: 'onnx', layout: 'NCHW', inputShapes, outputShapes },
  };
  return compact(graph);
}

function inputShape(cx: Ctx, vi: ValueInfoProto): number[] {
  const tt = vi.type?.tensorType;
  if (!tt) throw cx.err(`graph input '${vi.name}' is not a tensor`);
  if (tt.elemType !== OnnxDataType.FLOAT) throw cx.err(`graph input '${vi.name}' has type ${dataTypeName(tt.elemType)}; supported: FLOAT`);
  const dims = tt.shape?.dim ?? [];
  const shape = dims.map((d, k) => {
    const n = d.dimValue !== undefined && d.dimValue !== null ? int64(d.dimValue) : 0;
    if (n > 0) return n;
    if (k === 0) return 1; // a symbolic batch: one image
    throw cx.err(`graph input '${vi.name}' dimension ${k} is ${d.dimParam ? `symbolic ('${d.dimParam}')` : 'unknown'}; only the batch may be`);
  });
  if (shape.length !== 4 && shape.length !== 2) throw cx.err(`graph input '${vi.name}' has shape ${fmt(shape)}; supported: NCHW (rank 4) or [N, K]`);
  return shape;
}
