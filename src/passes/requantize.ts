/**
 * Requantization parameters of every quantized op (docs/NUMERICS.md,
 * "Effective output scale"): conv / depthwise / FC get per-channel
 * multiplier + shift and the fused activation's clamp; pools get the clamp
 * only; softmax gets its fixed-point input scaling; a q → q quantize gets
 * one multiplier + shift and the output dtype's full range; add gets its
 * `addQuant`. Float ops (and float → q quantize, dequantize) are untouched.
 * Each op's parameters are its definition's `requantize` (src/ops/<op>/).
 */
import { internalError } from '../model/errors.js';
import { isQuantizedDType, type Graph, type Op, type Tensor } from '../model/ir.js';
import { opDef } from '../ops/registry.js';

function scaleOf(t: Tensor, op: Op): number {
  const s = t.quant?.scale[0];
  if (s === undefined) throw internalError(`requantize: op ${op.name}: tensor ${t.name} has no quantization`);
  return s;
}

export function requantize(graph: Graph): Graph {
  let changed = false;
  const ops = graph.ops.map((op): Op => {
    const x = graph.tensors[op.inputs[0]!]!;
    const y = graph.tensors[op.outputs[0]!]!;
    if (!isQuantizedDType(x.dtype) || !isQuantizedDType(y.dtype)) return op;
    const def = opDef(op);
    if (!def.requantize) return op;
    changed = true;
    return def.requantize(op, { graph, x, y, dtype: y.dtype, scaleOf: (t) => scaleOf(t, op) });
  });
  return changed ? { ...graph, ops } : graph;
}
