/**
 * Requantization parameters of every quantized op (docs/NUMERICS.md,
 * "Effective output scale"): conv / depthwise / FC get per-channel
 * multiplier + shift and the fused activation's clamp; pools get the clamp
 * only; softmax gets its fixed-point input scaling; a q → q quantize gets
 * one multiplier + shift and the output dtype's full range; add gets its
 * `addQuant`. Float ops (and float → q quantize, dequantize) are untouched.
 */
import { badInput, internalError } from '../model/errors.js';
import { dtypeRange, isQuantizedDType, type AddOp, type AddQuant, type Graph, type Op, type Tensor } from '../model/ir.js';
import { activationRange, prepareSoftmax, quantizeMultiplier } from '../numerics/fixedpoint.js';

function scaleOf(t: Tensor, op: Op): number {
  const s = t.quant?.scale[0];
  if (s === undefined) throw internalError(`requantize: op ${op.name}: tensor ${t.name} has no quantization`);
  return s;
}

/** TFLite's quantized ADD left shift for 8-bit inputs. */
export const ADD_LEFT_SHIFT = 20;

/**
 * TFLite CalculateOpDataAdd (int8/uint8): both inputs rescaled to twice the
 * larger input scale after a left shift of 20, the sum rescaled to the
 * output. Every real multiplier is < 1 (QuantizeMultiplierSmallerThanOneExp),
 * so every shift is ≤ 0.
 */
export function prepareAdd(op: AddOp, s1: number, s2: number, y: Tensor): AddQuant {
  const sOut = scaleOf(y, op);
  const twiceMax = 2 * Math.max(s1, s2);
  const real1 = s1 / twiceMax;
  const real2 = s2 / twiceMax;
  const realOut = twiceMax / ((1 << ADD_LEFT_SHIFT) * sOut);
  const fail = (what: string, r: number) =>
    badInput(`op ${op.name} (add): ${what} rescale ${r} must be in (0, 1) (input scales ${s1}, ${s2}, output scale ${sOut})`);
  for (const [what, r] of [['input 1', real1], ['input 2', real2], ['output', realOut]] as const) {
    if (!(r > 0 && r < 1)) throw fail(what, r);
  }
  const m1 = quantizeMultiplier(real1);
  const m2 = quantizeMultiplier(real2);
  const mOut = quantizeMultiplier(realOut);
  for (const [what, m, r] of [['input 1', m1, real1], ['input 2', m2, real2], ['output', mOut, realOut]] as const) {
    if (m.shift > 0) throw fail(what, r);
  }
  const [actMin, actMax] = activationRange(op.activation, sOut, y.quant!.zeroPoint[0]!, y.dtype as 'int8' | 'uint8');
  return {
    leftShift: ADD_LEFT_SHIFT,
    input1Multiplier: m1.multiplier,
    input1Shift: m1.shift,
    input2Multiplier: m2.multiplier,
    input2Shift: m2.shift,
    outputMultiplier: mOut.multiplier,
    outputShift: mOut.shift,
    actMin,
    actMax,
  };
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
      case 'quantize': {
        // TFLite Requantize: effective scale sIn / sOut in double, full output range.
        const { multiplier, shift } = quantizeMultiplier(scaleOf(x, op) / scaleOf(y, op));
        const [actMin, actMax] = dtypeRange(dtype);
        changed = true;
        return { ...op, requant: { multiplier: [multiplier], shift: [shift], actMin, actMax } };
      }
      case 'add':
        changed = true;
        return { ...op, addQuant: prepareAdd(op, scaleOf(x, op), scaleOf(graph.tensors[op.inputs[1]!]!, op), y) };
      default:
        return op;
    }
  });
  return changed ? { ...graph, ops } : graph;
}
