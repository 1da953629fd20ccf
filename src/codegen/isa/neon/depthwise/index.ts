/** Depthwise 3x3 convolution on NEON, vectorized across channels: one variant per ISA tag (neon, neon32). */
import type { DepthwiseConv2DOp } from '../../../../model/ir.js';
import { windowGeometry } from '../../../../model/geometry.js';
import { formatKernelId, type KernelId, type KernelIsa } from '../../../kernelId.js';
import type { Layer, SimdVariant } from '../../../types.js';
import { cType, floatActRange, zeroPoint } from '../../../ops/common.js';
import {
  foldInputZeroPoint,
  common,
  actDType,
  weightValues,
  biasValues,
  requantArgs,
  requantFlags,
  requantForms,
  quantChannelsOk,
  ceil,
  DTYPE,
  neonIsa,
} from '../shared.js';
import { rowKernel } from '../regalloc.js';

// ---------------------------------------------------------------- depthwise

/** First and one-past-last output index whose 3-wide window lies inside [0, n). */
function interior(outN: number, inN: number, stride: number, pad: number): [number, number] {
  let lo = 0;
  while (lo < outN && lo * stride - pad < 0) lo++;
  let hi = lo;
  while (hi < outN && hi * stride - pad + 2 <= inN - 1) hi++;
  return [lo, Math.max(lo, hi)];
}

/**
 * armv7 int8 rows in C: which kernel rows (columns) each output row (column) class keeps, class 0 the
 * first output, 2 the last, 1 every other (all three taps valid), or null when the border is wider.
 */
function v7Classes(outN: number, inN: number, stride: number, pad: number): number[][] | null {
  const mask = (o: number) => [0, 1, 2].filter((k) => o * stride - pad + k >= 0 && o * stride - pad + k < inN);
  for (let o = 1; o < outN - 1; o++) if (mask(o).length !== 3) return null;
  const m = [mask(0), [0, 1, 2], mask(outN - 1)];
  return m.some((k) => k.length === 0) ? null : m;
}

type DwLayer = Layer<DepthwiseConv2DOp>;

/** What the depthwise variants decide on: geometry, operands, the requantization forms and the aarch64 row kernels. */
function dwPlan(l: DwLayer) {
  const { op, ctx } = l;
  const g = windowGeometry(ctx.graph, op);
  if (g.kH !== 3 || g.kW !== 3 || g.strideH !== g.strideW || (g.strideH !== 1 && g.strideH !== 2) || g.depthMultiplier !== 1) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const C = g.inC;
  const cb = quant ? 8 : 4;
  if (Math.floor(C / cb) === 0) return null;
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, C, quant);
  if (!wv || !bv) return null;
  if (quant && !quantChannelsOk(op, C)) return null;
  const cpad = ceil(C, cb);
  const f = quant ? requantForms(op, ctx, C) : null;
  const hasLsh = f?.ls ?? false;
  const allNeg = f?.rn ?? false;
  // aarch64 whole-row kernels: float32 on 8 channels, int8 on 16 with int16 pair products
  // (two products of |x| <= 128 and |w| <= 127 fit in int16)
  const pairable = dtype === 'int8' && wv.int8 && wv.w.every((v) => Math.abs(v) <= 127);
  const clampLo = f?.clamp.min ?? false;
  const clampHi = f?.clamp.max ?? false;
  const row = !quant && C >= 8 ? rowKernel(g, false) : pairable && C >= 16 ? rowKernel(g, true) : null;
  // armv7 int8: rows in C intrinsics with int8 pair products (weights ndwr), 8 channels per vector
  const rowCls = v7Classes(g.outH, g.inH, g.strideH, g.padTop);
  const colCls = v7Classes(g.outW, g.inW, g.strideW, g.padLeft);
  const v7 = ctx.target.arch !== 'aarch64' && quant && row !== null && rowCls !== null && colCls !== null;
  return { g, xT, yT, dtype, quant, C, cb, cpad, wv, bv, hasLsh, allNeg, clampLo, clampHi, row, v7, rowCls, colCls };
}
type DwPlan = NonNullable<ReturnType<typeof dwPlan>>;

// `rn`: every shift is a right shift (the assembly's rounding fix-up is a compare);
// `pair`: int8 row kernels with int16 pair products, `min`/`max` the clamps they keep.
const dwId =
  (isa: KernelIsa) =>
  (l: DwLayer, p: DwPlan): KernelId => {
    const pair = p.quant && p.row !== null;
    const flags = {
      ...requantFlags({ ls: p.hasLsh, rn: p.allNeg, clamp: pair ? { min: p.clampLo, max: p.clampHi } : undefined }),
      ...(pair ? { pair: true as const } : {}),
    };
    const { g } = p;
    return {
      op: 'dw',
      dtype: DTYPE[p.dtype],
      isa,
      flags,
      window: { kH: 3, kW: 3, sH: g.strideH, sW: g.strideW, padding: l.op.padding },
      shape: `${g.inH}x${g.inW}x${p.C}`,
    };
  };

function dwVariant(isa: KernelIsa): SimdVariant<DwPlan, DepthwiseConv2DOp> {
  const id = dwId(isa);
  return {
    key: `${isa}/dw/3x3`,
    isa,
    ops: ['depthwise_conv2d'],
    applies: (l) => (neonIsa(l.ctx, false) === isa ? dwPlan(l) : null),
    id,
    emit: (l, p) => emitDepthwise(l, p, formatKernelId(id(l, p))),
  };
}

export const dwVariants = { neon: dwVariant('neon'), neon32: dwVariant('neon32') };

function emitDepthwise(l: DwLayer, p: DwPlan, kernel: string) {
  return {
    family: 'dwconv_neon',
    kernel,
    params: params(l, p, kernel),
    call: `${kernel}(${pack(l, p).join(', ')});`,
    macs: p.g.outH * p.g.outW * p.C * 9,
    // One output row at a time, every channel block; reads only the rows of that row's windows.
    streaming: { pixelBlock: p.g.outW },
  };
}

/**
 * The weights and tables in the kernels' read order (ctx.table: tap-major int16 or float
 * weights, biases with the input zero point folded, requantization; the row kernels' 16- or
 * 8-channel blocks and per-tap-set biases; armv7's interleaved tables), as the call's arguments.
 */
function pack(l: DwLayer, p: DwPlan): string[] {
  const { op, ctx } = l;
  const { xT, yT, quant, C, cb, cpad, wv, bv, hasLsh, row, v7 } = p;
  const packed = new Array<number>(9 * cpad).fill(0);
  for (let t = 0; t < 9; t++) for (let c = 0; c < C; c++) packed[t * cpad + c] = wv.w[t * C + c]!;
  const args = [ctx.arena(xT.id, false)];
  const xZp = quant ? zeroPoint(xT) : 0;
  /** bias − x_zp · Σ w over the taps `taps` (one set of valid taps), per channel. */
  const fold = (taps: readonly number[]) => foldInputZeroPoint(bv, (c, i) => wv.w[taps[i]! * C + c]!, taps.length, C, cpad, xZp);
  const rqt = quant
    ? (() => {
        const raw = Int32Array.from({ length: cpad }, (_, c) => (c < C ? bv[c]! : 0));
        args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbiasin', fold([0, 1, 2, 3, 4, 5, 6, 7, 8])), ctx.table('nbias', raw));
        const q = requantArgs(op, ctx, C, cb);
        args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(xZp), ...q.args.slice(3));
        return q.table;
      })()
    : null;
  if (!quant) {
    args.push(
      ctx.table('nw', Float32Array.from(packed)),
      ctx.table(
        'nbias',
        Float32Array.from({ length: cpad }, (_, i) => (i < C ? bv[i]! : 0)),
      ),
    );
    args.push(...floatActRange(op.activation));
  }
  const taps = (rows: readonly number[], kxs: readonly number[]) => rows.flatMap((ky) => kxs.map((kx) => ky * 3 + kx));
  if (row) {
    const B = row.block;
    const nb = Math.floor(C / B);
    const packedRow = (quant ? new Int8Array(nb * 9 * B) : new Float32Array(nb * 9 * B)) as Int8Array | Float32Array;
    for (let b = 0; b < nb; b++) for (let t = 0; t < 9; t++) for (let c = 0; c < B; c++) packedRow[(b * 9 + t) * B + c] = wv.w[t * C + b * B + c]!;
    args.push(ctx.table('ndwr', packedRow));
    if (quant) {
      // one bias per set of valid taps
      const bt = new Int32Array(row.biasTaps.length * cpad);
      row.biasTaps.forEach(({ rows, kxs }, k) => {
        bt.set(fold(taps(rows, kxs)), k * cpad);
      });
      args.push(ctx.table('ndwb', bt));
    } else args.push(args[2]!);
  }
  // armv7 int8 rows: bias per (row class, column class);
  // channel c's slot in its 8-channel group, interleaved so one VLD2 gives channels 0-3 and 4-7
  const il = (c: number) => (c & ~7) | ((c & 3) << 1) | ((c >> 2) & 1);
  if (v7 && rqt) {
    const bt7 = new Int32Array(9 * cpad);
    for (let rc = 0; rc < 3; rc++)
      for (let cc = 0; cc < 3; cc++) {
        const b = fold(taps(p.rowCls![rc]!, p.colCls![cc]!));
        for (let c = 0; c < C; c++) bt7[(rc * 3 + cc) * cpad + il(c)] = b[c]!;
      }
    // per 8-channel block: multipliers, right shifts[, left shifts], interleaved like the biases
    const nq = hasLsh ? 3 : 2;
    const q7 = new Int32Array((cpad / 8) * nq * 8);
    for (let c = 0; c < C; c++) {
      const at = (k: number) => (Math.floor(c / 8) * nq + k) * 8 + (il(c) % 8);
      q7[at(0)] = rqt.multiplier[c]!;
      q7[at(1)] = rqt.rightShift[c]!;
      if (hasLsh) q7[at(2)] = rqt.leftShift[c]!;
    }
    args.push(ctx.table('ndw7b', bt7), ctx.table('ndw7q', q7));
  }
  args.push(ctx.arena(yT.id, true));
  return args;
}

/** The template parameters (templates/kernels/dwconv_neon.c.hbs and its partials neon/dw/). */
function params(l: DwLayer, p: DwPlan, kernel: string) {
  const { g, dtype, quant, C, cb, cpad, hasLsh, allNeg, clampLo, clampHi, row, v7 } = p;
  const ncb = Math.floor(C / cb);
  const [oyLo, oyHi] = interior(g.outH, g.inH, g.strideH, g.padTop);
  const [oxLo, oxHi] = interior(g.outW, g.inW, g.strideW, g.padLeft);
  return {
    common: common(),
    fn: kernel,
    mode: quant ? 'int16 widened' : 'f32',
    quant,
    dtype,
    t: cType(dtype),
    isU8: dtype === 'uint8' ? 1 : 0,
    hasLsh: hasLsh ? 1 : 0,
    padding: l.op.padding,
    s: g.strideH,
    s1: g.strideH === 1,
    ih: g.inH,
    iw: g.inW,
    c: C,
    oh: g.outH,
    ow: g.outW,
    pt: g.padTop,
    pl: g.padLeft,
    cb,
    ncb,
    cpad,
    tailC: C - ncb * cb,
    c0Tail: ncb * cb,
    oyLo,
    oyHi,
    oyHiM1: oyHi - 1,
    oxLo,
    oxHi,
    oxHiM1: oxHi - 1,
    // the int8/uint8 interior in assembly (templates/partials/neon/dw/q_interior.hbs)
    dwAsm: quant,
    rn: allNeg,
    // whole-row programs (regalloc.ts rowKernel, templates/partials/neon/dw/row.hbs)
    row: row && {
      variants: row.variants,
      top: row.top,
      bottom: row.bottom,
      mid: row.mid,
      clampLo,
      clampHi,
      B: row.block,
      nb: Math.floor(C / row.block),
      // the C block loop resumes after the row kernels' channels
      cbSkip: Math.floor(C / row.block) * (row.block / cb),
      wt: quant ? 'int8_t' : 'float',
      bt: quant ? 'int32_t' : 'float',
      esize: quant ? 1 : 4,
      rb: row.rb,
      yb: row.yb,
    },
    v7: v7 && {
      // channel blocks of 8 the C rows cover (whole 16-channel blocks of ndwr)
      ncb: 2 * Math.floor(C / 16),
      oxLo,
      oxHi,
      nq: hasLsh ? 24 : 16,
      clampLo,
      clampHi,
    },
  };
}
