/**
 * DSP depthwise family (templates/kernels/dwconv_dsp.c.hbs).
 *
 * Variants, in preference order:
 * - `dsp/dwconv/row` (tile 1x2): windows 3 wide of stride 1 or 2, any
 *   height, multiplier and padding. Input rows widened channel-planar
 *   (templates/partials/dsp/dwrow.hbs, shared by the kernels of a dtype),
 *   row iy in slot iy mod kh, the weights loaded rotated per output row;
 *   per channel, its weights and epilogue constants loaded once, 2 pixels
 *   at a time (4 for stride 1 from 8 outputs wide) with adjacent taps paired
 *   in SMLAD / SMLADX: 6 MACs in 4 multiplies. Measured on the 0.25/96
 *   example (cortex-m4 cycle model): 2.8-4.0 cycles per MAC at stride 1,
 *   4.2-5.1 at stride 2, against 5.2-5.7 and 6.6-6.8 for c4.
 * The others keep a ring of widened, zero-padded input rows, all channels
 * interleaved; per 4 channels and tap four 16x16 MACs (SMLABB / SMLATT) on
 * weights re-packed as (w - wZp) int16 pairs [c0 c2][c1 c3]:
 * - `dsp/dwconv/c4`: depth multiplier 1, 4 channels per step.
 * - `dsp/dwconv/dm`: any multiplier of a single input channel (broadcast).
 * - `dsp/dwconv/c4dm`: any multiplier of several input channels: the row
 *   buffer holds each input channel repeated into the output channels it
 *   feeds (gathered while widening), then the c4 loop over output channels.
 * Every form keeps its rows in arena scratch (ctx.scratch), not on the
 * stack; the row form, where its ring of all channels would raise the
 * arena's peak (shared.ts scratchRoom), works in channel blocks (flag `cb`,
 * switch `dsp.dwcb`): a block's rows widened afresh per output row.
 * All four read the tuning switch `dsp.smmlar` (default true; dsp/requant.ts):
 * false forces the exact 64-bit epilogue (flag `x64`). Every requantization
 * table is taken, its epilogue form chosen per channel (dsp/requant.ts):
 * one form for the whole layer when its channels agree, else one branch
 * per channel on the class word of its constants (flag `mix`).
 */
import type { WindowGeometry } from '../../../model/geometry.js';
import type { DepthwiseConv2DOp } from '../../../model/ir.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { Layer, OpEmission } from '../../types.js';
import {
  cType,
  flagSwitch,
  numberSwitch,
  kernelDType,
  depthwiseVariants,
  dwForm,
  layerGeometry,
  quantConv,
  type DwForm,
  type QuantConv,
} from '../quantConv.js';
import type { SimdVariant } from '../../types.js';
import { DSP_REQUANT_FN, dspBlockParams, dspRequant, needsRequantAny, type DspRequant } from './requant.js';
import { dspArgs, dspFlags, inputSpan, negPair, scratchRoom } from './shared.js';
import { windowParams } from '../../ops/common.js';

interface DwPlan {
  readonly g: WindowGeometry;
  readonly q: QuantConv;
  readonly rq: DspRequant;
  /** A multiplier of one input channel. */
  readonly bcast: boolean;
  /** A multiplier of several input channels (repeated while widening). */
  readonly repeat: boolean;
}

function plan(layer: Layer<DepthwiseConv2DOp>, g: WindowGeometry, form: DwForm): DwPlan | null {
  const q = quantConv(layer.op, layer.ctx, g.outC, 4, true);
  if (!q) return null;
  const span = inputSpan(q);
  const rq = dspRequant(q.rq, flagSwitch(layer.ctx, 'dsp.smmlar', true), (c) => {
    let s = Math.abs(q.bias[c]!);
    for (let t = 0; t < g.kH * g.kW; t++) s += Math.abs(q.wData[t * g.outC + c]! - q.wZp) * span;
    return s;
  });
  return { g, q, rq, bcast: form === 'bcast', repeat: form === 'repeat' };
}

function id(layer: Layer<DepthwiseConv2DOp>, p: DwPlan): KernelId {
  const { g } = p;
  return {
    op: 'dw',
    dtype: kernelDType(p.q.dtype),
    isa: 'dsp',
    tile: '4',
    flags: { ...dspFlags(p.q.rq, p.rq), ...(g.depthMultiplier > 1 ? { dm: g.depthMultiplier } : {}) },
    window: { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: layer.op.padding },
    shape: `${g.inH}x${g.inW}x${g.inC}`,
  };
}

function emit(layer: Layer<DepthwiseConv2DOp>, p: DwPlan): OpEmission {
  const { ctx, op } = layer;
  const { g, q, bcast } = p;
  const { dbl } = p.rq;
  const { kH: kh, kW: kw, outC: oc } = g;
  const oc4 = Math.ceil(oc / 4) * 4;
  const ntaps = kh * kw;
  // Weights as (w - wZp) int16 pairs: per group of 4 channels and tap, [c0 c2][c1 c3].
  const w16 = new Int16Array(oc4 * ntaps);
  for (let c = 0; c < oc; c++) {
    for (let t = 0; t < ntaps; t++) {
      const lane = c & 3;
      w16[(((c >> 2) * ntaps + t) * 2 + (lane & 1)) * 2 + (lane >> 1)] = q.wData[t * oc + c]! - q.wZp;
    }
  }
  const bias = new Int32Array(oc4);
  bias.set(dbl ? q.bias.map((b) => 2 * b) : q.bias);
  const pw = (g.outW - 1) * g.strideW + kw;
  const pos = bcast ? 1 : oc4 / 2;
  const rw = pw * pos;
  const taps = [];
  for (let ky = 0; ky < kh; ky++)
    for (let kx = 0; kx < kw; kx++) {
      const t = ky * kw + kx;
      taps.push({ ky, off: ky * rw + kx * pos, w0: 2 * t, w1: 2 * t + 1 });
    }
  const wSym = ctx.table('dsp_w', new Int32Array(w16.buffer));
  const bSym = ctx.table('dsp_b', bias);
  const rqSym = ctx.table('dsp_rq', p.rq.consts);
  const kernel = formatKernelId(id(layer, p));
  const xZp = q.rq.xZp;
  // The ring of kh widened rows (whole 16-byte copies: one spare quad) in arena scratch.
  const rowsw = (Math.ceil((kh * rw) / 4) + 1) * 4;
  const args = [
    ctx.arena(q.x.id, false),
    wSym,
    bSym,
    rqSym,
    bcast ? String(xZp) : negPair(xZp),
    ...dspArgs(q),
    ctx.arena(q.y.id, true),
    ctx.scratch('int32_t', 4 * rowsw),
  ];
  return {
    family: 'dwconv_dsp',
    kernel,
    params: {
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      sat: q.rq.saturating,
      bcast,
      repeat: p.repeat,
      dm: g.depthMultiplier,
      padding: op.padding,
      ...windowParams(g),
      oc,
      oc4,
      kh,
      kw,
      sh: g.strideH,
      sw: g.strideW,
      pt: g.padTop,
      pl: g.padLeft,
      pw,
      pos,
      ntaps,
      taps,
      keep: g.strideH < kh,
      keepq4: Math.ceil((Math.max(0, kh - g.strideH) * rw) / 4),
      rw,
      xo: bcast ? 0 : 1,
      dbl,
      anyRq: needsRequantAny(p.rq.form),
      rqfn: DSP_REQUANT_FN[p.rq.form],
      ...dspBlockParams(p.rq.form),
      scale: dbl ? 2 : 1,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * oc * ntaps,
    // Input rows are read (widened into the window buffer) before the output row that needs them, never after: a ring.
    streaming: { pixelBlock: 1, rowsCopied: true },
  };
}

/**
 * Whether the last (odd) output's third column is right padding (0 after the zero point): the kernel then skips that
 * tap, and the planes need not hold the column.
 */
const rowSkip = (g: WindowGeometry): boolean => g.outW % 2 === 1 && (g.strideW === 1 ? g.outW + 1 : 2 * g.outW) - g.padLeft >= g.inW;

/**
 * The row form's words per plane row (columns in pairs): one past the last word the loops read. Stride 1: the pairs
 * up to word ow2 / 2, the odd last output words (ow - 1) / 2 and the next (unless skipped); stride 2: up to word ow2,
 * the odd last output words ow - 1 and ow (unless skipped).
 */
function rowWords(g: WindowGeometry): number {
  const ow = g.outW;
  const ow2 = ow - (ow % 2);
  const pairs = ow2 === 0 ? -1 : g.strideW === 1 ? ow2 / 2 : ow2;
  const single = ow % 2 === 0 ? -1 : (g.strideW === 1 ? (ow - 1) / 2 : ow - 1) + (rowSkip(g) ? 0 : 1);
  return Math.max(pairs, single) + 1;
}

function rowId(layer: Layer<DepthwiseConv2DOp>, p: DwPlan, cb = 0): KernelId {
  const base = id(layer, p);
  return { ...base, tile: '1x2', ...(cb ? { flags: { ...base.flags, cb } } : {}) };
}

/**
 * The row form's channel block: 0 (the ring of all channels, each input row widened once) when its buffer fits the
 * room the arena has at this layer anyway (dsp/shared.ts scratchRoom), else the most channels (a multiple of 4, at
 * least 4) whose buffer fits, each block widening its window rows afresh (up to kh / stride times the widening for a
 * buffer of cb instead of all channels). Depth multiplier 1 only. The switch `dsp.dwcb` forces a block (0: the ring).
 */
function rowBlock(layer: Layer<DepthwiseConv2DOp>, g: WindowGeometry): number {
  if (g.depthMultiplier !== 1 || g.inC <= 4) return 0;
  const forced = numberSwitch(layer.ctx, 'dsp.dwcb', -1);
  if (forced >= 0) return forced === 0 || forced >= g.inC ? 0 : Math.max(4, Math.floor(forced / 4) * 4);
  const planeBytes = 4 * g.kH * rowWords(g);
  const room = scratchRoom(layer.ctx);
  if (Math.ceil(g.inC / 4) * 4 * planeBytes <= room) return 0;
  const cb = Math.max(4, Math.floor(room / (4 * planeBytes)) * 4);
  return cb >= g.inC ? 0 : cb;
}

/**
 * `dsp/dwconv/row`: multiplier 1, a window 3 wide of stride 1 or 2
 * (templates/kernels/dwconv_dsp.c.hbs, `row`): the input widened into
 * channel-planar rows, one channel at a time over two output pixels,
 * adjacent taps paired in SMLAD / SMLADX.
 */
function emitRow(layer: Layer<DepthwiseConv2DOp>, p: DwPlan): OpEmission {
  const { ctx, op } = layer;
  const { g, q } = p;
  const { dbl } = p.rq;
  const { kH: kh, outC: oc } = g;
  const pw2 = rowWords(g);
  const scale = dbl ? 2 : 1;
  const nw = 2 * kh;
  // Per channel: [w0 w1] of each row as an int16 pair, then w2 of each row as an int32, (w - wZp) doubled when dbl.
  const w16 = new Int16Array(oc * nw * 2);
  const wt = (c: number, ky: number, kx: number) => (q.wData[(ky * 3 + kx) * oc + c]! - q.wZp) * scale;
  for (let c = 0; c < oc; c++) {
    for (let r = 0; r < kh; r++) {
      w16[(c * nw + r) * 2] = wt(c, r, 0);
      w16[(c * nw + r) * 2 + 1] = wt(c, r, 1);
      const w2 = wt(c, r, 2);
      w16[(c * nw + kh + r) * 2] = w2;
      w16[(c * nw + kh + r) * 2 + 1] = w2 < 0 ? -1 : 0;
    }
  }
  const bias = new Int32Array(oc);
  bias.set(dbl ? q.bias.slice(0, oc).map((b) => 2 * b) : q.bias.slice(0, oc));
  const wSym = ctx.table('dsp_w', new Int32Array(w16.buffer));
  const bSym = ctx.table('dsp_b', bias);
  const rqSym = ctx.table('dsp_rq', p.rq.consts);
  const keep = Math.max(0, kh - g.strideH);
  const plane = kh * pw2;
  const cb = rowBlock(layer, g);
  const kernel = formatKernelId(rowId(layer, p, cb));
  const bufw = Math.ceil((cb || g.inC) / 4) * 4 * plane;
  const args = [ctx.arena(q.x.id, false), wSym, bSym, rqSym, negPair(q.rq.xZp), ...dspArgs(q), ctx.arena(q.y.id, true), ctx.scratch('int32_t', 4 * bufw)];
  return {
    family: 'dwconv_dsp',
    kernel,
    params: {
      row: true,
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned: q.dtype === 'uint8',
      sat: q.rq.saturating,
      padding: op.padding,
      ...windowParams(g),
      s2: g.strideW === 2,
      pw2,
      R: kh,
      keep,
      rotk: g.padTop + kh * g.outH * g.strideH,
      slotk: kh * Math.ceil(g.padTop / kh),
      plane,
      cb,
      dm: g.depthMultiplier,
      dmul: g.depthMultiplier > 1,
      nw,
      rows: Array.from({ length: kh }, (_, r) => ({ r, off: r * pw2, h: r & 1 ? 't' : 'b', w2: r >> 1 })),
      w2s: Array.from({ length: Math.ceil(kh / 2) }, (_, i) => ({ i, lo: 2 * i, hi: 2 * i + 1, pair: 2 * i + 1 < kh })),
      ow2: g.outW - (g.outW % 2),
      quad: g.strideW === 1 && g.outW >= 8,
      ow4: g.outW - (g.outW % 4),
      odd: g.outW % 2 === 1,
      skip2: rowSkip(g),
      anyRq: needsRequantAny(p.rq.form),
      rqfn: DSP_REQUANT_FN[p.rq.form],
      ...dspBlockParams(p.rq.form),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * oc * kh * 3,
    // Input rows are read (widened into the planes) before the output row that needs them, never after; in channel
    // blocks, a block re-reads the row's input after the blocks before it wrote the row (pixelBlock: the row).
    streaming: cb ? { pixelBlock: g.outW } : { pixelBlock: 1, rowsCopied: true },
  };
}

const rowVariant: SimdVariant<DwPlan, DepthwiseConv2DOp> = {
  key: 'dsp/dwconv/row',
  isa: 'dsp',
  ops: ['depthwise_conv2d'],
  applies(layer) {
    const g = layerGeometry(layer);
    if (g === null) return null;
    if (g.kW !== 3 || (g.strideW !== 1 && g.strideW !== 2)) return null;
    return plan(layer, g, dwForm(g));
  },
  id: (layer, p) => rowId(layer, p, rowBlock(layer, p.g)),
  emit: emitRow,
};

export const dwconvVariants: readonly SimdVariant<DwPlan, DepthwiseConv2DOp>[] = [rowVariant, ...depthwiseVariants<DwPlan>('dsp', 'c4', plan, id, emit)];
