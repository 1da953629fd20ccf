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
import { rowKernel, type SplitTap } from '../regalloc.js';
import { scheduleRow } from '../schedule.js';

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

/**
 * Pair kernels on any int8/uint8 weights, the form chosen per 16-channel block (and per 8-channel
 * half): the program of a block spells exactly the taps its weights need.
 *
 * Proof of exactness (w~ = w - w_zp; sums over a window's valid taps t):
 * 1. Input. int8: x' = x in [-128, 127]. uint8: x' = x XOR 0x80 = x - 128 in [-128, 127] (one EOR
 *    with a 0x80 mask per loaded row vector). sum (x - x_zp) w~ = sum x' w~ - x_zp' sum w~ with
 *    x_zp' = x_zp - 128 (uint8) or x_zp (int8); bias' = bias - x_zp' * sum w~ is computed at compile
 *    time per set of valid taps (foldInputZeroPoint, int32 wrapping like the C).
 * 2. Weights. w~ in [-255, 255] (uint8 weight 0..255 minus a zero point 0..255; int8 pair kernels
 *    keep their condition |w| <= 127). At tap t of block b, n_t = max over the block's channels of
 *    ceil(|w~| / 127) (at least 1, at most 3 since 2 * 127 < 255 <= 3 * 127). Channel c's parts are
 *    part_0 = clamp(w~, -127, 127), part_k = clamp(w~ - part_0 - .. - part_(k-1), -127, 127): each
 *    in [-127, 127] and sum_k part_k = w~ exactly (the remainder shrinks by 127 in magnitude per part,
 *    keeping its sign, until it fits). Part 0 is the tap's weight vector; parts 1.. are extra taps of
 *    the block on the same input x'_t (zero in channels needing fewer parts), multiplied only in the
 *    channel halves where they are non-zero (a zero weight adds nothing).
 * 3. Products. SMULL/SMLAL of int8 x' by an int8 part: |x' * part| <= 128 * 127 = 16256; two
 *    products in one int16 lane: |sum| <= 32512 < 2^15, so the int16 pair sum is exact; SADDW widens
 *    it exactly into int32.
 * 4. Accumulator. bias' + sum_t sum_k x'_t part_k,t = bias' + sum_t x'_t w~_t = bias + sum (x - x_zp) w~,
 *    the reference's accumulator, computed in int32 adds. Two's complement adds are exact modulo 2^32
 *    in any order, and the final value lies in int32 (requantizeWeighted refuses a layer whose bound
 *    |bias| + sum |w~| * max|x - x_zp| passes 2^31 - 1), so the accumulator equals the reference's
 *    whatever the intermediate partial sums; requantization is the shared epilogue.
 * Blocks with the same split taps share one program (`sigs`); `blocks[b]` is block b's signature.
 */
export function splitPlan(w: ArrayLike<number>, C: number) {
  const B = 16;
  const nb = Math.floor(C / B);
  const sigs: SplitTap[][] = [];
  const keys: string[] = [];
  const blocks: number[] = [];
  const counts: number[][] = [];
  /** Channel c's part k at tap t (of its block's n_t parts). */
  const part = (t: number, c: number, k: number) => {
    let rest = w[t * C + c]!;
    for (let i = 0; i < k; i++) rest -= Math.max(-127, Math.min(127, rest));
    return Math.max(-127, Math.min(127, rest));
  };
  for (let b = 0; b < nb; b++) {
    const n = Array.from({ length: 9 }, (_, t) => {
      let m = 1;
      for (let c = b * B; c < (b + 1) * B; c++) m = Math.max(m, Math.ceil(Math.abs(w[t * C + c]!) / 127));
      return m;
    });
    const extra: SplitTap[] = [];
    n.forEach((k, t) => {
      // the channel halves (0-7, 8-15) whose part i is non-zero
      const half = (h: number, i: number) => Array.from({ length: 8 }, (_, c) => part(t, b * B + 8 * h + c, i)).some((v) => v !== 0);
      for (let i = 1; i < k; i++) extra.push({ ky: Math.floor(t / 3), kx: t % 3, j: extra.length, lo: half(0, i), hi: half(1, i) });
    });
    const key = JSON.stringify(extra);
    let i = keys.indexOf(key);
    if (i < 0) {
      i = keys.push(key) - 1;
      sigs.push(extra);
    }
    blocks.push(i);
    counts.push(n);
  }
  // FNV-1a over the blocks' split taps: the value of the kernel name's `split` flag
  let hash = 0x811c9dc5;
  for (const i of blocks)
    for (const e of [...sigs[i]!.map((x) => 1 + x.ky * 3 + x.kx + (x.lo ? 16 : 0) + (x.hi ? 32 : 0)), 0]) hash = Math.imul(hash ^ e, 0x01000193) >>> 0;
  return { sigs, blocks, counts, part, any: sigs.some((x) => x.length > 0), hash };
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
  // aarch64 whole-row kernels: float32 on 8 channels, int8/uint8 on 16 with int16 pair products
  // (two products of |x'| <= 128 and |w| <= 127 fit in int16; see splitPlan for uint8 and wide weights)
  const pairable = (dtype === 'int8' && wv.int8 && wv.w.every((v) => Math.abs(v) <= 127)) || dtype === 'uint8';
  const split = pairable && C >= 16 ? splitPlan(wv.w, C) : null;
  const clampLo = f?.clamp.min ?? false;
  const clampHi = f?.clamp.max ?? false;
  const row = !quant && C >= 8 ? rowKernel(g, false) : split ? rowKernel(g, true, split.sigs) : null;
  // armv7 int8: rows in C intrinsics with int8 pair products (weights ndwr), 8 channels per vector
  const rowCls = v7Classes(g.outH, g.inH, g.strideH, g.padTop);
  const colCls = v7Classes(g.outW, g.inW, g.strideW, g.padLeft);
  const v7 = ctx.target.arch !== 'aarch64' && quant && row !== null && rowCls !== null && colCls !== null;
  return { g, xT, yT, dtype, quant, C, cb, cpad, wv, bv, hasLsh, allNeg, clampLo, clampHi, row, split, v7, rowCls, colCls };
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
      ...(pair && p.split?.any ? { split: p.split.hash } : {}),
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

/** Byte offset of each 16-channel block's weights in the row kernels' table (nine taps + its split taps), and the total. */
function blockOffsets(p: DwPlan): number[] {
  const sp = p.split!;
  const out = [0];
  for (const i of sp.blocks) out.push(out[out.length - 1]! + (9 + sp.sigs[i]!.length) * 16);
  return out;
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
  // the row kernels' uint8 input is x - 128 (splitPlan): their biases fold x_zp - 128
  const foldRow = (taps: readonly number[]) =>
    foldInputZeroPoint(bv, (c, i) => wv.w[taps[i]! * C + c]!, taps.length, C, cpad, p.dtype === 'uint8' ? xZp - 128 : xZp);
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
    if (quant) {
      // per block: the nine taps' first parts, then its extra (split) taps' parts (splitPlan)
      const sp = p.split!;
      const woff = blockOffsets(p);
      const packedRow = new Int8Array(woff[nb]!);
      for (let b = 0; b < nb; b++) {
        const ex = sp.sigs[sp.blocks[b]!]!;
        const seen = new Map<number, number>();
        for (let t = 0; t < 9; t++) for (let c = 0; c < B; c++) packedRow[woff[b]! + t * B + c] = sp.part(t, b * B + c, 0);
        ex.forEach((e, j) => {
          const t = e.ky * 3 + e.kx;
          const k = (seen.get(t) ?? 0) + 1;
          seen.set(t, k);
          for (let c = 0; c < B; c++) packedRow[woff[b]! + (9 + j) * B + c] = sp.part(t, b * B + c, k);
        });
      }
      args.push(ctx.table('ndwr', packedRow));
    } else {
      const packedRow = new Float32Array(nb * 9 * B);
      for (let b = 0; b < nb; b++) for (let t = 0; t < 9; t++) for (let c = 0; c < B; c++) packedRow[(b * 9 + t) * B + c] = wv.w[t * C + b * B + c]!;
      args.push(ctx.table('ndwr', packedRow));
    }
    if (quant) {
      // one bias per set of valid taps
      const bt = new Int32Array(row.biasTaps.length * cpad);
      row.biasTaps.forEach(({ rows, kxs }, k) => {
        bt.set(foldRow(taps(rows, kxs)), k * cpad);
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
        const b = foldRow(taps(p.rowCls![rc]!, p.colCls![cc]!));
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

/**
 * armv7 rows: 8-channel groups run in runs of one group signature (a block's split taps non-zero in
 * the group's half); per signature the output's taps (the nine, input column ca / cb_ / cc for
 * kernel column kx, row ky, then the split taps) in pairs and the odd one.
 */
function v7Groups(p: DwPlan) {
  const sp = p.split!;
  const woff = blockOffsets(p);
  const keys: string[] = [];
  const sigs: SplitTap[][] = [];
  const segs: { sig: number; g0: number; g1: number; woff: number; stride: number }[] = [];
  for (let gi = 0; gi < 2 * sp.blocks.length; gi++) {
    const b = gi >> 1;
    const extra = sp.sigs[sp.blocks[b]!]!.filter((e) => (gi % 2 ? e.hi : e.lo));
    const key = JSON.stringify(extra);
    let i = keys.indexOf(key);
    if (i < 0) {
      i = keys.push(key) - 1;
      sigs.push(extra);
    }
    const stride = 144 + 16 * sp.sigs[sp.blocks[b]!]!.length;
    const last = segs[segs.length - 1];
    // a run continues while the signature and the blocks' weight stride stay; woff: its first block's weights
    if (last && last.sig === i && last.stride === stride) last.g1 = gi + 1;
    else segs.push({ sig: i, g0: gi, g1: gi + 1, woff: woff[b]!, stride });
  }
  const col = (kx: number, ky: number) => `${['ca', 'cb_', 'cc'][kx]}##${ky}`;
  return {
    sigs: sigs.map((extra) => {
      const list = [
        ...[0, 1, 2].flatMap((kx) => [0, 1, 2].map((ky) => ({ x: col(kx, ky), w: `w${ky * 3 + kx}` }))),
        ...extra.map((e) => ({ x: col(e.kx, e.ky), w: `we${e.j}` })),
      ];
      return {
        K: extra.length,
        extras: extra.map((e) => ({ j: e.j, ky: e.ky, off: 144 + 16 * e.j })),
        pairs: Array.from({ length: Math.floor(list.length / 2) }, (_, i) => ({ a: list[2 * i]!, b: list[2 * i + 1]! })),
        odd: list.length % 2 ? list[list.length - 1]! : null,
      };
    }),
    segs,
  };
}

/** Runs of consecutive row-kernel blocks of one split signature: its index and block count. */
function segments(p: DwPlan): { sig: number; nb: number }[] {
  const B = p.row!.block;
  const nb = Math.floor(p.C / B);
  if (!p.quant) return [{ sig: 0, nb }];
  const sp = p.split!;
  const out: { sig: number; nb: number }[] = [];
  for (let b = 0; b < nb; b++) {
    const last = out[out.length - 1];
    if (last && last.sig === sp.blocks[b]) last.nb++;
    else out.push({ sig: sp.blocks[b]!, nb: 1 });
  }
  return out;
}

/** The template parameters (templates/kernels/dwconv_neon.c.hbs and its partials neon/dw/). */
function params(l: DwLayer, p: DwPlan, kernel: string) {
  const { g, dtype, quant, C, cb, cpad, hasLsh, allNeg, clampLo, clampHi, row, v7 } = p;
  const ncb = Math.floor(C / cb);
  const [oyLo, oyHi] = interior(g.outH, g.inH, g.strideH, g.padTop);
  const [oxLo, oxHi] = interior(g.outW, g.inW, g.strideW, g.padLeft);
  // uint8: the 0x80 input mask in v27 and y_zp in v26 (stride 1), or the mask in the free v17 (stride 2)
  const rowMask = g.strideW === 1 ? 27 : 17;
  const rowZp = dtype === 'uint8' && g.strideW === 1 ? 26 : 27;
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
      // per row variant: the runs of consecutive channel blocks of one split signature, each with
      // its block count, split taps (K) and program, one after the other in one assembly block
      variants: row.variants.map((v) => ({
        rows: v.rows,
        biases: v.biases,
        segs: segments(p).map((sg) => {
          const K = p.split ? p.split.sigs[sg.sig]!.length : 0;
          // stride 2: the first four split taps' weights stay in v18-v20, v26 (regalloc int8RowIsa)
          const res = g.strideW === 2 ? Array.from({ length: Math.min(K, 4) }, (_, j) => ({ v: [18, 19, 20, 26][j]!, off: 16 * j })) : [];
          const prog = v.progs[sg.sig]!;
          // int8/uint8: one instruction per op, ordered for in-order issue (schedule.ts)
          const ops = quant ? scheduleRow(prog, { hasLsh, rn: allNeg, clampLo, clampHi, isU8: dtype === 'uint8', zp: rowZp, mask: rowMask }) : prog;
          return { nb: sg.nb, K, ops, res };
        }),
      })),
      mask: rowMask,
      zp: rowZp,
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
      vt: dtype === 'uint8' ? 'uint8x8_t' : 'int8x8_t',
      // uint8 stride 1: input rows converted once into a ring of three int8 rows (x - 128); stride 2 (each
      // input pixel read by fewer outputs): every loaded vector XOR 0x80
      ring: dtype === 'uint8' && g.strideH === 1,
      xor: dtype === 'uint8' && g.strideH !== 1,
      xt: dtype === 'uint8' && g.strideH !== 1 ? 'uint8_t' : 'int8_t',
      sfx: dtype === 'uint8' ? 'u8' : 's8',
      ...v7Groups(p),
    },
  };
}
