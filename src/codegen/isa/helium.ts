/**
 * Cortex-M55 kernels on Helium (M-profile Vector Extension, `arm_mve.h`):
 * int8/uint8 pointwise 1x1 convolutions as VMLADAVA dot products over 16
 * input channels, depthwise convolutions on 8 channels of int16 lanes (or,
 * for a multiplier of one input channel, 4 output channels per VMLA), with
 * the requantization vectorized bit-exactly (VQRDMULH + sign fix-up +
 * VRSHL). Whatever else keeps the generic C.
 */
import type { Conv2DOp, DepthwiseConv2DOp, FullyConnectedOp, Op } from '../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../model/geometry.js';
import { render } from '../templates.js';
import type { EmitContext, IsaKernels, OpEmission } from '../types.js';
import { int32Literal, strideTag } from '../ops/common.js';
import { fcGeometry, isPointwise, quantConv, type QuantConv } from './dsp.js';

/** Block sizes (pixels) of the pointwise kernels; the kernel name does not spell them. */
export const heliumTuning = { pointwiseBlock: 8, pointwiseBlockNarrow: 16, convBlock: 2 };

function helpers(): string {
  return render('kernels/runtime_mve.c.hbs', {});
}

function perChannel(values: readonly number[], c: number): number {
  return values[values.length === 1 ? 0 : c]!;
}

/** Requantization tables on `n` (padded) channels, in lane order `order[lane] = channel` (-1: padding). */
function requantTables(q: QuantConv, ctx: EmitContext, order: readonly number[], channels: number) {
  const n = order.length;
  const m = new Int32Array(n);
  const ls = new Int32Array(n);
  const rs = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = Math.min(order[i]! < 0 ? channels - 1 : order[i]!, channels - 1);
    const s = perChannel(q.shift, c);
    m[i] = perChannel(q.multiplier, c);
    ls[i] = s > 0 ? s : 0;
    rs[i] = s > 0 ? 0 : s;
  }
  const left = ls.some((v) => v !== 0);
  return {
    left,
    // every shift a right shift: the lighter rounding fix-up
    rqfn: rs.every((v) => v < 0) ? 'mobilec_mve_mbqm_rn' : 'mobilec_mve_mbqm_r',
    syms: [ctx.table('mve_m', m), ...(left ? [ctx.table('mve_ls', ls)] : []), ctx.table('mve_rs', rs)],
  };
}

/** Kernel-name tag of the requantization variant. */
function rqTag(rq: { left: boolean; rqfn: string }): string {
  return rq.left ? '_ls' : rq.rqfn.endsWith('_rn') ? '_rn' : '';
}

function suffix(q: QuantConv): string {
  return `${q.dtype}_mve`;
}

function tail(q: QuantConv): string[] {
  return [int32Literal(q.actMin), int32Literal(q.actMax)];
}

/** Pointwise 1x1: weights per 4 output channels as [k block][oc 0..3][16 bytes]. */
function pointwise(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  const q = quantConv(op, ctx, g.outC);
  if (!q) return null;
  const conv = !isPointwise(g);
  const K = g.kH * g.kW * g.inC;
  const geo = { conv, cin: g.inC, kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft, ih: g.inH, iw: g.inW, ow: g.outW, padding: op.kind === 'conv2d' ? op.padding : 'valid' };
  const name = op.kind === 'fully_connected' ? 'mobilec_fc' : conv ? `mobilec_conv_${g.kH}x${g.kW}${strideTag(g.strideH, g.strideW)}_${op.padding}` : 'mobilec_conv_1x1s1';
  const { outC: oc } = g;
  const ic = K;
  const npix = g.outH * g.outW;
  const ic16 = Math.ceil(ic / 16) * 16;
  const oc4 = Math.ceil(oc / 4) * 4;
  const unsigned = q.dtype === 'uint8';
  const packed = new Uint8Array(oc4 * ic16).fill(unsigned ? q.wZp : 0);
  const bias = new Int32Array(oc4);
  for (let o = 0; o < oc; o++) {
    let sw = 0;
    for (let i = 0; i < ic; i++) {
      const v = q.wData[o * ic + i]!;
      sw += v - q.wZp;
      packed[(o >> 2) * 4 * ic16 + (i >> 4) * 64 + (o & 3) * 16 + (i & 15)] = v & 0xff;
    }
    // acc = sum x*w (- wZp * sum x for uint8) + bias - xZp * sum (w - wZp)
    bias[o] = q.bias[o]! - q.xZp * sw;
  }
  const rq = requantTables(q, ctx, Array.from({ length: oc4 }, (_, i) => (i < oc ? i : -1)), oc);
  const wSym = ctx.table('mve_w', unsigned ? packed : new Int8Array(packed.buffer));
  const bSym = ctx.table('mve_b', bias);
  const t = unsigned ? 'uint8_t' : 'int8_t';
  const vs = unsigned ? 'u8' : 's8';
  const hasTail = ic % 16 !== 0;
  const load = (ptr: string): string => (hasTail ? `vldrbq_z_${vs}(${ptr} + k, vctp8q((uint32_t)(${ic} - k)))` : `vldrbq_${vs}(${ptr} + k)`);
  // Pixels per block: each 4 output channels' constants are loaded once per block.
  // Large expansions (oc > ic, output over 16 KB: the tensors that set the arena) keep smaller blocks: run
  // in place, each block's output must clear its own input, so b pixels cost about b * (oc - ic) arena bytes.
  const bigExpansion = oc > ic && npix * oc > 16384;
  const want = conv ? heliumTuning.convBlock : bigExpansion ? heliumTuning.pointwiseBlock : heliumTuning.pointwiseBlockNarrow;
  const pb = Math.min(npix, Math.ceil(npix / Math.ceil(npix / want)));
  // The assembly loop over whole 16-channel blocks, unrolled by 4 (or 2) when that divides them.
  const full = Math.floor(ic / 16);
  const unroll = full % 4 === 0 ? 4 : full % 2 === 0 ? 2 : 1;
  // Kernels dedupe by name: it spells the requantization variant ('_ls' left shifts, '_rn' every shift right).
  const kernel = `${name}_${suffix(q)}_${g.inH}x${g.inW}x${g.inC}_${oc}${rqTag(rq)}`;
  const zps = [...(conv ? [String(q.xZp)] : []), ...(unsigned ? [String(q.wZp)] : []), String(q.yZp)];
  const args = [ctx.arena(q.x.id, false), wSym, bSym, ...rq.syms, ...zps, ...tail(q), ctx.arena(q.y.id, true)];
  return {
    family: 'pointwise_mve',
    kernel,
    params: {
      helpers: helpers(), fn: kernel, t, dtype: q.dtype, unsigned, ...geo, vt: unsigned ? 'uint8x16_t' : 'int8x16_t', vs,
      acct: unsigned ? 'uint32_t' : 'int32_t', xloada: load('xa'), tail: hasTail,
      full: Math.floor(ic / 16), full16: Math.floor(ic / 16) * 16, rem: ic % 16, VS: vs.toUpperCase(), left: rq.left, rqfn: rq.rqfn,
      npix, ic, oc, ic16, oc4, pb,
      // the first `unroll` blocks peeled (VMLADAV sets the accumulators: no zeroing), then the loop
      loopFirst: [`MOBILEC_MVE_PW_STEP("", "${vs}")`, ...Array(unroll - 1).fill(`MOBILEC_MVE_PW_STEP("a", "${vs}")`)].join(' '),
      loopBody: Array(unroll).fill(`MOBILEC_MVE_PW_STEP("a", "${vs}")`).join(' '), loopIters: full / unroll - 1,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * ic * oc,
    // A block's input is read again (per 4 output channels) while its earlier outputs are written: the
    // planner keeps each block's output clear of the block's own input (pixelBlock = the block).
    streaming: { pixelBlock: pb },
  };
}

function taps(g: WindowGeometry, stride: number) {
  const out = [];
  for (let ky = 0; ky < g.kH; ky++) for (let kx = 0; kx < g.kW; kx++) {
    const i = ky * g.kW + kx;
    out.push({ i, ky, kx, woff: i * stride });
  }
  return out;
}

function depthwise(op: DepthwiseConv2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  const bcast = g.depthMultiplier !== 1;
  if (bcast && g.inC !== 1) return null;
  const q = quantConv(op, ctx, g.outC);
  if (!q) return null;
  const { kH: kh, kW: kw, outC: oc } = g;
  const ntaps = kh * kw;
  const t = q.dtype === 'uint8' ? 'uint8_t' : 'int8_t';
  const common = {
    helpers: helpers(), t, dtype: q.dtype, padding: op.padding,
    ih: g.inH, iw: g.inW, oh: g.outH, ow: g.outW, kh, kw, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
    rows: Array.from({ length: kh }, (_, i) => i),
  };
  const args = (syms: string[]) => [ctx.arena(q.x.id, false), ...syms, String(q.xZp), String(q.yZp), ...tail(q), ctx.arena(q.y.id, true)];
  const name = `mobilec_dwconv_${kh}x${kw}${strideTag(g.strideH, g.strideW)}_${op.padding}_${suffix(q)}_${g.inH}x${g.inW}x${g.inC}`;
  const macs = g.outH * g.outW * oc * ntaps;
  if (bcast) {
    const oc4 = Math.ceil(oc / 4) * 4;
    const w16 = new Int16Array(ntaps * oc4);
    for (let tp = 0; tp < ntaps; tp++) for (let c = 0; c < oc; c++) w16[tp * oc4 + c] = q.wData[tp * oc + c]! - q.wZp;
    const bias = new Int32Array(oc4);
    bias.set(q.bias);
    const rq = requantTables(q, ctx, Array.from({ length: oc4 }, (_, i) => (i < oc ? i : -1)), oc);
    const kernel = `${name}_dm${g.depthMultiplier}${rqTag(rq)}`;
    return {
      family: 'dwconvdm_mve',
      kernel,
      params: { ...common, fn: kernel, oc, oc4, left: rq.left, rqfn: rq.rqfn, taps: taps(g, oc4) },
      call: `${kernel}(${args([ctx.table('mve_w', w16), ctx.table('mve_b', bias), ...rq.syms]).join(', ')});`,
      macs,
      streaming: { pixelBlock: 1 },
    };
  }
  const c8 = Math.ceil(oc / 8) * 8;
  const w16 = new Int16Array(ntaps * c8);
  const bias = new Int32Array(c8);
  // Lane order per 8 channels: even channels, then odd (VMULLB / VMULLT halves).
  const order = Array.from({ length: c8 }, (_, i) => {
    const c = (i & ~7) + ((i & 7) < 4 ? 2 * (i & 3) : 2 * (i & 3) + 1);
    return c < oc ? c : -1;
  });
  for (let c = 0; c < oc; c++) {
    for (let tp = 0; tp < ntaps; tp++) w16[tp * c8 + c] = q.wData[tp * oc + c]! - q.wZp;
  }
  order.forEach((c, i) => {
    if (c >= 0) bias[i] = q.bias[c]! - q.xZp * [...Array(ntaps).keys()].reduce((s, tp) => s + w16[tp * c8 + c]!, 0);
  });
  // Per 8 channels, one block of constants [bias 8][m 8][left shifts 8, if any][right shifts 8] (lane order)
  // and the weights [tap][8]: every load of a step at a small offset from two pointers.
  const left = q.shift.some((s) => s > 0);
  const rows = left ? 4 : 3;
  const consts = new Int32Array(c8 * rows);
  order.forEach((c, i) => {
    const src = c < 0 ? oc - 1 : c;
    const s = perChannel(q.shift, src);
    const base = (i >> 3) * 8 * rows + (i & 7);
    consts[base] = bias[i]!;
    consts[base + 8] = perChannel(q.multiplier, src);
    if (left) consts[base + 16] = s > 0 ? s : 0;
    consts[base + 8 * (rows - 1)] = s > 0 ? 0 : s;
  });
  const rneg = order.every((c) => perChannel(q.shift, c < 0 ? oc - 1 : c) < 0);
  const wg = new Int16Array(ntaps * c8);
  for (let c = 0; c < c8; c++) for (let tp = 0; tp < ntaps; tp++) wg[((c >> 3) * ntaps + tp) * 8 + (c & 7)] = w16[tp * c8 + c]!;
  const hasTail = oc % 8 !== 0;
  const vs = q.dtype === 'int8' ? 's8' : 'u8';
  const load = (ptr: string): string => (q.dtype === 'int8' ? `vldrbq_s16(${ptr})` : `vreinterpretq_s16_u16(vldrbq_u16(${ptr}))`);
  const pw = (g.outW - 1) * g.strideW + kw;
  const kernel = `${name}${rqTag({ left, rqfn: rneg ? 'mobilec_mve_mbqm_rn' : 'mobilec_mve_mbqm_r' })}`;
  return {
    family: 'dwconv_mve',
    kernel,
    params: { ...common, fn: kernel, c: oc, c8, tail: hasTail, left, rqfn: rneg ? 'mobilec_mve_mbqm_rn' : 'mobilec_mve_mbqm_r', vs, pw, rowBytes: pw * oc + 16,
      crow: 8 * rows, ntaps8: 8 * ntaps,
      taps: taps(g, 8).map((tp) => ({ ...tp, xload: load(`r${tp.ky} + ox * ${g.strideW * oc} + ${tp.kx * oc} + c`) })) },
    call: `${kernel}(${args([ctx.table('mve_w', wg), ctx.table('mve_q', consts)]).join(', ')});`,
    macs,
    streaming: { pixelBlock: 1 },
  };
}

/** Fully connected through the pointwise kernel (weights [out, in] are its rows). */
function fullyConnected(op: FullyConnectedOp, ctx: EmitContext): OpEmission | null {
  const g = fcGeometry(op, ctx);
  return g ? pointwise(op, ctx, g) : null;
}

export const heliumKernels: IsaKernels = {
  isa: 'helium',
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
