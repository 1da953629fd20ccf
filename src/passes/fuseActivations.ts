/**
 * Activation fusion: a conv / depthwise / FC / pool / add / mul whose only consumer is a
 * standalone activation takes that activation into its `activation` field.
 */
import type { Graph, Op } from '../model/ir.js';
import { compact, useCounts } from './graphUtils.js';

const FUSIBLE = new Set<Op['kind']>(['conv2d', 'depthwise_conv2d', 'fully_connected', 'average_pool2d', 'max_pool2d', 'add', 'mul']);

export function fuseActivations(graph: Graph): Graph {
  const uses = useCounts(graph);
  const producedBy = new Map<number, number>();
  graph.ops.forEach((op, i) => {
    producedBy.set(op.outputs[0]!, i);
  });
  const ops: (Op | undefined)[] = [...graph.ops];
  let changed = false;
  graph.ops.forEach((act, actIndex) => {
    if (act.kind !== 'activation') return;
    const prodIndex = producedBy.get(act.inputs[0]!);
    if (prodIndex === undefined) return;
    const prod = ops[prodIndex];
    if (prod === undefined || !FUSIBLE.has(prod.kind) || uses[prod.outputs[0]!] !== 1) return;
    if (!('activation' in prod) || prod.activation !== 'none') return;
    // TFLite runs a quantized RELU as its own rescale + clamp: fused, it is the same only with equal input and output quantization.
    const [xq, yq] = [graph.tensors[act.inputs[0]!]!.quant, graph.tensors[act.outputs[0]!]!.quant];
    if ((xq || yq) && !(xq && yq && xq.scale[0] === yq.scale[0] && xq.zeroPoint[0] === yq.zeroPoint[0])) return;
    ops[prodIndex] = { ...prod, activation: act.activation, outputs: [...act.outputs] } as Op;
    ops[actIndex] = undefined;
    changed = true;
  });
  if (!changed) return graph;
  return compact({ ...graph, ops: ops.filter((o): o is Op => o !== undefined) });
}
