/**
 * Shape ops: Flatten and Reshape (views where NCHW and NHWC order agree, or an NCHW flatten read by one
 * Gemm / MatMul whose weight columns dense.ts permutes), Pad, Concat; and the nodes folded at import on
 * constants (Constant, Shape, Gather, Unsqueeze, Concat of shape lists: PyTorch's flatten chain).
 */
import type { Ctx } from './context.js';
import { OnnxDataType, dataTypeName } from './proto.js';
import { readTensor } from './tensors.js';
import { MAX_RANK, fmt, product, sameOrder, type Act, type Const, type NodeRef, type Value } from './values.js';

/** A reshape the IR can do as a view: the element order is the same in NCHW and NHWC on both sides. */
export function view(cx: Ctx, r: NodeRef, x: Value, shape: readonly number[]): void {
  if (product(shape) !== product(x.shape)) throw cx.nodeErr(r, `cannot reshape ${fmt(x.shape)} to ${fmt(shape)}`);
  if (x.kind === 'const') {
    cx.define(r, { ...x, shape });
    return;
  }
  if (shape.length === x.shape.length && shape.every((d, k) => d === x.shape[k])) {
    cx.define(r, x);
    return;
  }
  if (!sameOrder(x.shape) && shape.length === 2 && shape[0] === x.shape[0] && readByWeights(cx, r)) {
    // [N, C, H, W] flattened for a Gemm / MatMul by constant weights: the IR flattens NHWC ([N, H·W·C])
    // and the weights' columns are permuted to match (fc()), so no activation moves.
    const y = cx.out(r, shape);
    cx.push({ kind: 'reshape', name: cx.opName(r), inputs: [x.id], outputs: [y.id] });
    cx.flattenedNchw.set(y.id, [x.shape[1]!, x.shape[2]!, x.shape[3]!]);
    return;
  }
  if (!sameOrder(x.shape) || !sameOrder(shape)) {
    throw cx.nodeErr(r, `reshaping ${fmt(x.shape)} to ${fmt(shape)} would reorder a channels-first tensor; supported when its spatial size or channels are 1`);
  }
  const y = cx.out(r, shape);
  cx.push({ kind: 'reshape', name: cx.opName(r), inputs: [x.id], outputs: [y.id] });
}

/** The node's one output is read by one Gemm or MatMul, as its input 0 (whose weights must be constants). */
export function readByWeights(cx: Ctx, r: NodeRef): boolean {
  const out = r.node.output[0] ?? '';
  if ((cx.uses.get(out) ?? 0) !== 1 || cx.g.output.some((o) => o.name === out)) return false;
  const reader = cx.g.node.find((n, i) => i > r.index && n.input.includes(out));
  return (
    reader !== undefined &&
    (reader.domain === '' || reader.domain === 'ai.onnx') &&
    (reader.opType === 'Gemm' || reader.opType === 'MatMul') &&
    reader.input[0] === out &&
    reader.input[1] !== out
  );
}

export function flatten(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['axis']);
  const x = cx.value(r, 0);
  const rank = x.shape.length;
  let axis = a.int('axis', 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) throw cx.nodeErr(r, `axis ${axis} is outside rank ${rank}`);
  view(cx, r, x, [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))]);
}

export function reshape(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['allowzero']);
  const x = cx.value(r, 0);
  const spec = cx.ints(r, 1, 'the shape');
  if (spec.shape.length !== 1 || spec.ints.length > MAX_RANK)
    throw cx.nodeErr(r, `the shape ${fmt(spec.ints)} must be a 1-D list of at most ${MAX_RANK} values`);
  const allowZero = a.int('allowzero', 0) === 1;
  const shape = spec.ints.map((d, k) => (d === 0 && !allowZero ? (x.shape[k] ?? Number.NaN) : d));
  const infer = shape.filter((d) => d === -1).length;
  if (infer > 1 || shape.some((d) => !Number.isSafeInteger(d) || d < -1 || d === 0))
    throw cx.nodeErr(r, `the shape ${fmt(spec.ints)} is not supported for input ${fmt(x.shape)}`);
  if (infer === 1) {
    const known = product(shape.filter((d) => d !== -1));
    const total = product(x.shape);
    if (total % known !== 0) throw cx.nodeErr(r, `cannot reshape ${fmt(x.shape)} to ${fmt(spec.ints)}`);
    shape[shape.indexOf(-1)] = total / known;
  }
  view(cx, r, x, shape);
}

export function pad(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['mode', 'pads', 'value']);
  if (a.string('mode', 'constant') !== 'constant') throw cx.nodeErr(r, `mode ${a.string('mode', '')} is not supported; supported: constant`);
  if (cx.has(r, 3)) throw cx.nodeErr(r, 'the axes input is not supported');
  const x = cx.act(r, 0);
  const pads = cx.has(r, 1) ? cx.ints(r, 1, 'pads').ints : a.ints('pads', []);
  const value = cx.has(r, 2) ? cx.scalar(r, 2, 'constant_value') : a.float('value', 0);
  if (value !== 0) throw cx.nodeErr(r, `constant value ${value} is not supported; supported: 0`);
  const rank = x.shape.length;
  if (pads.length !== 2 * rank || pads.some((p) => !Number.isSafeInteger(p) || p < 0))
    throw cx.nodeErr(r, `pads ${fmt(pads)} must be ${2 * rank} non-negative integers`);
  const pairs = x.shape.map((_, k) => [pads[k]!, pads[k + rank]!] as [number, number]);
  const shape = x.shape.map((d, k) => d + pairs[k]![0] + pairs[k]![1]);
  const y = cx.out(r, shape);
  const irPairs = rank === 4 ? [pairs[0]!, pairs[2]!, pairs[3]!, pairs[1]!] : pairs;
  cx.push({ kind: 'pad', name: cx.opName(r), inputs: [x.id], outputs: [y.id], paddings: irPairs });
}

export function concat(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['axis']);
  const vals = r.node.input.map((_, k) => cx.value(r, k));
  if (vals.length === 0) throw cx.nodeErr(r, 'has no inputs');
  const rank = vals[0]!.shape.length;
  let axis = a.int('axis', Number.NaN);
  if (axis < 0) axis += rank;
  if (!(axis >= 0 && axis < rank)) throw cx.nodeErr(r, `axis ${a.int('axis', Number.NaN)} is outside rank ${rank}`);
  if (vals.every((v) => v.kind === 'const' && v.ints !== undefined && v.shape.length === 1)) {
    // A shape list being built (PyTorch's flatten: Shape → Gather → Unsqueeze → Concat → Reshape).
    const ints = vals.flatMap((v) => (v as Const).ints!);
    cx.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: [ints.length], ints });
    return;
  }
  if (vals.some((v) => v.kind !== 'act' || v.shape.length !== rank)) throw cx.nodeErr(r, `inputs must be computed tensors of rank ${rank}`);
  const acts = vals as Act[];
  const channels = rank === 4 ? 1 : rank - 1;
  if (axis !== channels) throw cx.nodeErr(r, `axis ${axis} is not supported on rank ${rank}; supported: ${channels} (the channels)`);
  acts.forEach((v, k) => {
    if (v.shape.some((d, i) => i !== axis && d !== acts[0]!.shape[i]))
      throw cx.nodeErr(r, `input ${k} ${fmt(v.shape)} does not match input 0 ${fmt(acts[0]!.shape)} off the axis`);
  });
  const shape = [...acts[0]!.shape];
  shape[axis] = acts.reduce((s, v) => s + v.shape[axis]!, 0);
  const y = cx.out(r, shape);
  cx.push({ kind: 'concatenation', name: cx.opName(r), inputs: acts.map((v) => v.id), outputs: [y.id], axis: rank - 1 });
}

export function constant(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['value', 'value_float', 'value_floats', 'value_int', 'value_ints']);
  const name = r.node.output[0] ?? '';
  const t = a.tensor('value');
  if (t) cx.define(r, { ...readTensor(cx, t, `node ${r.index} '${r.node.name}' (Constant)`), name });
  else if (a.has('value_float')) cx.define(r, { kind: 'const', name, shape: [], floats: Float32Array.of(a.float('value_float', 0)) });
  else if (a.has('value_floats'))
    cx.define(r, { kind: 'const', name, shape: [a.floatList('value_floats').length], floats: Float32Array.from(a.floatList('value_floats')) });
  else if (a.has('value_int')) cx.define(r, { kind: 'const', name, shape: [], ints: [a.int('value_int', 0)] });
  else if (a.has('value_ints')) cx.define(r, { kind: 'const', name, shape: [a.ints('value_ints', []).length], ints: a.ints('value_ints', []) });
  else throw cx.nodeErr(r, 'has no value');
}

export function shapeOf(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['start', 'end']);
  const x = cx.value(r, 0);
  const rank = x.shape.length;
  const clampAxis = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  const ints = x.shape.slice(clampAxis(a.int('start', 0)), clampAxis(a.int('end', rank)));
  cx.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: [ints.length], ints });
}

export function gather(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['axis']);
  const data = cx.ints(r, 0, 'the data');
  const idx = cx.ints(r, 1, 'the indices');
  if (a.int('axis', 0) !== 0 || data.shape.length !== 1) throw cx.nodeErr(r, 'supported only on a 1-D integer constant along axis 0 (a shape)');
  const n = data.ints.length;
  const ints = idx.ints.map((i) => {
    const j = i < 0 ? i + n : i;
    if (!(j >= 0 && j < n)) throw cx.nodeErr(r, `index ${i} is outside [${-n}, ${n - 1}]`);
    return data.ints[j]!;
  });
  cx.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: idx.shape, ints });
}

export function unsqueeze(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['axes']);
  const x = cx.value(r, 0);
  if (x.kind !== 'const') throw cx.nodeErr(r, 'supported only on constants (a shape being built)');
  const axes = cx.has(r, 1) ? cx.ints(r, 1, 'axes').ints : a.ints('axes', []);
  const rank = x.shape.length + axes.length;
  const norm = axes.map((v) => (v < 0 ? v + rank : v));
  if (norm.some((v) => !(v >= 0 && v < rank)) || new Set(norm).size !== norm.length) throw cx.nodeErr(r, `axes ${fmt(axes)} are invalid for rank ${rank}`);
  const shape: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[k++]!);
  cx.define(r, { ...x, name: r.node.output[0] ?? '', shape });
}

/** Cast of a constant (a shape being computed: INT64 ↔ INT32, or to FLOAT); of a computed tensor it is refused. */
export function cast(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['to', 'saturate']);
  const x = cx.value(r, 0);
  if (x.kind !== 'const') throw cx.nodeErr(r, 'supported only on constants (a shape being computed)');
  const to = a.int('to', 0);
  const name = r.node.output[0] ?? '';
  const values = x.floats ? [...x.floats] : x.ints!;
  if (to === OnnxDataType.FLOAT) cx.define(r, { kind: 'const', name, shape: x.shape, floats: Float32Array.from(values) });
  else if (to === OnnxDataType.INT64 || to === OnnxDataType.INT32) {
    if (values.some((v) => !Number.isSafeInteger(Math.trunc(v)))) throw cx.nodeErr(r, 'a value does not fit the integer type');
    cx.define(r, { kind: 'const', name, shape: x.shape, ints: values.map((v) => Math.trunc(v)), type: to });
  } else throw cx.nodeErr(r, `to ${dataTypeName(to)} is not supported; supported: FLOAT, INT32, INT64`);
}

/** Slice of a 1-D integer constant (a shape being computed), ONNX's index clamping; starts / ends / axes / steps as attributes (opset < 10) or inputs. */
export function slice(cx: Ctx, r: NodeRef): void {
  const a = cx.attrs(r, ['starts', 'ends', 'axes']);
  const data = cx.ints(r, 0, 'the data');
  if (data.shape.length !== 1) throw cx.nodeErr(r, 'supported only on a 1-D integer constant (a shape)');
  const list = (k: number, attr: string, what: string, def?: number[]): readonly number[] | undefined =>
    cx.has(r, k) ? cx.ints(r, k, what).ints : a.has(attr) ? a.ints(attr, []) : def;
  const starts = list(1, 'starts', 'starts');
  const ends = list(2, 'ends', 'ends');
  const axes = list(3, 'axes', 'axes', [0])!;
  const steps = list(4, '', 'steps', [1])!;
  if (starts?.length !== 1 || ends?.length !== 1 || axes.length !== 1 || (axes[0] !== 0 && axes[0] !== -1) || steps.length !== 1 || steps[0] === 0)
    throw cx.nodeErr(r, 'supported only along axis 0 of a 1-D constant, one start, end and non-zero step');
  const n = data.ints.length;
  const step = steps[0]!;
  const norm = (v: number) => (v < 0 ? v + n : v);
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  const from = step > 0 ? clamp(norm(starts[0]!), 0, n) : clamp(norm(starts[0]!), 0, n - 1);
  const to = step > 0 ? clamp(norm(ends[0]!), 0, n) : clamp(norm(ends[0]!), -1, n - 1);
  const ints: number[] = [];
  for (let i = from; step > 0 ? i < to : i > to; i += step) ints.push(data.ints[i]!);
  cx.define(r, { kind: 'const', name: r.node.output[0] ?? '', shape: [ints.length], ints, type: data.type });
}
