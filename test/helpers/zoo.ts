/**
 * The quantization torture zoo: MobileNetV1-shaped `.tflite` models, int8
 * with per-channel weights and uint8 with per-tensor weights and weight zero
 * points, whose quantization is adversarial: effective output scales above 1
 * (left shifts), exactly 1 and 0.5, in [0.5, 1) (no shift), tiny (shifts near
 * −31); activation zero points at both ends of the dtype; accumulators whose
 * bound passes 2^30 without leaving int32; an ADD whose input scales differ by
 * 2^10 either way; narrow clamps; odd channel counts; a 1-channel stem
 * depthwise with a depth multiplier. Written with the test TFLite builder and
 * read back through the real importer.
 *
 * `zooCensus` reads the properties back from the imported, requantized graph
 * (multipliers and shifts as the requantize pass computed them), so a test can
 * assert that every property is present per dtype and per op kind, and the
 * zoo cannot lose one unnoticed.
 */
import type { Graph } from '../../src/model/ir.js';
import { Prng } from '../../src/util/prng.js';
import { SpecBuilder, specFromGraph } from '../tflite/models.js';
import type { ModelSpec, TensorSpec } from './tfliteBuilder.js';

export type QDType = 'int8' | 'uint8';

/** The class of a channel's effective scale s_x · s_w / s_y. */
type ScaleClass = 'right' | 'zero' | 'half' | 'one' | 'left' | 'tiny';

/** Effective scales per class (a channel or tensor index picks one of the list). */
const EFFECTIVE: Readonly<Record<ScaleClass, readonly number[]>> = {
  right: [0.0037, 0.021, 0.00042, 0.13, 0.41, 2 ** -12 * 1.3],
  zero: [0.73, 0.51, 0.999],
  half: [0.5],
  one: [1],
  left: [1.7, 3.3, 37.5, 1000.25, 2.0000001],
  tiny: [2 ** -30 * 1.37, 2 ** -29 * 1.9],
};

/** Channel patterns of a per-channel layer: mostly right shifts with a few of every other class, all left/zero, all right. */
const PATTERNS: readonly (readonly ScaleClass[])[] = [
  ['right', 'right', 'left', 'right', 'one', 'right', 'half', 'zero', 'right', 'tiny', 'right', 'right'],
  ['left', 'one', 'zero', 'half', 'left', 'left'],
  ['right'],
  ['right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  ['zero', 'tiny', 'right', 'one'],
];
/**
 * The class of each weighted layer of a per-tensor (uint8) model, by model, in layer order (stem, dw1, pw1,
 * dw2, pw2, branch, dw3, pw3, hidden FC, FC): every class on every op kind across the four models, the
 * output-killing ones (tiny) placed late or on the residual branch, so most of the chain stays live.
 */
const TENSOR_CLASSES: readonly (readonly ScaleClass[])[] = [
  ['left', 'one', 'zero', 'half', 'right', 'tiny', 'right', 'one', 'zero', 'tiny'],
  ['one', 'left', 'half', 'zero', 'left', 'right', 'right', 'zero', 'one', 'left'],
  ['zero', 'half', 'left', 'one', 'right', 'half', 'tiny', 'right', 'left', 'half'],
  ['half', 'zero', 'one', 'left', 'zero', 'tiny', 'left', 'right', 'half', 'one'],
];
/** Per-tensor left-shift scales: large enough to shift, small enough that a layer's outputs stay live. */
const TENSOR_LEFT = [1.7, 3.3, 2.0000001, 6.5];

/** Activation zero points in turn: both ends of the dtype first. */
const ZPS: Readonly<Record<QDType, readonly number[]>> = { int8: [-128, 127, 0, -3, 90, -128, 127, 11], uint8: [0, 255, 128, 7, 200, 0, 255, 31] };
/** Weight zero points of uint8 layers in turn (per tensor). */
const WZPS = [0, 255, 128, 71, 1, 254];

export interface ZooModel {
  readonly name: string;
  readonly dtype: QDType;
  readonly spec: ModelSpec;
}

interface Shape {
  size: number;
  channels: 1 | 3;
  /** Channels after the stem, of the blocks, of the residual block, of the last block. */
  widths: [number, number, number, number];
  pool: 'avg' | 'mean';
  maxPool: boolean;
  softmax: boolean;
}

/** The models: per dtype, shapes that cover conv/depthwise stems, odd widths, both poolings. */
const SHAPES: readonly Shape[] = [
  { size: 16, channels: 3, widths: [8, 16, 24, 32], pool: 'avg', maxPool: false, softmax: true },
  { size: 20, channels: 3, widths: [12, 17, 33, 20], pool: 'mean', maxPool: true, softmax: false },
  { size: 16, channels: 1, widths: [8, 24, 16, 40], pool: 'avg', maxPool: true, softmax: false },
  { size: 12, channels: 3, widths: [5, 9, 40, 7], pool: 'mean', maxPool: false, softmax: true },
];

type Q = NonNullable<TensorSpec['quant']> & { zeroPoint: number[] };

/** One zoo model: stem, maxpool?, separable blocks, a residual ADD of two very differently scaled branches, pooled head of two FC layers. */
function zooModel(dtype: QDType, shapeIndex: number): ZooModel {
  const sh = SHAPES[shapeIndex]!;
  const rng = new Prng(1000 + shapeIndex * 7 + (dtype === 'int8' ? 0 : 3));
  const b = new SpecBuilder();
  const f = Math.fround;
  const type = dtype === 'int8' ? 'INT8' : 'UINT8';
  let tensorN = shapeIndex;
  let layerN = 0;
  /** A new activation quantization: a power-of-two scale (so effective scales 1 and 0.5 are exact) and the next zero point. */
  const actQ = (scale = 2 ** -rng.int(2, 8), zp = ZPS[dtype][tensorN++ % ZPS[dtype].length]!): Q => ({ scale: [f(scale)], zeroPoint: [zp] });
  const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
  /** A zero point at one end of the dtype, alternating with the model. */
  const extreme = (k: number) => ((shapeIndex + k) % 2 === 0 ? lo : hi);
  const act = (name: string, shape: number[], quant: Q) => b.tensor({ name, shape, type, quant });
  const sOf = (q: Q) => q.scale[0]!;

  /**
   * Weights and bias of a weighted layer with `channels` outputs along `axis`, scales chosen so each channel's
   * effective scale falls in its class; `acc` puts one channel's accumulator bound past 2^30.
   */
  const weights = (name: string, shape: number[], axis: number, xq: Q, yq: Q) => {
    const layer = layerN++;
    const n = shape.reduce((a, c) => a * c, 1);
    const channels = shape[axis]!;
    const pattern = PATTERNS[(layer + shapeIndex) % PATTERNS.length]!;
    const cls = (c: number): ScaleClass => (dtype === 'int8' ? pattern[(c + layer + shapeIndex) % pattern.length]! : TENSOR_CLASSES[shapeIndex]![layer]!);
    const eff = (c: number) => {
      const list = dtype === 'uint8' && cls(c) === 'left' ? TENSOR_LEFT : EFFECTIVE[cls(c)];
      return list[(c + layer + shapeIndex) % list.length]!;
    };
    const ratio = sOf(yq) / sOf(xq);
    const taps = n / channels;
    // Weights small enough that the channel's outputs stay live (not saturated) for live inputs: an amplitude
    // of about 30 output steps over sqrt(taps) inputs of about 40 steps, sparse where even +-1 is too much.
    const amplitude = (c: number) => 30 / (eff(c) * 40 * Math.sqrt(taps));
    const draw = (c: number) => {
      const a = amplitude(c);
      if (a < 1 && rng.next() > a) return 0;
      const m = Math.max(1, Math.min(127, Math.round(a)));
      return rng.int(-m, m);
    };
    const at = (i: number) => (axis === 0 ? Math.floor(i / taps) : i % channels);
    let wq: Q;
    let data: Int8Array | Uint8Array;
    let wZp = 0;
    if (dtype === 'int8') {
      const scale = Array.from({ length: channels }, (_, c) => f(eff(c) * ratio));
      wq = { scale, zeroPoint: scale.map(() => 0), quantizedDimension: axis };
      data = Int8Array.from({ length: n }, (_, i) => draw(at(i)));
    } else {
      wZp = WZPS[layer % WZPS.length]!;
      wq = { scale: [f(eff(0) * ratio)], zeroPoint: [wZp] };
      data = Uint8Array.from({ length: n }, (_, i) => Math.max(0, Math.min(255, wZp + draw(at(i)))));
    }
    // The bias: about 20 output steps, except on every other layer one channel's bound passes 2^30 (still inside int32).
    const xZp = xq.zeroPoint[0]!;
    const span = dtype === 'int8' ? Math.max(xZp + 128, 127 - xZp) : Math.max(xZp, 255 - xZp);
    const bias = Int32Array.from({ length: channels }, (_, c) => {
      const m = Math.round(Math.min(2 ** 20, 20 / eff(c)));
      return rng.int(-m, m);
    });
    if (layer % 2 === 0) {
      const c = layer % channels;
      let sum = 0;
      for (let k = 0; k < taps; k++) sum += Math.abs(data[axis === 0 ? c * taps + k : k * channels + c]! - wZp);
      const room = 2 ** 31 - 1 - sum * span;
      bias[c] = (layer % 4 === 0 ? 1 : -1) * Math.min(room - 1, 2 ** 30 + 4321);
    }
    const bscale = wq.scale.map((s) => f(sOf(xq) * s));
    return {
      w: b.tensor({ name: `${name}/weights`, shape, type, data, quant: wq }),
      b: b.tensor({
        name: `${name}/bias`,
        shape: [channels],
        type: 'INT32',
        data: bias,
        quant: { scale: bscale, zeroPoint: bscale.map(() => 0), quantizedDimension: axis },
      }),
    };
  };

  /** The fused activation of a layer with output quantization yq: none when its zero point is the dtype maximum (a ReLU would pin it). */
  const activation = (yq: Q) => (yq.zeroPoint[0] === hi ? 'none' : (['none', 'relu6', 'none', 'relu'] as const)[layerN % 4]!);
  const conv = (x: number, xq: Q, hw: number, cin: number, cout: number, k: number, stride: number, name: string, yq = actQ()) => {
    const p = weights(name, [cout, k, k, cin], 0, xq, yq);
    const out = Math.ceil(hw / stride);
    const y = b.op({
      op: 'CONV_2D',
      inputs: [x, p.w, p.b],
      outputs: [act(name, [1, out, out, cout], yq)],
      options: { kind: 'conv2d', padding: k === 1 ? 'valid' : 'same', stride: [stride, stride], activation: activation(yq) },
    });
    return { y, q: yq, hw: out, c: cout };
  };
  const depthwise = (x: number, xq: Q, hw: number, c: number, stride: number, dm: number, name: string, yq = actQ()) => {
    const p = weights(name, [1, 3, 3, c * dm], 3, xq, yq);
    const out = Math.ceil(hw / stride);
    const y = b.op({
      op: 'DEPTHWISE_CONV_2D',
      inputs: [x, p.w, p.b],
      outputs: [act(name, [1, out, out, c * dm], yq)],
      options: { kind: 'depthwise_conv2d', stride: [stride, stride], activation: activation(yq), depthMultiplier: dm },
    });
    return { y, q: yq, hw: out, c: c * dm };
  };

  const inQ = actQ(2 ** -7);
  const input = act('input', [1, sh.size, sh.size, sh.channels], inQ);
  const [w1, w2, w3, w4] = sh.widths;
  // Stem: a 3x3 stride-2 conv, or for a 1-channel input a 3x3 stride-2 depthwise with multiplier w1.
  const stemQ = actQ(undefined, extreme(0));
  let t = sh.channels === 1 ? depthwise(input, inQ, sh.size, 1, 2, w1, 'stem', stemQ) : conv(input, inQ, sh.size, sh.channels, w1, 3, 2, 'stem', stemQ);
  if (sh.maxPool) {
    const yq = { ...t.q };
    const y = b.op({
      op: 'MAX_POOL_2D',
      inputs: [t.y],
      outputs: [act('maxpool', [1, t.hw, t.hw, t.c], yq)],
      options: { kind: 'pool2d', padding: 'same', stride: [1, 1], filter: [3, 3], activation: activation(yq) },
    });
    t = { ...t, y, q: yq };
  }
  const block = (s: number, cout: number, i: number, yq?: Q) => {
    const d = depthwise(t.y, t.q, t.hw, t.c, s, 1, `dw${i}`);
    t = conv(d.y, d.q, d.hw, d.c, cout, 1, 1, `pw${i}`, yq);
  };
  block(1, w2, 1);
  block(2, w3, 2);
  // The residual: the block's output plus a pointwise branch of it whose scale differs by 2^10 (up on int8, down on uint8).
  const r = t;
  const branchQ: Q = actQ(sOf(r.q) * (dtype === 'int8' ? 2 ** 10 : 2 ** -10));
  const bp = weights('branch', [r.c, 1, 1, r.c], 0, r.q, branchQ);
  const branch = b.op({
    op: 'CONV_2D',
    inputs: [r.y, bp.w, bp.b],
    outputs: [act('branch', [1, r.hw, r.hw, r.c], branchQ)],
    options: { kind: 'conv2d', padding: 'valid' },
  });
  const sumQ = actQ(Math.max(sOf(r.q), sOf(branchQ)) * 1.5, dtype === 'int8' ? 5 : 120);
  const sum = b.op({
    op: 'ADD',
    inputs: [r.y, branch],
    outputs: [act('add', [1, r.hw, r.hw, r.c], sumQ)],
    options: { kind: 'add', activation: sumQ.zeroPoint[0] === hi ? 'none' : 'relu' },
  });
  t = { ...r, y: sum, q: sumQ };
  block(1, w4, 3, actQ(undefined, extreme(shapeIndex >> 1)));
  // Head: global pooling (AVERAGE_POOL_2D, same quantization in and out; or Keras' MEAN, which rescales), fully connected, softmax.
  let pooled: number;
  const pq = sh.pool === 'avg' ? { ...t.q } : actQ(undefined, extreme(0));
  if (sh.pool === 'avg') {
    pooled = b.op({
      op: 'AVERAGE_POOL_2D',
      inputs: [t.y],
      outputs: [act('pool', [1, 1, 1, t.c], pq)],
      options: { kind: 'pool2d', padding: 'valid', filter: [t.hw, t.hw], stride: [1, 1] },
    });
  } else {
    const axes = b.tensor({ name: 'axes', shape: [2], type: 'INT32', data: Int32Array.from([1, 2]) });
    pooled = b.op({ op: 'MEAN', inputs: [t.y, axes], outputs: [act('mean', [1, 1, 1, t.c], pq)], options: { kind: 'reducer', keepDims: true } });
  }
  const classes = 10;
  const hq = actQ();
  const hp = weights('hidden', [16, t.c], 0, pq, hq);
  const hidden = b.op({
    op: 'FULLY_CONNECTED',
    inputs: [pooled, hp.w, hp.b],
    outputs: [act('hidden', [1, 16], hq)],
    options: { kind: 'fully_connected', activation: 'relu' },
  });
  const fq = actQ(2 ** -3);
  const fp = weights('fc', [classes, 16], 0, hq, fq);
  let out = b.op({
    op: 'FULLY_CONNECTED',
    inputs: [hidden, fp.w, fp.b],
    outputs: [act('fc', [1, classes], fq)],
    options: { kind: 'fully_connected' },
  });
  if (sh.softmax) {
    const smQ: Q = { scale: [1 / 256], zeroPoint: [dtype === 'int8' ? -128 : 0] };
    out = b.op({ op: 'SOFTMAX', inputs: [out], outputs: [act('softmax', [1, classes], smQ)], options: { kind: 'softmax', beta: 1 } });
  }
  return { name: `zoo_${dtype}_${shapeIndex}`, dtype, spec: b.spec([input], [out]) };
}

/** Every zoo model: each shape in int8 (per-channel) and uint8 (per-tensor). */
export function torturZoo(): ZooModel[] {
  return (['int8', 'uint8'] as const).flatMap((d) => SHAPES.map((_, i) => zooModel(d, i)));
}

/** The properties the census counts. */
export const ZOO_PROPERTIES = ['left', 'zero', 'half', 'one', 'tiny', 'inZpMin', 'inZpMax', 'outZpMin', 'outZpMax', 'acc30', 'weightZp'] as const;
export type ZooProperty = (typeof ZOO_PROPERTIES)[number];

/** Census keys: `<dtype>/<op kind>/<property>` → number of layers that have it; ADD adds `<dtype>/add/scaleRatio`. */
export function zooCensus(models: readonly { dtype: QDType; graph: Graph }[]): Map<string, number> {
  const census = new Map<string, number>();
  const count = (k: string) => census.set(k, (census.get(k) ?? 0) + 1);
  for (const { dtype, graph } of models) {
    const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
    for (const op of graph.ops) {
      const x = graph.tensors[op.inputs[0]!]!;
      const y = graph.tensors[op.outputs[0]!]!;
      const key = (p: string) => count(`${dtype}/${op.kind}/${p}`);
      if (op.kind === 'add') {
        const s1 = x.quant!.scale[0]!;
        const s2 = graph.tensors[op.inputs[1]!]!.quant!.scale[0]!;
        if (Math.max(s1, s2) / Math.min(s1, s2) >= 2 ** 10) key('scaleRatio');
      }
      if (!x.quant || !y.quant) continue;
      const xZp = x.quant.zeroPoint[0]!;
      const yZp = y.quant.zeroPoint[0]!;
      if (xZp === lo) key('inZpMin');
      if (xZp === hi) key('inZpMax');
      if (yZp === lo) key('outZpMin');
      if (yZp === hi) key('outZpMax');
      const rq = op.requant;
      if (!rq || rq.multiplier.length === 0) continue;
      const shifts = rq.shift;
      const has = (pred: (i: number) => boolean) => shifts.some((_, i) => pred(i));
      if (has((i) => shifts[i]! > 0 && !(rq.multiplier[i] === 2 ** 30 && shifts[i] === 1))) key('left');
      if (has((i) => shifts[i] === 0 && rq.multiplier[i] !== 2 ** 30)) key('zero');
      if (has((i) => shifts[i] === 0 && rq.multiplier[i] === 2 ** 30)) key('half');
      if (has((i) => shifts[i] === 1 && rq.multiplier[i] === 2 ** 30)) key('one');
      if (has((i) => shifts[i]! <= -28)) key('tiny');
      const w = graph.tensors[op.inputs[1]!]!;
      if (w.quant?.zeroPoint.some((z) => z !== 0)) key('weightZp');
      if (accumulatorBound(graph, op.inputs, op.kind === 'depthwise_conv2d', dtype) >= 2 ** 30) key('acc30');
    }
  }
  return census;
}

/** The largest per-channel accumulator bound |bias| + Σ|w − w_zp| · max|x − x_zp| of a weighted layer. */
function accumulatorBound(graph: Graph, inputs: readonly number[], depthwise: boolean, dtype: QDType): number {
  const x = graph.tensors[inputs[0]!]!;
  const w = graph.tensors[inputs[1]!]!;
  const bias = inputs[2] !== undefined && inputs[2] >= 0 ? graph.tensors[inputs[2]]!.data : undefined;
  const xZp = x.quant!.zeroPoint[0]!;
  const span = dtype === 'int8' ? Math.max(xZp + 128, 127 - xZp) : Math.max(xZp, 255 - xZp);
  const channels = depthwise ? w.shape[3]! : w.shape[0]!;
  const data = w.data!;
  const taps = data.length / channels;
  let worst = 0;
  for (let c = 0; c < channels; c++) {
    const wZp = w.quant!.zeroPoint[w.quant!.zeroPoint.length > 1 ? c : 0]!;
    let s = 0;
    for (let k = 0; k < taps; k++) s += Math.abs(Number(data[depthwise ? k * channels + c : c * taps + k]) - wZp);
    worst = Math.max(worst, (bias ? Math.abs(Number(bias[c])) : 0) + s * span);
  }
  return worst;
}

/**
 * A model like the held-out ones of issue 12: `g` (a quantized MobileNetV1)
 * written back as a `.tflite` spec with, in every `every`-th pointwise layer,
 * a `fraction` of the channels (1: all) given effective scales in [0.5, 4)
 * (shift 0 or a left shift), the rest untouched. The kernels' instruction
 * counts do not depend on the outputs, so this isolates the cost of such
 * channels.
 */
export function shiftedChannels(g: Graph, every: number, fraction: number): ModelSpec {
  const spec = specFromGraph(g);
  const tensors = spec.tensors.slice();
  let pw = 0;
  for (const op of g.ops) {
    if (op.kind !== 'conv2d') continue;
    const w = g.tensors[op.inputs[1]!]!;
    if (w.shape[1] !== 1 || w.shape[2] !== 1 || pw++ % every !== 0) continue;
    const sx = g.tensors[op.inputs[0]!]!.quant!.scale[0]!;
    const sy = g.tensors[op.outputs[0]!]!.quant!.scale[0]!;
    const scale = [...w.quant!.scale];
    const step = Math.max(1, Math.round(1 / fraction));
    for (let c = 0; c < scale.length; c += step) scale[c] = Math.fround((0.5 + (c % 7) * 0.5) * (sy / sx));
    const wId = op.inputs[1]!;
    const bId = op.inputs[2]!;
    tensors[wId] = { ...tensors[wId]!, quant: { ...tensors[wId]!.quant!, scale } };
    tensors[bId] = { ...tensors[bId]!, quant: { ...tensors[bId]!.quant!, scale: scale.map((s) => Math.fround(sx * s)) } };
  }
  return { ...spec, tensors };
}
