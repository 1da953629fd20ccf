/** The input/output signature of a graph, as the binding and the CLI see it. */
import type { Graph } from '../model/ir.js';
import { boundaryTensor, type BoundaryTensor } from '../model/layout.js';
import type { ModelSignature, TensorSignature } from './binding.js';

/** In the model's own layout: an NCHW model's invoke takes and returns NCHW tensors. */
function tensorSignature(b: BoundaryTensor): TensorSignature {
  const t = b.tensor;
  const perTensor = t.quant && t.quant.scale.length === 1;
  return {
    shape: b.shape,
    ...(b.layout === 'NCHW' ? { layout: 'NCHW' as const } : {}),
    dtype: t.dtype,
    scale: perTensor ? t.quant!.scale[0]! : 1,
    zeroPoint: perTensor ? t.quant!.zeroPoint[0]! : 0,
  };
}

export function modelSignature(graph: Graph, name: string, arenaBytes: number): ModelSignature {
  return {
    name,
    input: tensorSignature(boundaryTensor(graph, 'input')),
    output: tensorSignature(boundaryTensor(graph, 'output')),
    layerCount: graph.ops.length,
    arenaBytes,
  };
}
