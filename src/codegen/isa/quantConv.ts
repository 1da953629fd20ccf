/**
 * What the Cortex-M SIMD variants (DSP and Helium) share: the quantized
 * operands of a conv-like layer (activations and weights of one 8-bit dtype,
 * the bias, the requantization table from requant.ts), the geometry of a
 * conv2d / depthwise / fully connected layer, and typed reads of the tuning
 * switches.
 */
import type { DepthwiseConv2DOp, FullyConnectedOp, Op, Tensor } from '../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../model/geometry.js';
import { int32Literal } from '../ops/common.js';
import { requantTable, type RequantTable } from '../requant.js';
import type { KernelId, KernelIsa } from '../kernelId.js';
import type { EmitContext, Layer, OpEmission, SimdVariant } from '../types.js';

type QDType = 'int8' | 'uint8';

/** Quantized operands of a conv-like op that the MCU SIMD kernels can take. */
export interface QuantConv {
  readonly dtype: QDType;
  readonly x: Tensor;
  readonly y: Tensor;
  readonly wData: Int8Array | Uint8Array;
  readonly wZp: number;
  readonly bias: Int32Array;
  /** `requantTable` on the output channels, padded with copies of the last channel. */
  readonly rq: RequantTable;
}

/**
 * The operands of a quantized conv2d / depthwise / FC with int8 or uint8
 * activations and weights of the same dtype and one weight zero point, else
 * null; the requantization table padded to `pad`. int8 weights must be
 * symmetric (zero point 0) unless `int8WeightZp`: the caller's kernel takes
 * any weight zero point (the depthwise kernels re-pack w - wZp as int16; the
 * DSP pointwise stores int8 weights biased by 128 and subtracts wZp + 128 as
 * for uint8; the Helium pointwise subtracts wZp * sum(x) as for uint8).
 */
export function quantConv(op: Op, ctx: EmitContext, channels: number, pad: number, int8WeightZp = false): QuantConv | null {
  const x = ctx.tensor(op.inputs[0]!);
  const y = ctx.tensor(op.outputs[0]!);
  const w = ctx.tensor(op.inputs[1]!);
  const dtype = x.dtype;
  if ((dtype !== 'int8' && dtype !== 'uint8') || y.dtype !== dtype || w.dtype !== dtype || !op.requant) return null;
  if (!(w.data instanceof Int8Array || w.data instanceof Uint8Array)) return null;
  if (!x.quant || !y.quant) return null;
  const wZp = w.quant?.zeroPoint[0] ?? 0;
  if (w.quant?.zeroPoint.some((z) => z !== wZp)) return null;
  if (dtype === 'int8' && wZp !== 0 && !int8WeightZp) return null;
  const rq = op.requant;
  if ((rq.multiplier.length !== 1 && rq.multiplier.length !== channels) || rq.shift.length !== rq.multiplier.length) return null;
  let bias = new Int32Array(channels);
  const bId = op.inputs[2];
  if (bId !== undefined && bId >= 0) {
    const b = ctx.tensor(bId);
    if (!(b.data instanceof Int32Array) || b.data.length !== channels) return null;
    bias = Int32Array.from(b.data);
  }
  return { dtype, x, y, wData: w.data, wZp, bias, rq: requantTable(op, ctx, channels, { pad, fill: 'last' }) };
}

/** The kernel-name dtype of an 8-bit activation type. */
export { kernelDType } from '../kernelId.js';

/** C element type of an 8-bit activation type. */
export const cType = (d: QDType): string => (d === 'int8' ? 'int8_t' : 'uint8_t');

/** The clamp arguments of a kernel that clamps (`act_min, act_max`). */
export function clampArgs(rq: RequantTable): string[] {
  return [int32Literal(rq.actMin), int32Literal(rq.actMax)];
}

/** The geometry of a fully connected layer seen as a pointwise convolution over its batch rows, or null. */
function fcGeometry(op: FullyConnectedOp, ctx: EmitContext): WindowGeometry | null {
  const x = ctx.tensor(op.inputs[0]!);
  const w = ctx.tensor(op.inputs[1]!);
  if (w.shape.length !== 2) return null;
  const [out, inn] = w.shape as [number, number];
  const batch = x.shape.reduce((a, b) => a * b, 1) / inn;
  if (!Number.isInteger(batch)) return null;
  return { inH: 1, inW: batch, inC: inn, outH: 1, outW: batch, outC: out, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, depthMultiplier: 1 };
}

/** The window geometry of a conv2d, depthwise or fully connected layer (null: an FC the kernels cannot see as pointwise). */
export function layerGeometry(layer: Layer): WindowGeometry | null {
  const { op, ctx } = layer;
  return op.kind === 'fully_connected' ? fcGeometry(op, ctx) : windowGeometry(ctx.graph, op);
}

export function isPointwise(g: WindowGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0;
}

/**
 * The compile-time im2col plan of a k x k conv: the output rows oyLo..oyHi - 1 and columns oxLo..oxHi - 1
 * whose windows lie wholly inside the input (no bounds tests; the other pixels take
 * templates/partials/c/im2col_border.hbs), the window row (kw x cin contiguous bytes, NHWC) and, for the
 * Helium copy (templates/partials/mve/im2col.hbs), each row's 16-byte moves: unrolled up to 8, a loop past
 * that, then the rest.
 */
export function im2colPlan(g: WindowGeometry) {
  const unit = 16;
  const inner = (pad: number, s: number, k: number, n: number, out: number): [number, number] => {
    const lo = Math.min(out, Math.ceil(pad / s));
    return [lo, Math.max(lo, Math.min(out, Math.floor((n - k + pad) / s) + 1))];
  };
  const [oyLo, oyHi] = inner(g.padTop, g.strideH, g.kH, g.inH, g.outH);
  const [oxLo, oxHi] = inner(g.padLeft, g.strideW, g.kW, g.inW, g.outW);
  const row = g.kW * g.inC;
  const full = Math.floor(row / unit);
  const loop = full > 8;
  return {
    oyLo,
    oyHi,
    oxLo,
    oxHi,
    row,
    rows: Array.from({ length: g.kH }, (_, ky) => ({ dr: ky * row, sr: ky * g.inW * g.inC })),
    units: loop ? [] : Array.from({ length: full }, (_, i) => i * unit),
    loop: loop ? full * unit : 0,
    rest: row % unit,
    tailOff: full * unit,
  };
}

/**
 * The words of an interior pixel's im2col window read in place (DSP 3x2 block): word w holds window bytes
 * 4w..4w+3 (natural order ky, kx, c; padded to `words` words with the zero point). Offsets are from the
 * window's first byte in the input, every load inside the window's rows:
 * - `{ off }`: a word inside one window row, one load;
 * - `{ lo, hi }`: the last L bytes of a row (a load ending there, shifted right by lo.sh = 8 (4 - L)), then
 *   the first 4 - L of the next (a load at its start, shifted left by hi.sh = 8 L);
 * - `{ lo, pad }`: the last L bytes of the window, then the zero point from byte L (shift `pad`);
 * - `{ bytes }` otherwise (rows under 4 bytes): each byte at `off` or the zero point, shifted left by `sh`.
 */
export function im2colWords(g: WindowGeometry, words: number) {
  const row = g.kW * g.inC;
  const ic = g.kH * row;
  const at = (k: number) => Math.floor(k / row) * g.inW * g.inC + (k % row);
  return Array.from({ length: words }, (_, w) => {
    const k = 4 * w;
    const n = Math.min(4, ic - k);
    const L = Math.min(n, row - (k % row));
    if (L === 4) return { off: at(k) };
    if (row >= 4 && L === n) return { lo: { off: at(k + L - 4), sh: 8 * (4 - L) }, pad: 8 * L };
    if (row >= 4 && n === 4) return { lo: { off: at(k + L - 4), sh: 8 * (4 - L) }, hi: { off: at(k + L), sh: 8 * L } };
    return { bytes: [0, 1, 2, 3].map((j) => (k + j < ic ? { off: at(k + j), sh: 8 * j } : { pad: true, sh: 8 * j })) };
  });
}

/** The padding of a windowed layer (an FC reads as `valid`). */
export const paddingOf = (op: Op): 'same' | 'valid' => (op.kind === 'conv2d' || op.kind === 'depthwise_conv2d' ? op.padding : 'valid');

/** A boolean switch of `ctx.tuning.switches` (documented at the variant that reads it). */
export function flagSwitch(ctx: EmitContext, key: string, dflt: boolean): boolean {
  const v = ctx.tuning.switches?.[key];
  return v === undefined ? dflt : Boolean(v);
}

/** A numeric switch of `ctx.tuning.switches` (documented at the variant that reads it). */
export function numberSwitch(ctx: EmitContext, key: string, dflt: number): number {
  const v = ctx.tuning.switches?.[key];
  return typeof v === 'number' ? v : dflt;
}

/**
 * How a Cortex-M depthwise variant maps input channels to output channels:
 * `channels` (depth multiplier 1, channels in parallel), `bcast` (one input
 * channel broadcast to every output channel), `repeat` (several input
 * channels, each repeated depth-multiplier times, then channels in parallel).
 */
export type DwForm = 'channels' | 'bcast' | 'repeat';

/** The depthwise form of a geometry (the variant that takes it). */
export function dwForm(g: WindowGeometry): DwForm {
  return g.depthMultiplier === 1 ? 'channels' : g.inC === 1 ? 'bcast' : 'repeat';
}

/**
 * The three depthwise variants of a Cortex-M ISA: `<isa>/dwconv/<channels>`
 * (depth multiplier 1, channels in parallel), `<isa>/dwconv/dm` (one input
 * channel broadcast to every output channel) and `<isa>/dwconv/<channels>dm`
 * (any multiplier of several input channels: each input channel repeated
 * into the output channels it feeds, then channels in parallel). `plan` sees
 * only layers whose geometry is its variant's form.
 */
export function depthwiseVariants<P>(
  isa: KernelIsa,
  channels: string,
  plan: (layer: Layer<DepthwiseConv2DOp>, g: WindowGeometry, form: DwForm) => P | null,
  id: (layer: Layer<DepthwiseConv2DOp>, p: P) => KernelId,
  emit: (layer: Layer<DepthwiseConv2DOp>, p: P) => OpEmission,
): readonly SimdVariant<P, DepthwiseConv2DOp>[] {
  const variant = (name: string, form: DwForm): SimdVariant<P, DepthwiseConv2DOp> => ({
    key: `${isa}/dwconv/${name}`,
    isa,
    ops: ['depthwise_conv2d'],
    applies(layer) {
      const g = layerGeometry(layer);
      if (!g || dwForm(g) !== form) return null;
      return plan(layer, g, form);
    },
    id,
    emit,
  });
  return [variant(channels, 'channels'), variant('dm', 'bcast'), variant(`${channels}dm`, 'repeat')];
}
