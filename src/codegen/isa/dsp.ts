/**
 * Cortex-M4/M7 kernels on the Armv7E-M DSP extension (ACLE `arm_acle.h`):
 * int8/uint8 pointwise 1x1 convolutions and depthwise convolutions built on
 * SMLAD-style dual 16-bit multiply-accumulates, weights re-packed at compile
 * time into the order the kernels read them. Everything else (and any layer
 * whose requantization falls outside the fast path) keeps the generic C.
 */
import type { Conv2DOp, DepthwiseConv2DOp, FullyConnectedOp, Op, Tensor } from '../../model/ir.js';
import { dtypeRange } from '../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../model/geometry.js';
import { render } from '../templates.js';
import type { EmitContext, IsaKernels, OpEmission } from '../types.js';
import { int32Literal, shapeTag, strideTag } from '../ops/common.js';

export type QDType = 'int8' | 'uint8';

/** Quantized operands of a conv-like op when the SIMD kernels can take it, else null. */
export interface QuantConv {
  readonly dtype: QDType;
  readonly x: Tensor;
  readonly y: Tensor;
  readonly w: Tensor;
  readonly wData: Int8Array | Uint8Array;
  readonly xZp: number;
  readonly yZp: number;
  readonly wZp: number;
  readonly bias: Int32Array;
  readonly multiplier: readonly number[];
  readonly shift: readonly number[];
  readonly actMin: number;
  readonly actMax: number;
  /** The clamp is the dtype's full range: one saturating instruction. */
  readonly sat: boolean;
}

function perChannel(values: readonly number[], c: number): number {
  return values[values.length === 1 ? 0 : c]!;
}

/** Operands of a quantized conv2d / depthwise / FC with int8 or uint8 activations and weights of the same dtype. */
export function quantConv(op: Op, ctx: EmitContext, channels: number): QuantConv | null {
  const x = ctx.tensor(op.inputs[0]!);
  const y = ctx.tensor(op.outputs[0]!);
  const w = ctx.tensor(op.inputs[1]!);
  const dtype = x.dtype;
  if ((dtype !== 'int8' && dtype !== 'uint8') || y.dtype !== dtype || w.dtype !== dtype || !op.requant) return null;
  if (!(w.data instanceof Int8Array || w.data instanceof Uint8Array)) return null;
  if (!x.quant || !y.quant) return null;
  const wZp = w.quant?.zeroPoint[0] ?? 0;
  if (w.quant && w.quant.zeroPoint.some((z) => z !== wZp)) return null;
  if (dtype === 'int8' && wZp !== 0) return null;
  const rq = op.requant;
  if ((rq.multiplier.length !== 1 && rq.multiplier.length !== channels) || rq.shift.length !== rq.multiplier.length) return null;
  let bias = new Int32Array(channels);
  const bId = op.inputs[2];
  if (bId !== undefined && bId >= 0) {
    const b = ctx.tensor(bId);
    if (!(b.data instanceof Int32Array) || b.data.length !== channels) return null;
    bias = Int32Array.from(b.data);
  }
  const [lo, hi] = dtypeRange(dtype);
  return {
    dtype, x, y, w, wData: w.data,
    xZp: x.quant.zeroPoint[0] ?? 0,
    yZp: y.quant.zeroPoint[0] ?? 0,
    wZp,
    bias,
    multiplier: rq.multiplier,
    shift: rq.shift,
    actMin: rq.actMin,
    actMax: rq.actMax,
    sat: rq.actMin <= lo && rq.actMax >= hi,
  };
}

/**
 * Per-channel constants of the fast requantization (see
 * `mobilec_dsp_requant`): {m, K low, K high, e - 1} with
 * K = 2^30 + 2^(30+e) + zp * 2^(31+e), for channels with a right shift e in
 * [1, 24] and m >= 0; `channels` rounded up to `pad` with copies of the last.
 * Null when a channel needs the general path (left shift or no shift).
 */
export function fastRequant(q: QuantConv, channels: number, pad: number): Int32Array | null {
  const n = Math.ceil(channels / pad) * pad;
  const out = new Int32Array(4 * n);
  for (let c = 0; c < n; c++) {
    const src = Math.min(c, channels - 1);
    const m = perChannel(q.multiplier, src);
    const e = -perChannel(q.shift, src);
    if (!(e >= 1 && e <= 24) || m < 0) return null;
    const k = (1n << 30n) + (1n << BigInt(30 + e)) + (BigInt(q.yZp) << BigInt(31 + e));
    out[4 * c] = m;
    out[4 * c + 1] = Number(BigInt.asIntN(32, k));
    out[4 * c + 2] = Number(BigInt.asIntN(32, k >> 32n));
    out[4 * c + 3] = e - 1;
  }
  return out;
}

/** Switches for tests: `smmlar: false` forces the exact 64-bit requantization everywhere; `px3: false` the 2x2 pointwise blocks. */
export const dspTuning = { smmlar: true, px3: true };

/**
 * Constants of the one-instruction requantization (`mobilec_dsp_requant2`,
 * SMMLAR on a doubled accumulator): {m, 2^(e-1) + zp * 2^e, e, 0} per
 * channel, when every channel has e in [1, 30], m >= 0 and an accumulator
 * bound B (from the weights, the bias and the input range) with
 * 2B < 2^31 and B + |2^(e-1) + zp * 2^e| + 2 < 2^31; else null.
 */
export function smmlarRequant(q: QuantConv, channels: number, pad: number, bound: (c: number) => number): Int32Array | null {
  if (!dspTuning.smmlar) return null;
  const n = Math.ceil(channels / pad) * pad;
  const out = new Int32Array(4 * n);
  for (let c = 0; c < n; c++) {
    const src = Math.min(c, channels - 1);
    const m = perChannel(q.multiplier, src);
    const e = -perChannel(q.shift, src);
    if (!(e >= 1 && e <= 30) || m < 0) return null;
    const rnd = 2 ** (e - 1) + q.yZp * 2 ** e;
    const b = bound(src);
    if (2 * b >= 2 ** 31 || b + Math.abs(rnd) + 2 >= 2 ** 31) return null;
    out[4 * c] = m;
    out[4 * c + 1] = rnd;
    out[4 * c + 2] = e;
  }
  return out;
}

/** Largest |x - xZp| over the activation dtype's range. */
export function inputSpan(q: QuantConv): number {
  const [lo, hi] = dtypeRange(q.dtype);
  return Math.max(q.xZp - lo, hi - q.xZp);
}

/** Two 16-bit lanes holding -v each, as a C literal. */
export function negPair(v: number): string {
  const h = -v & 0xffff;
  return `(int32_t)0x${(((h << 16) | h) >>> 0).toString(16).padStart(8, '0')}u`;
}

function helpers(): string {
  return render('kernels/runtime_dsp.c.hbs', {});
}

function clampArgs(q: QuantConv): string[] {
  return q.sat ? [] : [int32Literal(q.actMin), int32Literal(q.actMax)];
}

function suffix(q: QuantConv): string {
  return `${q.dtype}${q.sat ? '' : '_clamp'}_dsp`;
}

/** Pointwise 1x1 stride 1: weights [oc pairs][ic/4][2] words, ic zero-padded to 4 (uint8: padded with the weight zero point). */
function pointwise(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  const q = quantConv(op, ctx, g.outC);
  if (!q) return null;
  const conv = !isPointwise(g);
  const K = g.kH * g.kW * g.inC;
  const geo = { conv, cin: g.inC, kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft, ih: g.inH, iw: g.inW, ow: g.outW, padding: op.kind === 'conv2d' ? op.padding : 'valid' };
  const name = op.kind === 'fully_connected' ? 'mobilec_fc' : conv ? `mobilec_conv_${g.kH}x${g.kW}${strideTag(g.strideH, g.strideW)}_${op.padding}` : 'mobilec_conv_1x1s1';
  const span = inputSpan(q);
  const rq2 = smmlarRequant(q, g.outC, 2, (o) => {
    let s = Math.abs(q.bias[o]!);
    for (let i = 0; i < K; i++) s += Math.abs(q.wData[o * K + i]! - q.wZp) * span;
    return s;
  });
  const rq = rq2 ?? fastRequant(q, g.outC, 2);
  if (!rq) return null;
  const dbl = rq2 !== null;
  const { outC: oc } = g;
  const ic = K;
  const npix = g.outH * g.outW;
  const ic4 = Math.ceil(ic / 4) * 4;
  const oc2 = Math.ceil(oc / 2) * 2;
  const packed = new Uint8Array(oc2 * ic4).fill(q.dtype === 'uint8' ? q.wZp : 0);
  for (let o = 0; o < oc; o++) {
    for (let i = 0; i < ic; i++) {
      // word k of channel pair j: [oc 2j: ic 4k..4k+3][oc 2j+1: same]
      const j = o >> 1;
      const k = i >> 2;
      packed[(j * (ic4 / 4) + k) * 8 + (o & 1) * 4 + (i & 3)] = q.wData[o * ic + i]! & 0xff;
    }
  }
  const bias = new Int32Array(oc2);
  bias.set(dbl ? q.bias.map((b) => 2 * b) : q.bias);
  const wSym = ctx.table('dsp_w', new Int32Array(packed.buffer));
  const bSym = ctx.table('dsp_b', bias);
  const rqSym = ctx.table('dsp_rq', rq);
  // int8 1x1 (and FC): 3 pixels x 2 channels per block, the whole loop in assembly, unrolled by 2 steps, by 4 for the
  // layers of 500K MACs or more, where the loop test (MACs / 32 instructions saved) pays for
  // the ~160 bytes of code (4 everywhere costs ~1.5 KB).
  // Only up to 512 input channels: the widened block (6 bytes per channel) and the loop's end pointer must stay
  // within an immediate offset of sp (the assembly has no register left for a base); and not for one pixel (FC).
  const px3 = q.dtype === 'int8' && !conv && dspTuning.px3 && ic4 <= 512 && npix >= 3;
  const steps4 = ic4 / 4;
  const unroll3 = steps4 % 4 === 0 && npix * ic * oc >= 500_000 ? 4 : steps4 % 2 === 0 ? 2 : 1;
  const kernel = `${name}_${suffix(q)}${dbl ? '' : '_x64'}_${g.inH}x${g.inW}x${g.inC}_${oc}`;
  const zps = [negPair(q.xZp), ...(conv ? [String(q.xZp)] : []), ...(q.dtype === 'uint8' ? [negPair(q.wZp)] : [])];
  const args = [ctx.arena(q.x.id, false), wSym, bSym, rqSym, ...zps, ...clampArgs(q), ctx.arena(q.y.id, true)];
  return {
    family: 'pointwise_dsp',
    kernel,
    params: {
      helpers: helpers(), fn: kernel, t: q.dtype === 'int8' ? 'int8_t' : 'uint8_t', dtype: q.dtype, sat: q.sat, ...geo,
      npix, ic, oc, ic4, oc2, dbl: dbl ? 1 : 0, rqfn: dbl ? 'mobilec_dsp_requant2' : 'mobilec_dsp_requant',
      steps: (ic4 / 4) % 2 === 0 ? ic4 / 8 : ic4 / 4,
      unroll: (ic4 / 4) % 2 === 0 ? [0, 1] : [0],
      unsigned: q.dtype === 'uint8',
      px3, body3: Array(unroll3).fill('MOBILEC_DSP_PW3_STEP').join(' '),
      step: q.dtype === 'int8' ? 'MOBILEC_DSP_PW_STEP_INT8(wp, q, a0, a1, b0, b1)' : 'MOBILEC_DSP_PW_STEP_UINT8(wp, q, a0, a1, b0, b1, w_nzp2)',
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * ic * oc,
    // Each pixel pair's windows are read whole (widened) before any of its outputs is written.
    streaming: { pixelBlock: px3 ? 3 : 2 },
  };
}

/** The geometry of a fully connected layer seen as a pointwise convolution over its batch rows, or null. */
export function fcGeometry(op: FullyConnectedOp, ctx: EmitContext): WindowGeometry | null {
  const x = ctx.tensor(op.inputs[0]!);
  const w = ctx.tensor(op.inputs[1]!);
  if (w.shape.length !== 2) return null;
  const [out, inn] = w.shape as [number, number];
  const batch = x.shape.reduce((a, b) => a * b, 1) / inn;
  if (!Number.isInteger(batch)) return null;
  return { inH: 1, inW: batch, inC: inn, outH: 1, outW: batch, outC: out, kH: 1, kW: 1, strideH: 1, strideW: 1, padTop: 0, padLeft: 0, depthMultiplier: 1 };
}

/** Fully connected through the pointwise kernel (weights [out, in] are its rows). */
function fullyConnected(op: FullyConnectedOp, ctx: EmitContext): OpEmission | null {
  const g = fcGeometry(op, ctx);
  return g ? pointwise(op, ctx, g) : null;
}

export function isPointwise(g: WindowGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padTop === 0 && g.padLeft === 0;
}

export const dspKernels: IsaKernels = {
  isa: 'dsp',
  variants: [],
  select(op: Op, ctx: EmitContext, _generic: OpEmission): OpEmission | null {
    if (op.kind === 'conv2d') {
      const g = windowGeometry(ctx.graph, op);
      return pointwise(op, ctx, g);
    }
    if (op.kind === 'fully_connected') return fullyConnected(op, ctx);
    if (op.kind === 'depthwise_conv2d') return depthwise(op, ctx, windowGeometry(ctx.graph, op));
    return null;
  },
};

/** Depthwise (multiplier 1, or any multiplier of a single input channel) on a ring of widened, zero-padded rows. */
function depthwise(op: DepthwiseConv2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  const bcast = g.depthMultiplier !== 1;
  if (bcast && g.inC !== 1) return null;
  const q = quantConv(op, ctx, g.outC);
  if (!q) return null;
  const { kH: kh, kW: kw, outC: oc } = g;
  const span = inputSpan(q);
  const rq2 = smmlarRequant(q, oc, 4, (c) => {
    let s = Math.abs(q.bias[c]!);
    for (let t = 0; t < kh * kw; t++) s += Math.abs(q.wData[t * oc + c]! - q.wZp) * span;
    return s;
  });
  const rq = rq2 ?? fastRequant(q, oc, 4);
  if (!rq) return null;
  const dbl = rq2 !== null;
  const oc4 = Math.ceil(oc / 4) * 4;
  const ntaps = kh * kw;
  // Weights as (w - wZp) int16 pairs: per group of 4 channels and tap, [c0 c2][c1 c3].
  const w16 = new Int16Array(oc4 * ntaps);
  for (let c = 0; c < oc; c++) {
    for (let t = 0; t < ntaps; t++) {
      const grp = c >> 2;
      const lane = c & 3;
      const word = lane & 1; // 0: we (c0, c2), 1: wo (c1, c3)
      const half = lane >> 1;
      w16[((grp * ntaps + t) * 2 + word) * 2 + half] = q.wData[t * oc + c]! - q.wZp;
    }
  }
  const bias = new Int32Array(oc4);
  bias.set(dbl ? q.bias.map((b) => 2 * b) : q.bias);
  const pw = (g.outW - 1) * g.strideW + kw;
  const pos = bcast ? 1 : oc4 / 2;
  const rw = pw * pos;
  const taps = [];
  for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) {
    const t = ky * kw + kx;
    taps.push({ ky, off: ky * rw + kx * pos, w0: 2 * t, w1: 2 * t + 1 });
  }
  const nzp = 'x_nzp2';
  const xext = q.dtype === 'int8' ? `__sxtab16(${nzp}, u)` : `(int32_t)__uxtab16((uint32_t)${nzp}, (uint32_t)u)`;
  const xexto = q.dtype === 'int8' ? `mobilec_dsp_sxtab16_ror8(${nzp}, u)` : `mobilec_dsp_uxtab16_ror8(${nzp}, u)`;
  const wSym = ctx.table('dsp_w', new Int32Array(w16.buffer));
  const bSym = ctx.table('dsp_b', bias);
  const rqSym = ctx.table('dsp_rq', rq);
  const kernel =
    `mobilec_dwconv_${kh}x${kw}${strideTag(g.strideH, g.strideW)}_${op.padding}_${suffix(q)}_${g.inH}x${g.inW}x${g.inC}` +
    (bcast ? `_dm${g.depthMultiplier}` : '') + (dbl ? '' : '_x64');
  const args = [ctx.arena(q.x.id, false), wSym, bSym, rqSym, bcast ? String(q.xZp) : negPair(q.xZp), ...clampArgs(q), ctx.arena(q.y.id, true)];
  return {
    family: 'dwconv_dsp',
    kernel,
    params: {
      helpers: helpers(), fn: kernel, t: q.dtype === 'int8' ? 'int8_t' : 'uint8_t', dtype: q.dtype, sat: q.sat, bcast,
      padding: op.padding, ih: g.inH, iw: g.inW, ic: g.inC, oh: g.outH, ow: g.outW, oc, oc4,
      kh, kw, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft, pw, pos, ntaps, taps,
      keep: g.strideH < kh, keepq4: Math.ceil(Math.max(0, kh - g.strideH) * rw / 4), rowsw: (Math.ceil((kh * rw) / 4) + 1) * 4,
      rw, xo: bcast ? 0 : 1, dbl, scale: dbl ? 2 : 1, rqfn: dbl ? 'mobilec_dsp_requant2' : 'mobilec_dsp_requant',
      xext, xexto,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * oc * ntaps,
    // Input rows are read (widened into the window buffer) before the output row that needs them, never after.
    streaming: { pixelBlock: 1 },
  };
}

// Re-exported for the Helium provider's kernel names.
export { shapeTag, strideTag };
