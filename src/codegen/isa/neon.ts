/**
 * NEON kernels (arm_neon.h) for the Raspberry Pi targets: `neon` (rpi4,
 * rpi-armv7) and `neon-dotprod` (rpi5, SDOT for int8 pointwise).
 *
 * Each family has one template (`templates/kernels/<family>_neon.c.hbs`);
 * its function name spells the configuration. Weights are re-packed here,
 * at compile time, in the order the kernel reads them (`ctx.table`), and
 * int8 activation zero points are folded into per-channel bias corrections
 * (bias − xZp·Σw) so inner loops are pure dot products. Shapes a kernel does
 * not handle return null: the generic kernel runs.
 */
import type { Conv2DOp, DepthwiseConv2DOp, FullyConnectedOp, Op, Pool2DOp, Tensor } from '../../model/ir.js';
import { elementCount } from '../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../model/geometry.js';
import type { EmitContext, IsaKernels, OpEmission } from '../types.js';
import { render } from '../templates.js';
import { DTYPE_TAG, biasSymbol, cType, floatActRange, int32Literal, quantActRange, requireRequant, shapeTag, strideTag, zeroPoint } from '../ops/common.js';

type ActDType = 'float32' | 'int8' | 'uint8';

interface Flavour {
  readonly dotprod: boolean;
  readonly aarch64: boolean;
}

let commonSource: string | undefined;
function common(): string {
  commonSource ??= render('kernels/neon_common.c.hbs', {});
  return commonSource;
}

function actDType(t: Tensor): ActDType | null {
  return t.dtype === 'float32' || t.dtype === 'int8' || t.dtype === 'uint8' ? t.dtype : null;
}

/** Weights as numbers with the weight zero point already subtracted (quantized) or as floats. */
function weightValues(op: Op, ctx: EmitContext, dtype: ActDType): { w: Float64Array | Int32Array; shape: readonly number[]; wZp: number; int8: boolean } | null {
  const wT = ctx.tensor(op.inputs[1]!);
  if (!wT.data) return null;
  if (dtype === 'float32') {
    if (wT.dtype !== 'float32') return null;
    return { w: Float64Array.from(wT.data as Float32Array), shape: wT.shape, wZp: 0, int8: false };
  }
  if (wT.dtype !== 'int8' && wT.dtype !== 'uint8') return null;
  if ((wT.quant?.zeroPoint.length ?? 1) > 1 && wT.quant!.zeroPoint.some((z) => z !== 0)) return null;
  const wZp = zeroPoint(wT);
  const w = new Int32Array(wT.data.length);
  for (let i = 0; i < w.length; i++) w[i] = (wT.data[i] as number) - wZp;
  return { w, shape: wT.shape, wZp, int8: wT.dtype === 'int8' && wZp === 0 };
}

/** Raw bias values (length channels), zero when the op has none. */
function biasValues(op: Op, ctx: EmitContext, channels: number, quant: boolean): Float64Array | null {
  const id = op.inputs[2];
  const out = new Float64Array(channels);
  if (id === undefined || id < 0) return out;
  const b = ctx.tensor(id);
  if (!b.data || b.dtype !== (quant ? 'int32' : 'float32') || b.data.length !== channels) return null;
  for (let i = 0; i < channels; i++) out[i] = b.data[i] as number;
  return out;
}

interface QuantParams {
  readonly args: string[];
  readonly hasLsh: boolean;
}

/** Requant tables padded to `padded` channels: multiplier, left shift (≥ 0), right shift as a negative count. */
function quantArgs(op: Op, ctx: EmitContext, yT: Tensor, channels: number, padded: number): QuantParams {
  const rq = requireRequant(op);
  const n = rq.multiplier.length;
  const mult = new Int32Array(padded);
  const lsh = new Int32Array(padded);
  const rsh = new Int32Array(padded);
  let hasLsh = false;
  for (let c = 0; c < channels; c++) {
    const m = rq.multiplier[n === 1 ? 0 : c]!;
    const s = rq.shift[n === 1 ? 0 : c]!;
    mult[c] = m;
    lsh[c] = Math.max(s, 0);
    rsh[c] = Math.min(s, 0);
    if (s > 0) hasLsh = true;
  }
  const rshSym = ctx.table('nrsh', rsh);
  return {
    args: [ctx.table('nmult', mult), hasLsh ? ctx.table('nlsh', lsh) : rshSym, rshSym, String(zeroPoint(yT)), int32Literal(rq.actMin), int32Literal(rq.actMax)],
    hasLsh,
  };
}

function quantChannelsOk(op: Op, channels: number): boolean {
  const rq = op.requant;
  if (!rq) return false;
  return rq.multiplier.length === 1 || rq.multiplier.length === channels;
}

const ceil = (a: number, b: number) => Math.ceil(a / b) * b;

/** int32 wrap-around arithmetic, as the C accumulators do. */
const wrap = (v: number) => v | 0;

// ---------------------------------------------------------------- pointwise

type PwMode = 'f32' | 's16' | 's8' | 'sdot';

interface GemmShape {
  readonly K: number;
  readonly cout: number;
  readonly npix: number;
  /** Kernel name prefix and shape tag. */
  readonly family: 'pw' | 'fc';
  readonly shape: string;
}

/** Pointwise 1×1 convolution and fully connected: both are y[p] = W·x[p] + b over `npix` rows. */
function selectGemm(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, gs: GemmShape, fl: Flavour): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const wv = weightValues(op, ctx, dtype);
  const { K, cout, npix } = gs;
  const bv = biasValues(op, ctx, cout, quant);
  if (!wv || !bv || wv.w.length !== K * cout) return null;
  if (quant && !quantChannelsOk(op, cout)) return null;
  let mode: PwMode;
  if (!quant) mode = 'f32';
  else if (dtype === 'int8' && wv.int8 && fl.dotprod) mode = 'sdot';
  else if (dtype === 'int8' && wv.int8 && !wv.w.some((v) => v < -127)) mode = 's8';
  else mode = 's16';
  const P = fl.aarch64 ? 4 : 2;
  const VB = mode === 's8' ? 1 : fl.aarch64 ? 4 : mode === 'f32' ? 4 : 2;
  const Q = Math.ceil(cout / 4);
  const NB = Math.floor(Math.floor(cout / 4) / VB);
  const VT = Q - NB * VB;
  const tailValid = cout - NB * 4 * VB;
  const Kp = mode === 's8' || mode === 'sdot' ? ceil(K, 16) : K;
  const W = (oc: number, k: number) => (oc < cout && k < K ? wv.w[oc * K + k]! : 0);
  const blocks: [number, number][] = [];
  for (let b = 0; b < NB; b++) blocks.push([b * 4 * VB, VB]);
  if (VT) blocks.push([NB * 4 * VB, VT]);
  const packed: number[] = [];
  for (const [oc0, vq] of blocks) {
    if (mode === 'f32' || mode === 's16') {
      for (let k = 0; k < K; k++) for (let j = 0; j < 4 * vq; j++) packed.push(W(oc0 + j, k));
    } else if (mode === 'sdot') {
      for (let grp = 0; grp < Kp / 4; grp++)
        for (let i = 0; i < vq; i++) for (let l = 0; l < 4; l++) for (let t = 0; t < 4; t++) packed.push(W(oc0 + 4 * i + l, 4 * grp + t));
    } else {
      for (let c = 0; c < Kp / 16; c++) for (let l = 0; l < 4; l++) for (let t = 0; t < 16; t++) packed.push(W(oc0 + l, 16 * c + t));
    }
  }
  const padded = 4 * Q;
  const xZp = quant ? zeroPoint(xT) : 0;
  let biasSym: string;
  if (quant) {
    const b = new Int32Array(padded);
    for (let oc = 0; oc < cout; oc++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = wrap(s + wv.w[oc * K + k]!);
      b[oc] = wrap(bv[oc]! - Math.imul(xZp, s));
    }
    biasSym = ctx.table('nbias', b);
  } else {
    biasSym = ctx.table('nbias', Float32Array.from({ length: padded }, (_, i) => (i < cout ? bv[i]! : 0)));
  }
  const wSym =
    mode === 'f32' ? ctx.table('nw', Float32Array.from(packed)) : mode === 's16' ? ctx.table('nw', Int16Array.from(packed)) : ctx.table('nw', Int8Array.from(packed));
  const wType = mode === 'f32' ? 'float' : mode === 's16' ? 'int16_t' : 'int8_t';
  const t = cType(dtype);
  const args = [ctx.arena(xT.id, false), wSym, biasSym];
  let hasLsh = false;
  if (quant) {
    const q = quantArgs(op, ctx, yT, cout, padded);
    hasLsh = q.hasLsh;
    args.push(...q.args);
  } else {
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const xs = 'x + p * ' + K;
  const ys = `y + p * ${cout} + oc`;
  const rq = `mult + oc, lsh + oc, rsh + oc, ${hasLsh ? 1 : 0}, y_zp, act_min, act_max`;
  const tile =
    mode === 'f32'
      ? `mobilec_neon_pw_f32_tile(${xs}, wb, bias + oc, ${K}, PP, VV, NN, ${cout}, act_min, act_max, ${ys})`
      : mode === 's16'
        ? `mobilec_neon_pw_s16_tile((const unsigned char *)(${xs}), wb, bias + oc, ${K}, PP, VV, NN, ${cout}, ${rq}, ${dtype === 'uint8' ? 1 : 0}, (unsigned char *)(${ys}))`
        : mode === 's8'
          ? `mobilec_neon_pw_s8_tile(${xs}, wb, bias + oc, ${K}, PP, NN, ${cout}, ${rq}, ${ys})`
          : `mobilec_neon_pw_sdot_tile(${xs}, wb, bias + oc, ${K}, PP, VV, NN, ${cout}, ${rq}, ${ys})`;
  const blockW = mode === 'f32' || mode === 's16' ? K * 4 * VB : mode === 'sdot' ? Kp * 4 * VB : Kp * 4;
  const kernel = `mobilec_${gs.family}_${DTYPE_TAG[dtype]}${mode === 'f32' ? '' : `_${mode}`}_neon_${P}x${VB}${hasLsh ? '_lsh' : ''}_${gs.shape}`;
  return {
    family: 'pw_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode,
      dtype,
      quant,
      t,
      w: wType,
      b: quant ? 'int32_t' : 'float',
      npix,
      k: K,
      cout,
      p: P,
      vb: VB,
      nb: NB,
      vt: VT,
      tailValid,
      blockOc: 4 * VB,
      blockW,
      tile,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
  };
}

// ---------------------------------------------------------------- depthwise

/** First and one-past-last output index whose 3-wide window lies inside [0, n). */
function interior(outN: number, inN: number, stride: number, pad: number): [number, number] {
  let lo = 0;
  while (lo < outN && lo * stride - pad < 0) lo++;
  let hi = lo;
  while (hi < outN && hi * stride - pad + 2 <= inN - 1) hi++;
  return [lo, Math.max(lo, hi)];
}

function selectDepthwise(op: DepthwiseConv2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  if (g.kH !== 3 || g.kW !== 3 || g.strideH !== g.strideW || (g.strideH !== 1 && g.strideH !== 2) || g.depthMultiplier !== 1) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const C = g.inC;
  const cb = quant ? 8 : 4;
  const ncb = Math.floor(C / cb);
  if (ncb === 0) return null;
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, C, quant);
  if (!wv || !bv) return null;
  if (quant && !quantChannelsOk(op, C)) return null;
  const cpad = ceil(C, cb);
  const packed = new Array<number>(9 * cpad).fill(0);
  for (let t = 0; t < 9; t++) for (let c = 0; c < C; c++) packed[t * cpad + c] = wv.w[t * C + c]!;
  const [oyLo, oyHi] = interior(g.outH, g.inH, g.strideH, g.padTop);
  const [oxLo, oxHi] = interior(g.outW, g.inW, g.strideW, g.padLeft);
  const args = [ctx.arena(xT.id, false)];
  let hasLsh = false;
  if (quant) {
    const xZp = zeroPoint(xT);
    const raw = new Int32Array(cpad);
    const adj = new Int32Array(cpad);
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let t = 0; t < 9; t++) s = wrap(s + wv.w[t * C + c]!);
      raw[c] = bv[c]!;
      adj[c] = wrap(bv[c]! - Math.imul(xZp, s));
    }
    args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbiasin', adj), ctx.table('nbias', raw));
    const q = quantArgs(op, ctx, yT, C, cpad);
    hasLsh = q.hasLsh;
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(xZp), ...q.args.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: cpad }, (_, i) => (i < C ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const kernel = `mobilec_dwconv_3x3${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}_neon_${g.inH}x${g.inW}x${C}`;
  return {
    family: 'dwconv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int16 widened' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      isU8: dtype === 'uint8' ? 1 : 0,
      hasLsh: hasLsh ? 1 : 0,
      padding: op.padding,
      s: g.strideH,
      ih: g.inH, iw: g.inW, c: C, oh: g.outH, ow: g.outW, pt: g.padTop, pl: g.padLeft,
      cb, ncb, cpad,
      tailC: C - ncb * cb,
      c0Tail: ncb * cb,
      oyLo, oyHi, oyHiM1: oyHi - 1, oxLo, oxHi, oxHiM1: oxHi - 1,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * C * 9,
  };
}

// ---------------------------------------------------------------- conv (first layer)

function selectConv(op: Conv2DOp, ctx: EmitContext, g: WindowGeometry, fl: Flavour): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, g.outC, quant);
  if (!wv || !bv) return null;
  if (quant && !quantChannelsOk(op, g.outC)) return null;
  const { kH, kW, inC, outC } = g;
  const VB = fl.aarch64 ? 8 : 4;
  const Q = Math.ceil(outC / 4);
  const NB = Math.floor(Math.floor(outC / 4) / VB);
  const VT = Q - NB * VB;
  const ocpad = 4 * Q;
  const packed = new Array<number>(kH * kW * inC * ocpad).fill(0);
  for (let oc = 0; oc < outC; oc++)
    for (let t = 0; t < kH * kW; t++) for (let c = 0; c < inC; c++) packed[(t * inC + c) * ocpad + oc] = wv.w[(oc * kH * kW + t) * inC + c]!;
  const args = [ctx.arena(xT.id, false)];
  let hasLsh = false;
  if (quant) {
    args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbias', Int32Array.from({ length: ocpad }, (_, i) => (i < outC ? bv[i]! : 0))));
    const q = quantArgs(op, ctx, yT, outC, ocpad);
    hasLsh = q.hasLsh;
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(zeroPoint(xT)), ...q.args.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: ocpad }, (_, i) => (i < outC ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const kernel =
    `mobilec_conv_${kH}x${kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}_neon` +
    `_${g.inH}x${g.inW}x${inC}_${outC}`;
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int16 widened' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      w: quant ? 'int16_t' : 'float',
      b: quant ? 'int32_t' : 'float',
      isU8: dtype === 'uint8' ? 1 : 0,
      hasLsh: hasLsh ? 1 : 0,
      padding: op.padding,
      ih: g.inH, iw: g.inW, ic: inC, oh: g.outH, ow: g.outW, oc: outC,
      kh: kH, kw: kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      ocpad, vb: VB, nb: NB, vt: VT, blockOc: 4 * VB, tailValid: outC - NB * 4 * VB,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * outC * kH * kW * inC,
  };
}

// ---------------------------------------------------------------- average pool

function selectAvgPool(op: Pool2DOp, ctx: EmitContext, g: WindowGeometry): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const range = quant ? quantActRange(op, dtype) : floatActRange(op.activation);
  const kernel = `mobilec_avgpool_${g.kH}x${g.kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}_neon_${g.inH}x${g.inW}x${g.inC}`;
  return {
    family: 'avgpool_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int32 sums' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      isU8: dtype === 'uint8' ? 1 : 0,
      padding: op.padding,
      ih: g.inH, iw: g.inW, c: g.inC, oh: g.outH, ow: g.outW,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      cb: quant ? 8 : 4,
      tailC: g.inC % (quant ? 8 : 4),
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...range, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}

// ---------------------------------------------------------------- provider

function select(op: Op, ctx: EmitContext, fl: Flavour): OpEmission | null {
  switch (op.kind) {
    case 'conv2d': {
      const g = windowGeometry(ctx.graph, op);
      if (g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1) {
        return selectGemm(op, ctx, { K: g.inC, cout: g.outC, npix: g.outH * g.outW, family: 'pw', shape: `${g.outH}x${g.outW}x${g.inC}_${g.outC}` }, fl);
      }
      return selectConv(op, ctx, g, fl);
    }
    case 'fully_connected': {
      const w = ctx.tensor(op.inputs[1]!);
      if (w.shape.length !== 2) return null;
      const [out, inn] = w.shape as [number, number];
      const batch = elementCount(ctx.tensor(op.inputs[0]!).shape) / inn;
      if (!Number.isInteger(batch)) return null;
      return selectGemm(op, ctx, { K: inn, cout: out, npix: batch, family: 'fc', shape: `${batch}x${inn}_${out}` }, fl);
    }
    case 'average_pool2d':
      return selectAvgPool(op, ctx, windowGeometry(ctx.graph, op));
    case 'depthwise_conv2d':
      return selectDepthwise(op, ctx, windowGeometry(ctx.graph, op));
    default:
      return null;
  }
}

function flavour(ctx: EmitContext, dotprod: boolean): Flavour {
  return { dotprod, aarch64: ctx.target.cc.startsWith('aarch64') };
}

/** rpi4 (aarch64) and rpi-armv7 (32-bit): NEON without dot product. */
export const neonKernels: IsaKernels = {
  isa: 'neon',
  select: (op, ctx) => select(op, ctx, flavour(ctx, false)),
};

/** rpi5: NEON with SDOT. */
export const neonDotprodKernels: IsaKernels = {
  isa: 'neon-dotprod',
  select: (op, ctx) => select(op, ctx, flavour(ctx, true)),
};
