/**
 * Post-training quantization (docs/NUMERICS.md, "Post-training
 * quantization"): float graph (folded, fused) + calibration inputs → int8
 * graph with int8 input and output, per-channel symmetric int8 weights and
 * int32 biases. Requant parameters are left to the requantize pass.
 */
import { badInput, internalError } from '../model/errors.js';
import type { Graph, Quantization, Tensor } from '../model/ir.js';
import { roundHalfAwayFromZero } from '../numerics/fixedpoint.js';
import { runGraph } from '../reference/interpreter.js';
import { opDef } from '../ops/registry.js';

export interface Range {
  min: number;
  max: number;
}

/**
 * Per activation tensor, min/max over every calibration run, widened to include 0.
 * A value that is not finite (a float32 overflow, e.g. deep in a long stack of
 * seeded layers) has no int8 scale: a bad-input error naming the first such tensor.
 */
export function calibrate(graph: Graph, inputs: readonly Float32Array[]): Map<number, Range> {
  const ranges = new Map<number, Range>();
  let nonFinite: { id: number; value: number } | undefined;
  const see = (id: number, d: ArrayLike<number>) => {
    let r = ranges.get(id);
    if (!r) {
      r = { min: 0, max: 0 };
      ranges.set(id, r);
    }
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (v < r.min) r.min = v;
      if (v > r.max) r.max = v;
      if (v - v !== 0 && !nonFinite) nonFinite = { id, value: v }; // the values come in op order: the first is the earliest
    }
  };
  for (const x of inputs) {
    const { values } = runGraph(graph, [x]);
    see(graph.inputs[0]!, x);
    for (const [id, d] of values) see(id, d);
  }
  if (nonFinite) {
    const t = graph.tensors[nonFinite.id]!;
    throw badInput(
      `calibration: tensor ${t.name} takes the value ${nonFinite.value} on a calibration input (float32 overflow); a model whose float activations are not finite cannot be quantized to int8`,
    );
  }
  return ranges;
}

/** Asymmetric int8 parameters of a range (which includes 0). */
export function activationQuant(r: Range): Quantization {
  let scale = Math.fround((r.max - r.min) / 255);
  // An all-zero tensor: any scale represents it; 1 keeps multipliers finite.
  if (!(scale > 0)) scale = 1;
  const zp = Math.min(127, Math.max(-128, roundHalfAwayFromZero(-128 - r.min / scale)));
  return { scale: [scale], zeroPoint: [zp === 0 ? 0 : zp], axis: 0 }; // no -0
}

/** Per-channel symmetric int8 weights along `axis`. */
export function quantizeWeights(w: Float32Array, shape: readonly number[], axis: number): { data: Int8Array; quant: Quantization } {
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const ch = (i: number) => Math.floor(i / inner) % channels;
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) maxAbs[ch(i)] = Math.max(maxAbs[ch(i)]!, Math.abs(w[i]!));
  const scale = Array.from(maxAbs, (m) => (m === 0 ? 1 : Math.fround(m / 127)));
  const data = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) data[i] = Math.min(127, Math.max(-127, roundHalfAwayFromZero(w[i]! / scale[ch(i)]!)));
  return { data, quant: { scale, zeroPoint: scale.map(() => 0), axis } };
}

/** A constant activation-like operand: per-tensor asymmetric int8 of its range widened to 0, values rounded half away from zero. */
export function quantizeConstant(v: Float32Array): { data: Int8Array; quant: Quantization } {
  let min = 0;
  let max = 0;
  for (const x of v) {
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const quant = activationQuant({ min, max });
  const s = quant.scale[0]!;
  const zp = quant.zeroPoint[0]!;
  const data = Int8Array.from(v, (x) => Math.min(127, Math.max(-128, roundHalfAwayFromZero(x / s) + zp)));
  return { data, quant };
}

/** int32 bias with scale[c] = fround(sIn · sW[c]). */
export function quantizeBias(b: Float32Array, inputScale: number, weightScales: readonly number[]): { data: Int32Array; quant: Quantization } {
  const scale = Array.from(b, (_, c) => Math.fround(inputScale * weightScales[weightScales.length === 1 ? 0 : c]!));
  const data = new Int32Array(b.length);
  for (let c = 0; c < b.length; c++) {
    data[c] = Math.min(2147483647, Math.max(-2147483648, roundHalfAwayFromZero(b[c]! / scale[c]!)));
  }
  return { data, quant: { scale, zeroPoint: scale.map(() => 0), axis: 0 } };
}

/** The int8 graph. `graph` must be float32, folded and fused. */
export function quantizeGraph(graph: Graph, calibration: readonly Float32Array[]): Graph {
  if (calibration.length === 0) throw internalError('quantizeGraph: no calibration inputs');
  const ranges = calibrate(graph, calibration);
  const tensors: Tensor[] = [...graph.tensors];
  const quantOf = new Map<number, Quantization>();
  const setAct = (id: number, q: Quantization) => {
    quantOf.set(id, q);
    tensors[id] = { ...graph.tensors[id]!, dtype: 'int8', quant: q };
  };
  const rangeQuant = (id: number): Quantization => {
    const r = ranges.get(id);
    if (!r) throw internalError(`quantizeGraph: no calibration range for tensor ${graph.tensors[id]!.name}`);
    return activationQuant(r);
  };
  const done = new Set<number>();
  const setConst = (id: number, t: Tensor) => {
    if (done.has(id)) throw internalError(`quantizeGraph: constant ${t.name} is shared by two ops`);
    done.add(id);
    tensors[id] = t;
  };

  for (const id of graph.inputs) setAct(id, rangeQuant(id));
  graph.ops.forEach((op, index) => {
    const xq = quantOf.get(op.inputs[0]!);
    if (!xq) throw internalError(`quantizeGraph: op ${index} (${op.name}) reads an unquantized tensor`);
    opDef(op).quantize(op, {
      graph,
      index,
      xq,
      isQuantized: (id) => quantOf.has(id),
      setAct,
      rangeQuant,
      quantizeWeights(id, axis) {
        const f = graph.tensors[id]!;
        const wq = quantizeWeights(f.data as Float32Array, f.shape, axis);
        setConst(id, { ...f, dtype: 'int8', data: wq.data, quant: wq.quant });
        return wq.quant.scale;
      },
      quantizeBias(id, weightScales) {
        const b = graph.tensors[id]!;
        const bq = quantizeBias(b.data as Float32Array, xq.scale[0]!, weightScales);
        setConst(id, { ...b, dtype: 'int32', data: bq.data, quant: bq.quant });
      },
      quantizeConstant(id) {
        const c = graph.tensors[id]!;
        const cq = quantizeConstant(c.data as Float32Array);
        setConst(id, { ...c, dtype: 'int8', data: cq.data, quant: cq.quant });
        return cq.quant;
      },
    });
  });
  return { ...graph, tensors };
}
