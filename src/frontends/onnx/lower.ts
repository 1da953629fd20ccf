/**
 * The QDQ lowering at the end of the import (lowerQdq): the float graph plus quantization facts → the
 * quantized IR the TFLite importer makes (int8 / uint8 tensors, quantized weights and int32 biases), with
 * dequantize / quantize ops where an op runs in float32.
 */
import type { Op } from '../../model/ir.js';
import type { Ctx } from './context.js';
import { sameQ, type NodeRef, type QParams } from './values.js';

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

/**
 * Gives the quantized tensors their dtype and parameters and each op the form that reads and writes them:
 * an op whose output is quantized, whose activation inputs are all quantized and which has a quantized form
 * (QUANTIZABLE; weights and biases through DequantizeLinear) becomes that form, with its output in its own
 * parameters where the op fixes them (views, pads and pools keep their input's; softmax 1/256) and a quantize
 * (requantization) to the QuantizeLinear's after it. Any other op runs in float32, with a dequantize in front
 * of each quantized input and a quantize after it when its output is quantized (the ONNX meaning, no
 * approximation). A graph output that the model gives as float gets a dequantize.
 */
export function lowerQdq(cx: Ctx, outputs: number[], floatOut: readonly boolean[]): void {
  const T = cx.tensors;
  const aq = cx.actQuant;
  const isConst = (id: number) => T[id]!.data !== undefined;
  // uint8 activations run as int8 (q − 128 with zero point − 128: the same real values), so int8 weights
  // (onnxruntime's U8S8) and every int8 kernel apply; they stay uint8 where uint8 constants (legacy uint8
  // weights) or a uint8 graph output ask for it.
  if (
    [...aq.values()].some((q) => q.dtype === 'uint8') &&
    ![...cx.dqConsts.values()].some((c) => c.dtype === 'uint8') &&
    outputs.every((id, k) => floatOut[k] || aq.get(id)?.dtype !== 'uint8')
  ) {
    for (const [id, q] of aq) if (q.dtype === 'uint8') aq.set(id, { dtype: 'int8', scale: q.scale, zp: q.zp - 128 });
  }
  // Views and zero pads of a quantized tensor are quantized alike.
  for (const op of cx.ops)
    if ((op.kind === 'reshape' || op.kind === 'pad') && aq.has(op.inputs[0]!) && !aq.has(op.outputs[0]!)) aq.set(op.outputs[0]!, aq.get(op.inputs[0]!)!);
  // Conv → Relu / Clip → QuantizeLinear: the op before the activation writes the activation's parameters.
  const uses = new Array<number>(T.length).fill(0);
  for (const op of cx.ops) for (const i of op.inputs) uses[i]!++;
  for (const o of outputs) uses[o]!++;
  for (let i = cx.ops.length - 1; i >= 0; i--) {
    const op = cx.ops[i]!;
    const x = op.inputs[0]!;
    if (op.kind === 'activation' && aq.has(op.outputs[0]!) && !aq.has(x) && uses[x] === 1 && cx.producer.has(x)) aq.set(x, aq.get(op.outputs[0]!)!);
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
  for (const op of cx.ops) {
    const out = op.outputs[0]!;
    const q = aq.get(out);
    if (op.kind === 'quantize') {
      ops.push(op);
      continue;
    }
    const acts = op.inputs.filter((id) => !isConst(id));
    if (q && QUANTIZABLE.has(op.kind) && acts.every((id) => aq.get(id)?.dtype === q.dtype) && quantizeConstants(cx, op, q)) {
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
  cx.ops.length = 0;
  cx.ops.push(...ops);
}

/** The node an IR op came from (its name starts with the node's index). */
export function nodeOf(cx: Ctx, op: Op): NodeRef {
  const index = Number.parseInt(op.name, 10);
  return { node: cx.g.node[index]!, index };
}

/**
 * A quantized op's constants in integers: weights (through DequantizeLinear) int8 symmetric, per tensor or
 * per output channel, or uint8 per tensor under uint8 activations; the bias int32 at input scale × weight
 * scale (an int32 DequantizeLinear at that scale, or float32 rounded to it); a constant operand of add / mul
 * quantized per tensor in the activations' type. False when a constant has no quantized form here (the op
 * then runs in float32); throws on quantized constants no kernel takes.
 */
export function quantizeConstants(cx: Ctx, op: Op, q: QParams): boolean {
  const T = cx.tensors;
  const consts = op.inputs.map((id, k) => [id, k] as const).filter(([id]) => T[id]!.data !== undefined);
  if (consts.length === 0) return true;
  if (op.kind === 'add' || op.kind === 'mul') {
    const [id] = consts[0]!;
    const cq = cx.constQuant.get(id);
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
    throw cx.nodeErr(nodeOf(cx, op), msg);
  };
  const wid = op.inputs[1]!;
  const w = T[wid]!;
  const wq = cx.constQuant.get(wid);
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
    const sIn = cx.actQuant.get(op.inputs[0]!)!.scale;
    const want = Array.from({ length: oc }, (_, c) => Math.fround(sIn * scales[perChannel ? c : 0]!));
    const bq = cx.constQuant.get(bid);
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
