/** The input/output signature of a graph, as the binding and the CLI see it. */
import type { Graph, Tensor } from '../model/ir.js';
import type { ModelSignature, TensorSignature } from './binding.js';

function tensorSignature(t: Tensor): TensorSignature {
  const perTensor = t.quant && t.quant.scale.length === 1;
  return {
    shape: t.shape,
    dtype: t.dtype,
    scale: perTensor ? t.quant!.scale[0]! : 1,
    zeroPoint: perTensor ? t.quant!.zeroPoint[0]! : 0,
  };
}

export function modelSignature(graph: Graph, name: string, arenaBytes: number): ModelSignature {
  return {
    name,
    input: tensorSignature(graph.tensors[graph.inputs[0]!]!),
    output: tensorSignature(graph.tensors[graph.outputs[0]!]!),
    layerCount: graph.ops.length,
    arenaBytes,
  };
}
