/**
 * Requantization parameters of every quantized op (docs/NUMERICS.md,
 * "Effective output scale"): conv / depthwise / FC get per-channel
 * multiplier + shift and the fused activation's clamp; pools get the clamp
 * only; softmax gets its fixed-point input scaling. Float ops are untouched.
 */
import { internalError } from '../model/errors.js';
import { isQuantizedDType, type Graph, type Op, type Tensor } from '../model/ir.js';
import { activationRange, prepareSoftmax, quantizeMultiplier } from '../numerics/fixedpoint.js';

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
    const dtype = y.dtype;
    switch (op.kind) {
      case 'conv2d':
      case 'depthwise_conv2d':
      case 'fully_connected': {
        const w = graph.tensors[op.inputs[1]!]!;
        const sIn = scaleOf(x, op);
        const sOut = scaleOf(y, op);
        const wScales = w.quant?.scale;
        if (!wScales) throw internalError(`requantize: op ${op.name}: weights ${w.name} have no quantization`);
        // TFLite forms sIn·sW in float32 for FC and for uint8 (legacy) inputs.
        const floatProduct = op.kind === 'fully_connected' || x.dtype === 'uint8';
        const mults: number[] = [];
        const shifts: number[] = [];
        for (const sW of wScales) {
          const real = floatProduct ? Math.fround(sIn * sW) / sOut : (sIn * sW) / sOut;
          const { multiplier, shift } = quantizeMultiplier(real);
          mults.push(multiplier);
          shifts.push(shift);
        }
        const [actMin, actMax] = activationRange(op.activation, sOut, y.quant!.zeroPoint[0]!, dtype);
        changed = true;
        return { ...op, requant: { multiplier: mults, shift: shifts, actMin, actMax } };
      }
      case 'average_pool2d':
      case 'max_pool2d': {
        const [actMin, actMax] = activationRange(op.activation, scaleOf(y, op), y.quant!.zeroPoint[0]!, dtype);
        changed = true;
        return { ...op, requant: { multiplier: [], shift: [], actMin, actMax } };
      }
      case 'softmax':
        changed = true;
        return { ...op, softmaxQuant: prepareSoftmax(op.beta, scaleOf(x, op)) };
      default:
        return op;
    }
  });
  return changed ? { ...graph, ops } : graph;
}
