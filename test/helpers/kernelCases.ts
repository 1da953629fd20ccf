/**
 * Single-op graphs for the kernel tester: one layer with a random geometry
 * (channel tails around the SIMD widths, borders, strides, SAME/VALID
 * padding, depth multipliers) and edge-case quantization (per-tensor and
 * per-channel weights; requantization shifts of both signs and zero up to
 * the limits of TFLite's QuantizeMultiplier; extreme zero points; uint8
 * weight zero points; clamps narrower than the dtype and the full range).
 * Every graph is prepared the way the pipeline prepares a model (requantize,
 * then validate), so its requant parameters are the ones a real model gets.
 */
import type { Activation, DType, Graph, Op, Padding, Quantization, Tensor, TensorData } from '../../src/model/ir.js';
import { outputExtent } from '../../src/model/geometry.js';
import { requantize, validateGraph } from '../../src/passes/index.js';
import { Prng } from '../../src/util/prng.js';

/** The op families a kernel variant can serve (`SimdVariant.ops` by op kind; pointwise is a 1x1 conv2d). */
export const FAMILIES = ['conv', 'pointwise', 'depthwise', 'fc', 'avgpool', 'maxpool', 'softmax', 'add', 'mean', 'unary', 'mul', 'quantize'] as const;
export type Family = (typeof FAMILIES)[number];

/** Op kinds of each family, to match a variant's `ops`. */
export const FAMILY_OPS: Readonly<Record<Family, readonly Op['kind'][]>> = {
  conv: ['conv2d'],
  pointwise: ['conv2d'],
  depthwise: ['depthwise_conv2d'],
  fc: ['fully_connected'],
  avgpool: ['average_pool2d'],
  maxpool: ['max_pool2d'],
  softmax: ['softmax'],
  add: ['add'],
  mean: ['mean'],
  unary: ['hard_swish', 'logistic', 'activation'],
  mul: ['mul'],
  quantize: ['quantize'],
};

export type CaseDType = 'float32' | 'int8' | 'uint8';

/**
 * Requantization classes of one output channel (effective scale sIn·sW/sOut):
 * - right:    2^-20 .. 2^-1 (shift < 0, the common case)
 * - zero:     [0.5, 1) (shift 0)
 * - left:     1 .. 2^7 (shift > 0)
 * - roundup:  (1 − 2^-46)·2^e: QuantizeMultiplier rounds the mantissa up to 2^31, halves it and bumps the shift
 * - min:      ≈ 2^-32: the smallest shift (−31) QuantizeMultiplier keeps
 * - zeroed:   < 2^-33: below it, multiplier 0 (the output is the zero point)
 * - max:      ≥ 2^30: above it, multiplier INT32_MAX, shift 30 (saturates)
 */
export const SHIFT_CLASSES = ['right', 'zero', 'left', 'roundup', 'min', 'zeroed', 'max'] as const;
export type ShiftClass = (typeof SHIFT_CLASSES)[number];

/**
 * Requantization of a weighted op's channels: `plain` (every channel shifts
 * right, as in most real models) or `edge` (ordinary channels mixed with
 * every class above).
 */
export type QuantProfile = 'plain' | 'edge';

/** What the case generator chose, printed with a failure so it can be replayed. */
export interface CaseSpec {
  readonly family: Family;
  readonly dtype: CaseDType;
  readonly seed: number;
  readonly geometry: Readonly<Record<string, unknown>>;
  readonly quant: Readonly<Record<string, unknown>>;
}

export interface KernelCase {
  readonly spec: CaseSpec;
  /** Prepared single-op graph (requant parameters set), named after the case. */
  readonly graph: Graph;
}

/** Channel counts around the SIMD widths (4, 8, 16 lanes), tails included. */
const CHANNELS = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 20, 24, 31, 32, 33, 40, 48, 64];
const WIDE = [8, 16, 16, 24, 32, 32, 48, 64];

const f32 = Math.fround;
const pick = <T>(r: Prng, xs: readonly T[]): T => xs[r.int(0, xs.length - 1)]!;
const chance = (r: Prng, p: number) => r.next() < p;

function qrange(d: 'int8' | 'uint8'): [number, number] {
  return d === 'int8' ? [-128, 127] : [0, 255];
}

/** Zero points: both ends of the range, the middle, and random values. */
function zeroPoint(r: Prng, d: 'int8' | 'uint8'): number {
  const [lo, hi] = qrange(d);
  return pick(r, [lo, hi, d === 'int8' ? 0 : 128, r.int(lo, hi), r.int(lo, hi)]);
}

/** A float32 scale in [lo, hi). */
const scale = (r: Prng, lo: number, hi: number) => f32(Math.exp(r.uniform(Math.log(lo), Math.log(hi))));

/**
 * Weight scale giving one channel the effective scale class `cls`, with
 * input scale sIn and output scale sOut (all float32).
 */
function weightScale(r: Prng, cls: ShiftClass, sIn: number, sOut: number): number {
  const real = (() => {
    switch (cls) {
      case 'right':
        return 2 ** r.uniform(-20, -1);
      case 'zero':
        return r.uniform(0.5, 0.999);
      case 'left':
        return 2 ** r.uniform(0, 7);
      case 'roundup':
        return 2 ** r.int(-12, 4);
      case 'min':
        return 2 ** -31.5;
      case 'zeroed':
        return 2 ** -34;
      case 'max':
        return 2 ** 30.5;
    }
  })();
  return f32((real * sOut) / sIn);
}

interface Builder {
  tensors: Tensor[];
  add(t: Omit<Tensor, 'id'>): number;
}

function builder(): Builder {
  const tensors: Tensor[] = [];
  return {
    tensors,
    add(t) {
      tensors.push({ ...t, id: tensors.length } as Tensor);
      return tensors.length - 1;
    },
  };
}

const perTensor = (s: number, zp: number): Quantization => ({ scale: [s], zeroPoint: [zp], axis: 0 });

function randomData(r: Prng, dtype: DType, n: number, range?: [number, number]): TensorData {
  switch (dtype) {
    case 'float32':
      return Float32Array.from({ length: n }, () => f32(r.normal() * 0.5));
    case 'int8':
      return Int8Array.from({ length: n }, () => r.int(range?.[0] ?? -128, range?.[1] ?? 127));
    case 'uint8':
      return Uint8Array.from({ length: n }, () => r.int(range?.[0] ?? 0, range?.[1] ?? 255));
    case 'int32':
      return Int32Array.from({ length: n }, () => r.int(range?.[0] ?? -5000, range?.[1] ?? 5000));
  }
}

/** Activations: full range (none), narrower clamps (relu, relu6, relu_n1_to_1). */
function activation(r: Prng): Activation {
  return pick(r, ['none', 'none', 'relu', 'relu6', 'relu6', 'relu_n1_to_1']);
}

/** Zero points a fixed case sets (else drawn): input x, output y, weights w (every channel's, int8 included). */
export interface ZeroPoints {
  readonly x?: number;
  readonly y?: number;
  readonly w?: number;
}

/** Quantization of the activations of a weighted op, and of its weights per output channel. */
interface WeightedQuant {
  readonly input: Quantization;
  readonly output: Quantization;
  readonly weights: Quantization;
  readonly classes: readonly ShiftClass[];
  readonly perChannel: boolean;
  readonly plain: boolean;
}

/**
 * The edge-case quantization of conv / depthwise / FC. int8: TFLite's
 * symmetric weights (zero point 0), per channel or per tensor. uint8: the
 * legacy per-tensor weights with a zero point (0, 255, 128 or random).
 */
function weightedQuant(
  r: Prng,
  dtype: 'int8' | 'uint8',
  channels: number,
  axis: number,
  profile: QuantProfile | undefined,
  zps: ZeroPoints = {},
): WeightedQuant {
  const sIn = scale(r, 0.002, 0.1);
  // An output scale that puts relu6's 6.0 inside the range half of the time.
  const sOut = scale(r, 0.01, 0.12);
  const perChannel = dtype === 'int8' && chance(r, 0.7);
  // Half the cases are plain (every channel shifts right, as in most real models); the
  // other half mixes ordinary channels with every edge class, often enough to appear in a sweep.
  const plain = profile === 'plain' || (profile === undefined && chance(r, 0.5));
  const drawClass = (): ShiftClass => (plain ? 'right' : chance(r, 0.55) ? pick(r, ['right', 'right', 'zero', 'left']) : pick(r, SHIFT_CLASSES));
  const n = perChannel ? channels : 1;
  const classes = Array.from({ length: n }, drawClass);
  let sInQ = sIn;
  let sOutQ = sOut;
  let sW: number[];
  if (classes.includes('roundup')) {
    // sIn·sW = (1 + 2^-23)(1 − 2^-23)·2^e = (1 − 2^-46)·2^e exactly: the mantissa rounds up to 2^31.
    sInQ = f32((1 + 2 ** -23) * 2 ** -7);
    sOutQ = 2 ** -4;
    sW = classes.map((c) => (c === 'roundup' ? f32((1 - 2 ** -23) * 2 ** r.int(-9, 7)) : weightScale(r, c, sInQ, sOutQ)));
  } else {
    sW = classes.map((c) => weightScale(r, c, sInQ, sOutQ));
  }
  const wZp = zps.w ?? (dtype === 'uint8' ? pick(r, [0, 255, 128, r.int(1, 254)]) : 0);
  const xZp = zeroPoint(r, dtype);
  const yZp = zeroPoint(r, dtype);
  return {
    input: perTensor(sInQ, zps.x ?? xZp),
    output: perTensor(sOutQ, zps.y ?? yZp),
    weights: { scale: sW, zeroPoint: sW.map(() => wZp), axis },
    classes,
    perChannel,
    plain,
  };
}

function biasQuant(input: Quantization, weights: Quantization): Quantization {
  return { scale: weights.scale.map((s) => s * input.scale[0]!), zeroPoint: weights.scale.map(() => 0), axis: 0 };
}

/** Bias values: small, with an occasional large one (accumulator headroom). */
function biasData(r: Prng, dtype: CaseDType, n: number): TensorData {
  if (dtype === 'float32') return randomData(r, 'float32', n);
  return Int32Array.from({ length: n }, () => (chance(r, 0.1) ? r.int(-(1 << 22), 1 << 22) : r.int(-4000, 4000)));
}

function finish(name: string, b: Builder, op: Op, input: number, output: number): Graph {
  const g: Graph = { name, tensors: b.tensors, ops: [op], inputs: [input], outputs: [output] };
  return validateGraph(requantize(validateGraph(g, 'internal')), 'internal');
}

/**
 * Input, weights (output channels on `axis`), bias and output of a weighted
 * op, with the edge-case quantization of `weightedQuant` when quantized.
 */
function weightedTensors(
  r: Prng,
  b: Builder,
  dtype: CaseDType,
  shapes: { x: number[]; w: number[]; y: number[] },
  axis: number,
  profile: QuantProfile | undefined,
  zps: ZeroPoints = {},
): { x: number; w: number; bias: number; y: number; quant: Record<string, unknown> } {
  const channels = shapes.w[axis]!;
  const wCount = shapes.w.reduce((a, c) => a * c, 1);
  if (dtype === 'float32') {
    return {
      x: b.add({ name: 'x', shape: shapes.x, dtype }),
      w: b.add({ name: 'w', shape: shapes.w, dtype, data: randomData(r, dtype, wCount) }),
      bias: b.add({ name: 'b', shape: [channels], dtype, data: biasData(r, dtype, channels) }),
      y: b.add({ name: 'y', shape: shapes.y, dtype }),
      quant: {},
    };
  }
  const q = weightedQuant(r, dtype, channels, axis, profile, zps);
  return {
    x: b.add({ name: 'x', shape: shapes.x, dtype, quant: q.input }),
    w: b.add({ name: 'w', shape: shapes.w, dtype, quant: q.weights, data: randomData(r, dtype, wCount) }),
    bias: b.add({ name: 'b', shape: [channels], dtype: 'int32', quant: biasQuant(q.input, q.weights), data: biasData(r, dtype, channels) }),
    y: b.add({ name: 'y', shape: shapes.y, dtype, quant: q.output }),
    quant: { plain: q.plain, perChannel: q.perChannel, classes: q.classes, xZp: q.input.zeroPoint[0], yZp: q.output.zeroPoint[0], wZp: q.weights.zeroPoint[0] },
  };
}

interface Window {
  h: number;
  w: number;
  kH: number;
  kW: number;
  sH: number;
  sW: number;
  padding: Padding;
}

/** A window that fits: kernels 1..5 (square mostly), strides 1..2 (sometimes 3 or mixed), borders of every size. */
function randomWindow(r: Prng, kernels: readonly number[], square = true): Window {
  const kH = pick(r, kernels);
  const kW = square || chance(r, 0.8) ? kH : pick(r, kernels);
  const sH = pick(r, [1, 1, 2, 2, 3]);
  const sW = chance(r, 0.85) ? sH : pick(r, [1, 2]);
  const padding: Padding = chance(r, 0.6) ? 'same' : 'valid';
  const h = r.int(Math.max(kH, 1), 13);
  const w = r.int(Math.max(kW, 1), 13);
  return { h, w, kH, kW, sH, sW, padding };
}

function windowed(
  name: string,
  r: Prng,
  family: 'conv' | 'pointwise' | 'depthwise',
  dtype: CaseDType,
  profile: QuantProfile | undefined,
  zps?: ZeroPoints,
): { graph: Graph; geometry: Record<string, unknown>; quant: Record<string, unknown> } {
  let win: Window;
  let cin: number;
  let cout: number;
  let dm = 1;
  if (family === 'pointwise') {
    win = { h: r.int(1, 12), w: r.int(1, 12), kH: 1, kW: 1, sH: 1, sW: 1, padding: 'same' };
    cin = pick(r, chance(r, 0.5) ? WIDE : CHANNELS);
    cout = pick(r, chance(r, 0.5) ? WIDE : CHANNELS);
  } else if (family === 'conv') {
    if (chance(r, 0.35)) {
      // The MobileNet stem: 3 input channels, 3x3, stride 2, SAME.
      win = { h: r.int(5, 17), w: r.int(5, 17), kH: 3, kW: 3, sH: 2, sW: 2, padding: 'same' };
      cin = 3;
      cout = pick(r, [8, 16, 32, 24, 5]);
    } else {
      win = randomWindow(r, [1, 2, 3, 3, 5], false);
      cin = pick(
        r,
        CHANNELS.filter((c) => c <= 33),
      );
      cout = pick(
        r,
        CHANNELS.filter((c) => c <= 40),
      );
    }
  } else {
    win = randomWindow(r, [3, 3, 3, 1, 2, 5]);
    if (chance(r, 0.15)) {
      // One input channel broadcast to many (a depthwise first layer).
      cin = 1;
      dm = pick(r, [2, 3, 4, 8, 16, 17, 32]);
    } else {
      cin = pick(r, chance(r, 0.5) ? WIDE : CHANNELS);
      dm = pick(r, [1, 1, 1, 1, 2, 3]);
    }
    cout = cin * dm;
  }
  const oh = outputExtent(win.h, win.kH, win.sH, win.padding);
  const ow = outputExtent(win.w, win.kW, win.sW, win.padding);
  const act = activation(r);
  const b = builder();
  const depthwise = family === 'depthwise';
  const wShape = depthwise ? [1, win.kH, win.kW, cout] : [cout, win.kH, win.kW, cin];
  const { x, w, bias, y, quant } = weightedTensors(
    r,
    b,
    dtype,
    { x: [1, win.h, win.w, cin], w: wShape, y: [1, oh, ow, cout] },
    depthwise ? 3 : 0,
    profile,
    zps,
  );
  const base = { name: `${name}_op`, inputs: [x, w, bias], outputs: [y], strideH: win.sH, strideW: win.sW, padding: win.padding, activation: act };
  const op: Op = depthwise ? { ...base, kind: 'depthwise_conv2d', depthMultiplier: dm } : { ...base, kind: 'conv2d' };
  return { graph: finish(name, b, op, x, y), geometry: { ...win, cin, cout, dm, act }, quant };
}

/** A conv2d of a fixed geometry (`convCase`): input h x w x cin, a kH x kW window, cout filters; xZp forces the input zero point. */
export interface ConvShape {
  readonly h: number;
  readonly w: number;
  readonly cin: number;
  readonly cout: number;
  readonly kH: number;
  readonly kW: number;
  readonly sH: number;
  readonly sW: number;
  readonly padding: Padding;
  readonly xZp?: number;
}

/**
 * One conv2d case of the given geometry (the im2col kernels' shapes), its
 * quantization and data random from `seed` as in `kernelCase`; `xZp` pins
 * the input zero point (e.g. an extreme of the range, the padding value).
 */
export function convCase(name: string, dtype: CaseDType, seed: number, shape: ConvShape, profile?: QuantProfile): KernelCase {
  const r = new Prng(seed);
  const { h, w, cin, cout, kH, kW, sH, sW, padding } = shape;
  const oh = outputExtent(h, kH, sH, padding);
  const ow = outputExtent(w, kW, sW, padding);
  const act = activation(r);
  const b = builder();
  const { x, w: wt, bias, y, quant } = weightedTensors(r, b, dtype, { x: [1, h, w, cin], w: [cout, kH, kW, cin], y: [1, oh, ow, cout] }, 0, profile);
  if (shape.xZp !== undefined) {
    const t = b.tensors[x]!;
    b.tensors[x] = { ...t, quant: { ...t.quant!, zeroPoint: [shape.xZp] } };
  }
  const op: Op = { kind: 'conv2d', name: `${name}_op`, inputs: [x, wt, bias], outputs: [y], strideH: sH, strideW: sW, padding, activation: act };
  const quantOut = { ...quant, xZp: b.tensors[x]!.quant?.zeroPoint[0] };
  return { spec: { family: 'conv', dtype, seed, geometry: { ...shape, act }, quant: quantOut }, graph: finish(name, b, op, x, y) };
}

function fullyConnected(name: string, r: Prng, dtype: CaseDType, profile: QuantProfile | undefined, zps?: ZeroPoints) {
  const k = pick(r, [...CHANNELS, 128, 100, 256]);
  const units = pick(r, [1, 2, 3, 5, 8, 10, 11, 16, 17, 24, 32, 33, 40]);
  const act = activation(r);
  const b = builder();
  // Sometimes the 4-D output of a global pool, flattened by the FC.
  const xShape = chance(r, 0.5) ? [1, k] : [1, 1, 1, k];
  const { x, w, bias, y, quant } = weightedTensors(r, b, dtype, { x: xShape, w: [units, k], y: [1, units] }, 0, profile, zps);
  const op: Op = { kind: 'fully_connected', name: `${name}_op`, inputs: [x, w, bias], outputs: [y], activation: act };
  return { graph: finish(name, b, op, x, y), geometry: { k, units, act, xShape }, quant };
}

/** Pools keep the input's quantization (TFLite requires it); only the clamp differs. */
function pool(name: string, r: Prng, kind: 'average_pool2d' | 'max_pool2d', dtype: CaseDType) {
  const global = chance(r, 0.25);
  // Global pools: the MobileNet ends (3x3 .. 9x9), sometimes more than 256 taps (the SIMD sums' 16-bit chunks).
  const big = global && chance(r, 0.2);
  const win = global
    ? (() => {
        const h = big ? r.int(15, 18) : r.int(1, 9);
        const w = big ? r.int(17, 20) : r.int(1, 9);
        return { h, w, kH: h, kW: w, sH: 1, sW: 1, padding: 'valid' as Padding };
      })()
    : randomWindow(r, [1, 2, 2, 3, 3]);
  const c = big ? pick(r, [1, 5, 17, 24]) : pick(r, CHANNELS);
  // Clamps: the dtype range, and narrower ones (relu, relu6, relu_n1_to_1 at the case's zero point and scale).
  const act: Activation = pick(r, ['none', 'none', 'relu', 'relu6', 'relu6', 'relu_n1_to_1']);
  const oh = outputExtent(win.h, win.kH, win.sH, win.padding);
  const ow = outputExtent(win.w, win.kW, win.sW, win.padding);
  const b = builder();
  const q = dtype === 'float32' ? undefined : perTensor(scale(r, 0.01, 0.1), zeroPoint(r, dtype));
  const x = b.add({ name: 'x', shape: [1, win.h, win.w, c], dtype, ...(q ? { quant: q } : {}) });
  const y = b.add({ name: 'y', shape: [1, oh, ow, c], dtype, ...(q ? { quant: q } : {}) });
  const op: Op = {
    kind,
    name: `${name}_op`,
    inputs: [x],
    outputs: [y],
    filterH: win.kH,
    filterW: win.kW,
    strideH: win.sH,
    strideW: win.sW,
    padding: win.padding,
    activation: act,
  };
  return { graph: finish(name, b, op, x, y), geometry: { ...win, c, act, global }, quant: q ? { zp: q.zeroPoint[0], scale: q.scale[0] } : {} };
}

/** Softmax over a vector (classes, with and without a SIMD tail), output quantized as TFLite requires (1/256). */
function softmax(name: string, r: Prng, dtype: CaseDType) {
  const n = pick(r, [1, 2, 5, 10, 15, 16, 17, 21, 32, 33, 100, 1000, 1001]);
  const b = builder();
  const qIn = dtype === 'float32' ? undefined : perTensor(scale(r, 0.01, 0.4), zeroPoint(r, dtype));
  const qOut = dtype === 'float32' ? undefined : perTensor(1 / 256, dtype === 'int8' ? -128 : 0);
  const shape = chance(r, 0.7) ? [1, n] : [1, 1, 1, n];
  const x = b.add({ name: 'x', shape, dtype, ...(qIn ? { quant: qIn } : {}) });
  const y = b.add({ name: 'y', shape, dtype, ...(qOut ? { quant: qOut } : {}) });
  const beta = pick(r, [1, 1, 0.5, 2]);
  const op: Op = { kind: 'softmax', name: `${name}_op`, inputs: [x], outputs: [y], beta };
  return { graph: finish(name, b, op, x, y), geometry: { n, beta, shape }, quant: qIn ? { zp: qIn.zeroPoint[0], scale: qIn.scale[0] } : {} };
}

/**
 * Input scale ratios of an ADD case: equal (both rescales 0.5: shift 0), near
 * (input 1 smaller by 1 .. 4: shifts 1, 2, ties in its rounding), far (input 2 smaller by 2^10..2^14 times a random factor in
 * [1, 2): a long right shift on it, rounding), farRev (input 1 smaller),
 * huge (input 1 smaller by 2^15..2^20: its rounding shows in the output).
 */
const ADD_RATIOS = ['equal', 'near', 'far', 'farRev', 'huge'] as const;
/**
 * Output rescale 2·max(s1, s2) / (2^20·sOut) of an ADD case: plain (about
 * 2^-19, as in real models), fine (2^-10 .. 2^-1), zero (in [0.5, 1): shift 0),
 * half (exactly 0.5), tiny (2^-24 .. 2^-31: shifts beyond the fast forms'
 * headroom for the zero point), zeroed (< 2^-32: multiplier 0).
 */
const ADD_OUTPUTS = ['plain', 'plain', 'fine', 'fine', 'zero', 'half', 'tiny', 'zeroed'] as const;

/**
 * Elementwise add of the input and a constant of the same shape (odd lengths
 * for the SIMD tails), with adversarial quantization: the classes above,
 * zero points at both extremes, every activation clamp. With a large output
 * rescale (fine, zero, half) the constant is mostly its zero point (else
 * ±1): the sum stays small, the output unsaturated, and every input's
 * rounding shows.
 */
function add(name: string, r: Prng, dtype: CaseDType) {
  const shape = [1, r.int(1, 7), r.int(1, 7), pick(r, CHANNELS)];
  const n = shape.reduce((a, c) => a * c, 1);
  const b = builder();
  const act = activation(r);
  const ratio = pick(r, ADD_RATIOS);
  const outCls = pick(r, ADD_OUTPUTS);
  let s1 = scale(r, 0.005, 0.1);
  let s2 = ratio === 'equal' ? s1 : scale(r, 0.005, 0.1);
  if (ratio === 'near') s1 = f32(s2 * r.uniform(0.25, 1));
  if (ratio === 'far') s2 = f32(s1 * r.uniform(1, 2) * 2 ** -r.int(10, 14));
  if (ratio === 'farRev') s1 = f32(s2 * r.uniform(1, 2) * 2 ** -r.int(10, 14));
  if (ratio === 'huge') s1 = f32(s2 * r.uniform(1, 2) * 2 ** -r.int(15, 20));
  const twiceMax = 2 * Math.max(s1, s2);
  const realOut = {
    plain: () => 2 ** r.uniform(-20, -17),
    fine: () => 2 ** r.uniform(-10, -1),
    zero: () => r.uniform(0.5, 0.99),
    half: () => 0.5,
    tiny: () => 2 ** r.uniform(-31, -24),
    zeroed: () => 2 ** r.uniform(-40, -33),
  }[outCls]();
  const sOut = f32(twiceMax / (2 ** 20 * realOut));
  const q = (s: number) => (dtype === 'float32' ? undefined : perTensor(s, zeroPoint(r, dtype)));
  const q1 = q(s1);
  const q2 = q(s2);
  const qOut = q(dtype === 'float32' ? 0 : sOut);
  const x = b.add({ name: 'x', shape, dtype, ...(q1 ? { quant: q1 } : {}) });
  const small = q2 !== undefined && (outCls === 'fine' || outCls === 'zero' || outCls === 'half');
  const [lo, hi] = dtype === 'float32' ? [0, 0] : qrange(dtype);
  const zp2 = q2?.zeroPoint[0] ?? 0;
  const nearZp = () => Array.from({ length: n }, () => Math.min(hi, Math.max(lo, zp2 + pick(r, [-1, 0, 0, 0, 0, 1]))));
  const data = small ? (dtype === 'int8' ? Int8Array.from(nearZp()) : Uint8Array.from(nearZp())) : randomData(r, dtype, n);
  const c = b.add({ name: 'c', shape, dtype, data, ...(q2 ? { quant: q2 } : {}) });
  const y = b.add({ name: 'y', shape, dtype, ...(qOut ? { quant: qOut } : {}) });
  const op: Op = { kind: 'add', name: `${name}_op`, inputs: [x, c], outputs: [y], activation: act };
  const quant = q1 ? { zp: [q1.zeroPoint[0], q2!.zeroPoint[0], qOut!.zeroPoint[0]], ratio, out: outCls } : {};
  return { graph: finish(name, b, op, x, y), geometry: { shape, act }, quant };
}

/** MUL's broadcast forms: equal shapes, a per-channel vector, a scalar (0-d or [1]), the broadcast operand as input 0. */
const MUL_FORMS = ['same', 'channel', 'scalar', 'scalar0d', 'swapped'] as const;

/**
 * Elementwise MUL of the input and a constant in one of MUL_FORMS (odd channel counts for the SIMD
 * tails), with adversarial quantization: a real multiplier s1 · s2 / sOut from 2^-31 (multiplier 0 below
 * it) to 2^14 (left shifts), zero points at both extremes, every activation clamp.
 */
function mul(name: string, r: Prng, dtype: CaseDType) {
  const c = pick(r, CHANNELS);
  const full = [1, r.int(1, 6), r.int(1, 6), c];
  const form = pick(r, MUL_FORMS);
  const small = { same: full, channel: [1, 1, 1, c], scalar: [1], scalar0d: [], swapped: [1, 1, 1, c] }[form];
  const [xShape, cShape] = form === 'swapped' ? [small, full] : [full, small];
  const b = builder();
  const act = activation(r);
  const s1 = scale(r, 0.005, 0.5);
  const s2 = scale(r, 0.005, 0.5);
  const real = 2 ** pick(r, [r.uniform(-31, -20), r.uniform(-14, -1), r.uniform(-1, 1), 0, r.uniform(1, 14)]);
  const sOut = f32((s1 * s2) / real);
  const q = (s: number) => (dtype === 'float32' ? undefined : perTensor(s, zeroPoint(r, dtype)));
  const q1 = q(s1);
  const q2 = q(s2);
  const qOut = q(sOut);
  const x = b.add({ name: 'x', shape: xShape, dtype, ...(q1 ? { quant: q1 } : {}) });
  const k = b.add({
    name: 'c',
    shape: cShape,
    dtype,
    data: randomData(
      r,
      dtype,
      cShape.reduce((a, v) => a * v, 1),
    ),
    ...(q2 ? { quant: q2 } : {}),
  });
  const y = b.add({ name: 'y', shape: full, dtype, ...(qOut ? { quant: qOut } : {}) });
  const op: Op = { kind: 'mul', name: `${name}_op`, inputs: [x, k], outputs: [y], activation: act };
  const quant = q1 ? { zp: [q1.zeroPoint[0], q2!.zeroPoint[0], qOut!.zeroPoint[0]], real } : {};
  return { graph: finish(name, b, op, x, y), geometry: { form, shape: full, act }, quant };
}

/**
 * MEAN over H and W (TFLite's three paths): keep_dims with axes [1, 2] or
 * [2, 1] ('direct': int8 requantizes sIn / sOut in fixed point, uint8 in
 * float32), else the truncated average when input and output are quantized
 * alike or the float32 rescale when not. Scales equal, close, or far apart
 * (up to 2^7 either way), zero points at the extremes; H x W up to 360 pixels
 * (past 256: the SIMD sums' 16-bit chunks), sometimes two batches.
 */
function mean(name: string, r: Prng, dtype: CaseDType) {
  const big = chance(r, 0.15);
  const shape = [chance(r, 0.2) ? 2 : 1, big ? r.int(16, 18) : r.int(1, 9), big ? r.int(16, 20) : r.int(1, 9), big ? pick(r, [3, 16, 21]) : pick(r, CHANNELS)];
  const [n, , , c] = shape as [number, number, number, number];
  const keepDims = chance(r, 0.6);
  const axes = pick(r, [
    [1, 2],
    [2, 1],
  ]);
  const b = builder();
  const qIn = dtype === 'float32' ? undefined : perTensor(scale(r, 0.005, 0.1), zeroPoint(r, dtype));
  const same = chance(r, 0.35);
  const ratio = same ? 1 : pick(r, [1, f32(2 ** r.uniform(-7, 7)), f32(2 ** r.uniform(-1, 1))]);
  const qOut = qIn && (same ? qIn : perTensor(f32(qIn.scale[0]! * ratio), pick(r, [qIn.zeroPoint[0]!, zeroPoint(r, dtype as 'int8' | 'uint8')])));
  const x = b.add({ name: 'x', shape, dtype, ...(qIn ? { quant: qIn } : {}) });
  const y = b.add({ name: 'y', shape: keepDims ? [n, 1, 1, c] : [n, c], dtype, ...(qOut ? { quant: qOut } : {}) });
  const op: Op = { kind: 'mean', name: `${name}_op`, inputs: [x], outputs: [y], keepDims, axes };
  return {
    graph: finish(name, b, op, x, y),
    geometry: { shape, keepDims, axes },
    quant: qIn ? { zp: [qIn.zeroPoint[0], qOut!.zeroPoint[0]], scale: [qIn.scale[0], qOut!.scale[0]] } : {},
  };
}

/**
 * float32 → int8 / uint8 quantization (a float model's or a QDQ model's
 * input): lengths around the 8-value SIMD step (tails of 1..7), scales from
 * 2^-9 (the uniform [-1, 1) input saturates at both ends) to 2 (most values
 * round to the zero point, ties at ±0.5 · scale included when the scale is a
 * power of two and the input has few mantissa bits), zero points at both
 * extremes. The case dtype is the output's (a float32 case quantizes to int8).
 */
function quantize(name: string, r: Prng, dtype: CaseDType) {
  const out: 'int8' | 'uint8' = dtype === 'uint8' ? 'uint8' : 'int8';
  const shape = chance(r, 0.5) ? [1, pick(r, [8, 9, 15, 16, 17, 31, 64, 255, 300])] : [1, r.int(1, 6), r.int(1, 6), pick(r, CHANNELS)];
  const b = builder();
  const s = chance(r, 0.4) ? 2 ** r.int(-9, 1) : scale(r, 0.002, 2);
  const qOut = perTensor(s, zeroPoint(r, out));
  const x = b.add({ name: 'x', shape, dtype: 'float32' });
  const y = b.add({ name: 'y', shape, dtype: out, quant: qOut });
  const op: Op = { kind: 'quantize', name: `${name}_op`, inputs: [x], outputs: [y] };
  return { graph: finish(name, b, op, x, y), geometry: { shape }, quant: { zp: [qOut.zeroPoint[0]], scale: [s] } };
}

/**
 * An elementwise unary op (HARD_SWISH, LOGISTIC, standalone RELU / RELU6 /
 * RELU_N1_TO_1): lengths around the 16-value SIMD blocks (tails of 1..15),
 * input scales from tiny to large, output scales 2^-6.5 .. 2^4.3 times the
 * input's (hard swish: above sIn / 128, as TFLite requires; logistic: its
 * fixed 1/256), zero points at both extremes.
 */
function unary(name: string, r: Prng, dtype: CaseDType) {
  const kind = pick(r, ['hard_swish', 'logistic', 'relu', 'relu6', 'relu_n1_to_1'] as const);
  const shape = chance(r, 0.5) ? [1, pick(r, [1, 3, 15, 16, 17, 31, 64, 255, 256, 300])] : [1, r.int(1, 6), r.int(1, 6), pick(r, CHANNELS)];
  const b = builder();
  const sIn = scale(r, 0.002, 0.5);
  const qIn = dtype === 'float32' ? undefined : perTensor(sIn, zeroPoint(r, dtype));
  const qOut =
    dtype === 'float32'
      ? undefined
      : kind === 'logistic'
        ? perTensor(1 / 256, dtype === 'int8' ? -128 : 0)
        : perTensor(f32(sIn * 2 ** r.uniform(-6.5, 4.3)), zeroPoint(r, dtype));
  const x = b.add({ name: 'x', shape, dtype, ...(qIn ? { quant: qIn } : {}) });
  const y = b.add({ name: 'y', shape, dtype, ...(qOut ? { quant: qOut } : {}) });
  const io = { name: `${name}_op`, inputs: [x], outputs: [y] };
  const op: Op = kind === 'hard_swish' || kind === 'logistic' ? { kind, ...io } : { kind: 'activation', ...io, activation: kind };
  return {
    graph: finish(name, b, op, x, y),
    geometry: { kind, shape },
    quant: qIn ? { zp: [qIn.zeroPoint[0], qOut!.zeroPoint[0]], scale: [qIn.scale[0], qOut!.scale[0]] } : {},
  };
}

/**
 * One random case of `family` (deterministic in `seed`); the graph is named
 * `name` (its C symbols' prefix). `profile` fixes the requantization of
 * weighted ops to plain or edge (default: either, from the seed); `zps` sets
 * zero points of a quantized weighted op (the rest drawn as usual).
 */
export function kernelCase(name: string, family: Family, dtype: CaseDType, seed: number, profile?: QuantProfile, zps?: ZeroPoints): KernelCase {
  const r = new Prng(seed);
  const made = (() => {
    switch (family) {
      case 'conv':
      case 'pointwise':
      case 'depthwise':
        return windowed(name, r, family, dtype, profile, zps);
      case 'fc':
        return fullyConnected(name, r, dtype, profile, zps);
      case 'avgpool':
        return pool(name, r, 'average_pool2d', dtype);
      case 'maxpool':
        return pool(name, r, 'max_pool2d', dtype);
      case 'softmax':
        return softmax(name, r, dtype);
      case 'add':
        return add(name, r, dtype);
      case 'mean':
        return mean(name, r, dtype);
      case 'unary':
        return unary(name, r, dtype);
      case 'mul':
        return mul(name, r, dtype);
      case 'quantize':
        return quantize(name, r, dtype);
    }
  })();
  return { spec: { family, dtype, seed, geometry: made.geometry, quant: made.quant }, graph: made.graph };
}

/** A fixed depthwise geometry (and optionally zero points) for the cases the random sample may miss. */
export interface DepthwiseSpec {
  readonly h: number;
  readonly w: number;
  readonly kH: number;
  readonly kW: number;
  readonly sH: number;
  readonly sW: number;
  readonly padding: Padding;
  readonly cin: number;
  readonly dm: number;
  readonly zps?: ZeroPoints;
}

/** One depthwise case of a fixed geometry; quantization drawn from `seed` as in kernelCase (zero points from spec.zps when set). */
export function depthwiseCase(name: string, spec: DepthwiseSpec, dtype: 'int8' | 'uint8', seed: number, profile?: QuantProfile): KernelCase {
  const r = new Prng(seed);
  const cout = spec.cin * spec.dm;
  const oh = outputExtent(spec.h, spec.kH, spec.sH, spec.padding);
  const ow = outputExtent(spec.w, spec.kW, spec.sW, spec.padding);
  const act = activation(r);
  const b = builder();
  const shapes = { x: [1, spec.h, spec.w, spec.cin], w: [1, spec.kH, spec.kW, cout], y: [1, oh, ow, cout] };
  const { x, w, bias, y, quant } = weightedTensors(r, b, dtype, shapes, 3, profile, spec.zps);
  const op: Op = {
    kind: 'depthwise_conv2d',
    name: `${name}_op`,
    inputs: [x, w, bias],
    outputs: [y],
    strideH: spec.sH,
    strideW: spec.sW,
    padding: spec.padding,
    activation: act,
    depthMultiplier: spec.dm,
  };
  return { spec: { family: 'depthwise', dtype, seed, geometry: { ...spec, cout, act }, quant }, graph: finish(name, b, op, x, y) };
}
