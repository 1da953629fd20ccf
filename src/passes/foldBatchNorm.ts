/**
 * Batch-norm folding: conv2d / depthwise_conv2d (with or without bias)
 * followed by inference batch norm becomes one conv whose filter and bias
 * absorb the affine map, per output channel c:
 *   s = gamma[c] / sqrt(var[c] + eps)
 *   w'[.., c] = w[.., c] · s          (conv: axis 0; depthwise: last axis)
 *   b'[c] = (b[c] − mean[c]) · s + beta[c]   (b = 0 when the conv had none)
 * Computed in double, stored as float32.
 */
import type { Conv2DOp, DepthwiseConv2DOp, Graph, Op, Tensor } from '../model/ir.js';
import { elementCount } from '../model/ir.js';
import { compact, useCounts } from './graphUtils.js';

export function foldBatchNorm(graph: Graph): Graph {
  const uses = useCounts(graph);
  const producedBy = new Map<number, number>();
  graph.ops.forEach((op, i) => {
    producedBy.set(op.outputs[0]!, i);
  });
  const tensors: Tensor[] = [...graph.tensors];
  const ops: (Op | undefined)[] = [...graph.ops];
  let changed = false;

  graph.ops.forEach((bn, bnIndex) => {
    if (bn.kind !== 'batch_norm') return;
    const convIndex = producedBy.get(bn.inputs[0]!);
    if (convIndex === undefined) return;
    const conv = ops[convIndex];
    if (conv === undefined || (conv.kind !== 'conv2d' && conv.kind !== 'depthwise_conv2d')) return;
    if (conv.activation !== 'none' || uses[conv.outputs[0]!] !== 1) return;
    const consts = bn.inputs.slice(1).map((i) => tensors[i]!);
    const filter = tensors[conv.inputs[1]!]!;
    const oldBias = conv.inputs[2] !== undefined && conv.inputs[2] >= 0 ? tensors[conv.inputs[2]]! : undefined;
    if (filter.dtype !== 'float32' || !filter.data || consts.some((t) => !t.data || t.dtype !== 'float32')) return;
    if (oldBias && (!oldBias.data || oldBias.dtype !== 'float32')) return;
    const [gamma, beta, mean, variance] = consts.map((t) => t.data!) as [Float32Array, Float32Array, Float32Array, Float32Array];

    const channels = conv.kind === 'conv2d' ? filter.shape[0]! : filter.shape[3]!;
    const scale = new Float64Array(channels);
    for (let c = 0; c < channels; c++) scale[c] = gamma[c]! / Math.sqrt(variance[c]! + bn.epsilon);

    const w = filter.data as Float32Array;
    const folded = new Float32Array(w.length);
    const n = elementCount(filter.shape);
    if (conv.kind === 'conv2d') {
      const per = n / channels;
      for (let i = 0; i < n; i++) folded[i] = w[i]! * scale[Math.floor(i / per)]!;
    } else {
      for (let i = 0; i < n; i++) folded[i] = w[i]! * scale[i % channels]!;
    }
    const b = new Float32Array(channels);
    const ob = oldBias?.data as Float32Array | undefined;
    for (let c = 0; c < channels; c++) b[c] = ((ob ? ob[c]! : 0) - mean[c]!) * scale[c]! + beta[c]!;

    const fId = tensors.length;
    tensors.push({ id: fId, name: filter.name, shape: filter.shape, dtype: 'float32', data: folded });
    const bId = tensors.length;
    tensors.push({ id: bId, name: oldBias?.name ?? `${conv.name}/biases`, shape: [channels], dtype: 'float32', data: b });
    const merged: Conv2DOp | DepthwiseConv2DOp = { ...conv, inputs: [conv.inputs[0]!, fId, bId], outputs: [...bn.outputs] };
    ops[convIndex] = merged;
    ops[bnIndex] = undefined;
    changed = true;
  });
  if (!changed) return graph;
  return compact({ ...graph, tensors, ops: ops.filter((o): o is Op => o !== undefined) });
}
