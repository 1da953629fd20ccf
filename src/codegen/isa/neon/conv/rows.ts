/**
 * The NEON row loops (aarch64): per output row, one assembly loop over the
 * tiles whose row segments lie inside the input, every channel block per
 * tile; border tiles read zero-point padded copies. Forms: float32, int16
 * widened, int16 MLA tap groups (int8), SDOT by rows, SDOT with every tap
 * packed (rpi5 int8).
 */
import type { WindowGeometry } from '../../../../model/geometry.js';
import type { OpEmission } from '../../../types.js';
import type { KernelFlag, KernelId } from '../../../kernelId.js';
import { cType, floatActRange, int32Literal, windowParams } from '../../../ops/common.js';
import { requantTable } from '../../../requant.js';
import { common, type ActDType } from '../shared.js';
import { convAcc, convMlaRow, convPackedSdotMacs, convRowTaps, convSdotShifts } from '../regalloc.js';
import { convId, esize, foldedBias, kernelName, packByTap, packSdotRows, paddedBias, requantFlags, taps, type ConvLayer, type ConvTile } from './plan.js';
import { mlaHash, mlaPlan, packedSdotIndex, packedSdotOk, type MlaPlan } from './mla.js';

export interface LoopSpec {
  readonly g: WindowGeometry;
  readonly tile: ConvTile;
  readonly dtype: ActDType;
  readonly nOcb: number;
  readonly hasLsh: boolean;
  readonly allNeg: boolean;
  readonly sdot: boolean;
  /**
   * int8 without SDOT: 16-bit MLA by element on raw activations (zero point in the bias), the int16
   * partial sums widened into the int32 accumulators at group ends; ends[h][t]: tap t closes a group
   * of the 8-channel half h (a group's |w| sum times 128 fits int16).
   */
  readonly mla: MlaPlan | null;
  /**
   * SDOT with every tap of a pixel packed into consecutive groups of 4 (one TBL gather per 16 taps
   * from the kernel rows, each read at the tile's first and third pixel), instead of 4-tap groups per row.
   */
  readonly packed: boolean;
  /** quantized: the 8-bit clamps that saturation already does are skipped */
  readonly clampLo: boolean;
  readonly clampHi: boolean;
}

/** sdotpk, sdot: SDOT (gathered taps, row groups); mla: int16 MLA tap groups; plain: float32 FMLA or int16-widened SMLAL. */
export type RowsForm = 'sdotpk' | 'sdot' | 'mla' | 'plain';

/** Row bytes one tile's segment load reads (from the first pixel of the tile), per kernel row. */
function loopSegBytes(s: LoopSpec): number {
  if (s.sdot) return 36;
  return s.tile.segAlloc * esize(s.dtype);
}

/** The tiles of an output row: interior run [t0, t1) and the border tiles; null when the loop does not take the shape. */
function rowTiles(s: LoopSpec): { t0: number; t1: number; border: number[]; SB: number } | null {
  const { g, tile, dtype, nOcb } = s;
  const { P } = tile;
  const es = esize(dtype);
  const OCB = 4 * tile.Q;
  if ((P * g.outC - OCB) * es > 4095 || (nOcb - 1) * OCB * es > 4095) return null; // immediates of the asm
  const SB = loopSegBytes(s) / es; // elements one tile reads per row
  const nT = Math.ceil(g.outW / P);
  const interior = (ti: number) => {
    const ix0 = ti * P * g.strideW - g.padLeft;
    return ix0 >= 0 && ix0 * g.inC + SB <= g.inW * g.inC && (ti + 1) * P <= g.outW;
  };
  let t0 = 0;
  while (t0 < nT && !interior(t0)) t0++;
  let t1 = t0;
  while (t1 < nT && interior(t1)) t1++;
  const border = Array.from({ length: nT }, (_, i) => i).filter((i) => i < t0 || i >= t1);
  if (border.length > 4 || Array.from({ length: nT }, (_, i) => i).some((i) => i >= t1 && interior(i))) return null;
  return { t0, t1, border, SB };
}

/** The row loop of a form, when the layer takes it (whole channel blocks, registers and immediates that fit). */
export function rowsSpec(c: ConvLayer, tile: ConvTile, form: RowsForm): LoopSpec | null {
  const { g, quant, dtype } = c;
  const { P, Q, segRegs } = tile;
  const OCB = 4 * Q;
  const nOcb = Math.ceil(g.outC / OCB);
  const sdot = form === 'sdot' || form === 'sdotpk';
  const asmOk = sdot || (!quant ? P * Q <= 16 && segRegs <= 8 && Q <= 4 : (Q === 2 || Q === 4) && P * Q <= 16 && segRegs <= 4);
  if (!asmOk || nOcb * OCB !== g.outC || g.kH > 7) return null;
  const mla = form === 'mla' ? (dtype === 'int8' && P === 4 ? mlaPlan(c.w, g.outC, g.kH, taps(g), Q, P) : null) : null;
  if (form === 'mla' && !mla) return null;
  const packed = form === 'sdotpk';
  if (packed && !(P === 4 && (Q === 4 || Q === 2) && packedSdotOk(g))) return null;
  const [lo8, hi8] = dtype === 'uint8' ? [0, 255] : [-128, 127];
  const spec: LoopSpec = {
    g,
    tile,
    dtype,
    nOcb,
    sdot,
    mla,
    packed,
    hasLsh: c.rq?.anyLeft ?? false,
    allNeg: c.rq?.allRight ?? false,
    clampLo: quant ? c.rq!.actMin > lo8 : true,
    clampHi: quant ? c.rq!.actMax < hi8 : true,
  };
  return rowTiles(spec) ? spec : null;
}

export function rowsId(c: ConvLayer, s: LoopSpec): KernelId {
  const flags: Partial<Record<KernelFlag, true | number>> = requantFlags(c, true);
  if (c.quant && s.clampLo) flags.min = true;
  if (c.quant && s.clampHi) flags.max = true;
  flags.rows = true;
  if (s.packed) flags.gather = true;
  if (s.mla) flags.mla = mlaHash(s.mla);
  return convId(c, s.sdot ? 'neondot' : 'neon', `${s.tile.P}x${4 * s.tile.Q}`, flags);
}

/** The row-loop emission. */
export function emitRows(c: ConvLayer, s: LoopSpec): OpEmission {
  const { g, ctx, quant } = c;
  const { P, Q } = s.tile;
  const OCB = 4 * Q;
  const nOcb = s.nOcb;
  const T = taps(g);
  const args = [ctx.arena(c.xId, false)];
  if (quant) {
    const rq = requantTable(c.op, ctx, g.outC);
    const bias = s.sdot || s.mla ? foldedBias(c, g.outC) : Int32Array.from(paddedBias(c, g.outC));
    // per block: bias[, left shift], multiplier, right shift (packed SDOT: multipliers and shifts by channel halves)
    const per = s.hasLsh ? 4 : 3;
    const tab = new Int32Array(nOcb * per * OCB);
    for (let oc = 0; oc < g.outC; oc++) {
      const o = oc % OCB;
      const base = Math.floor(oc / OCB) * per * OCB;
      tab[base + o] = bias[oc]!;
      if (s.hasLsh) tab[base + OCB + o] = rq.leftShift[oc]!;
      const r0 = base + (per - 2) * OCB + o + (s.packed && o >= 8 ? 8 : 0);
      tab[r0] = rq.multiplier[oc]!;
      tab[r0 + (s.packed ? 8 : OCB)] = rq.rightShift[oc]!;
    }
    let wpk: number[];
    if (s.packed) {
      const GT = Math.ceil(T / 4);
      wpk = new Array<number>(nOcb * GT * 4 * OCB).fill(0);
      for (let oc = 0; oc < g.outC; oc++) {
        const b = Math.floor(oc / OCB);
        for (let t = 0; t < T; t++) wpk[(b * GT + (t >> 2)) * 4 * OCB + (oc % OCB) * 4 + (t & 3)] = c.w[oc * T + t]!;
      }
    } else if (s.mla) {
      wpk = new Array<number>(nOcb * T * OCB).fill(0);
      for (let oc = 0; oc < g.outC; oc++) {
        const ord = s.mla.order[oc >> 3]!;
        const b = Math.floor(oc / OCB);
        for (let i = 0; i < T; i++) wpk[(b * T + i) * OCB + (oc % OCB)] = c.w[oc * T + ord[i]!]!;
      }
    } else wpk = s.sdot ? packSdotRows(c) : packByTap(c, OCB);
    args.push(ctx.table('nw', s.sdot ? Int8Array.from(wpk) : Int16Array.from(wpk)), ctx.table('nbq', tab));
    args.push(String(rq.xZp), String(rq.yZp), int32Literal(rq.actMin), int32Literal(rq.actMax));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packByTap(c, OCB))), ctx.table('nbias', Float32Array.from(c.bias)));
    args.push(...floatActRange(c.op.activation));
  }
  args.push(ctx.arena(c.yId, true));
  const kernel = kernelName(rowsId(c, s));
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      loop: true,
      mode: `${quant ? (s.sdot ? 'int8 SDOT' : s.mla ? 'int16 MLA, tap groups widened into int32' : 'int16 widened') : 'f32'}, ${P} pixels x ${g.outC} channels per tile, whole output rows in assembly`,
      padding: c.op.padding,
      ...windowParams(g),
      ...rowsParams(c, s, kernel),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * g.outC * T,
  };
}

/** The row loop's template parameters (templates/partials/neon/conv/rows.hbs); registers from regalloc.ts. */
function rowsParams(c: ConvLayer, s: LoopSpec, fn: string) {
  const { g, quant, dtype } = c;
  const { P, Q, segRegs } = s.tile;
  const OCB = 4 * Q;
  const T = taps(g);
  const G = Math.ceil((g.kW * g.inC) / 4);
  const es = esize(dtype);
  const { t0, t1, border, SB } = rowTiles(s)!;
  const step = P * g.strideW * g.inC; // elements per tile
  const nInt = t1 - t0;
  const ysub = (P * g.outC - OCB) * es;
  const yback = (s.nOcb - 1) * OCB * es;
  const shifts = s.sdot ? convSdotShifts(g, P) : [];
  const rowTaps = s.mla ? null : convRowTaps(g, P, Q, s.sdot ? 'sdot' : quant ? 'i16' : 'f32', 8, 8);
  // int16 SMLAL rows: the weights of two registers' worth of taps (a group) by one LDP (LDR for a
  // lone register) at an offset from the tile's weight pointer, into v8-v9 and v10-v11 in turn, each
  // group loaded while the one before it multiplies (an in-order core does not wait for the load);
  // where the offsets pass LDP's range, one post-incremented LD1 per tap as before
  const tapRegs = Q / 2;
  const gsz = 2 / tapRegs;
  const wBlock = T * 16 * tapRegs;
  const wldp = quant && !s.sdot && !s.mla && s.nOcb * wBlock - 32 <= 1008;
  const groupLoad = (b: number, k: number) => {
    const n = Math.min(2, (T - k * gsz) * tapRegs);
    return { pair: n === 2, r0: 8 + 2 * (k % 2), off: b * wBlock + 32 * k };
  };
  const blockTaps = (b: number, ky: number) => {
    const row = rowTaps?.[ky] ?? [];
    if (!wldp) return row;
    return row.map((tp, i) => {
      const t = ky * row.length + i;
      const k = Math.floor(t / gsz);
      const w = 8 + 2 * (k % 2) + (t % gsz) * tapRegs;
      const next = t % gsz === 0 && (k + 1) * gsz < T ? [groupLoad(b, k + 1)] : [];
      return { ...tp, w, ld: next, macs: tp.macs.map((m) => ({ ...m, w: w + (m.q >> 1) })) };
    });
  };
  const bstride = quant ? (s.hasLsh ? 4 : 3) * OCB : OCB;
  const mOff = (s.hasLsh ? 2 : 1) * OCB;
  return {
    fn,
    t: cType(dtype),
    wt: s.sdot ? 'int8_t' : quant ? 'int16_t' : 'float',
    bt: quant ? 'int32_t' : 'float',
    quant,
    f32: !quant,
    sdot: s.sdot,
    mla: s.mla !== null,
    packed: s.packed,
    u8: dtype === 'uint8',
    hasLsh: s.hasLsh,
    allNeg: s.allNeg,
    clampLo: s.clampLo,
    clampHi: s.clampHi,
    xsBytes: step * es,
    ysBytes: g.outC * es,
    ix: s.packed ? packedSdotIndex(g) : [],
    // assembly
    P,
    Q,
    yzpReg: s.mla ? 14 : 7,
    wldp,
    bw: Q === 4 ? '16b' : '8b',
    q8: Q === 2,
    segLd: Math.ceil(segRegs / 2),
    seg: Array.from({ length: segRegs }, (_, j) => ({ j, hi: j % 2 === 1, src: 4 + (j >> 1) })),
    f32Seg: Array.from({ length: Math.max(0, Math.ceil((segRegs - 4) / 2)) }, (_, i) => ({ j: 4 + 2 * i, pair: 5 + 2 * i < segRegs })),
    seg0: Math.min(4, segRegs),
    // shifted loads first, the unshifted one (post-incremented) last
    shifts: [...shifts.entries()]
      .sort((a, b) => (a[1] === 0 ? 1 : 0) - (b[1] === 0 ? 1 : 0))
      .map(([ci, sh]) => ({ sh, zero: sh === 0, r0: 2 * ci, r1: 2 * ci + 1 })),
    hasZero: shifts.includes(0),
    blocks: Array.from({ length: s.nOcb }, (_, b) => ({
      last: b === s.nOcb - 1,
      ysub: b === s.nOcb - 1 ? yback : ysub,
      rows: Array.from({ length: g.kH }, (_, ky) => ({ ky, taps: blockTaps(b, ky), slots: s.mla ? convMlaRow(g, P, s.mla.order, s.mla.ends, b, ky) : [] })),
      wpre: wldp ? [groupLoad(b, 0)] : [],
    })),
    accs: Array.from({ length: P * Q }, (_, k) => ({ a: 16 + k, q: k % Q })),
    pixels: Array.from({ length: P }, (_, p) => ({ a0: convAcc(Q, p, 0), a1: convAcc(Q, p, 1), a2: convAcc(Q, p, 2), a3: convAcc(Q, p, 3) })),
    // packed SDOT
    off2: 2 * g.strideW * g.inC,
    gathers: [0, 1, 2, 3].flatMap((p) => (T > 16 ? [0, 1] : [0]).map((h) => ({ d: 2 * p + h, rows: p < 2 ? 20 : 24, ix: 16 + 2 * (p % 2) + h }))),
    groups: s.packed ? convPackedSdotMacs(T, Q) : [],
    halves: Array.from({ length: Q / 2 }, (_, hh) => Array.from({ length: 8 }, (_, i) => ({ a: convAcc(Q, i >> 1, 2 * hh + (i & 1)), k: i & 1 }))),
    wBytes: 16 * Q,
    bBytes: 16 * Q,
    // scalar C
    tileStep: step,
    T,
    G,
    nOcb: s.nOcb,
    OCB,
    bstride,
    wstride: s.sdot ? g.kH * G * 64 : T * OCB,
    rowTaps: g.kW * g.inC,
    mOff,
    rOff: s.packed ? mOff + 8 : mOff + OCB,
    slotType: T < 256 ? 'unsigned char' : 'unsigned short',
    // tap -> slot of the packed weights, per 8-channel half
    slots: (s.mla?.order ?? []).map((ord) => {
      const r = new Array<number>(T).fill(0);
      ord.forEach((tap, i) => {
        r[tap] = i;
      });
      return r;
    }),
    // driver
    ZN: Math.max(SB, nInt > 0 ? (nInt - 1) * step + SB : 0),
    SB,
    nInt,
    x0: (t0 * P * g.strideW - g.padLeft) * g.inC,
    y0: t0 * P * g.outC,
    partial: border.some((i) => (i + 1) * P > g.outW),
    border: border.map((ti) => {
      const ix0 = ti * P * g.strideW - g.padLeft;
      const lo = Math.max(ix0, 0);
      const hi = Math.min(g.inW, ix0 + Math.ceil(SB / g.inC));
      const dst = (lo - ix0) * g.inC;
      const cnt = Math.min((hi - lo) * g.inC, SB - dst);
      const np = Math.min(P, g.outW - ti * P);
      return { cnt: cnt > 0 ? cnt * es : 0, dst, src: lo * g.inC, full: np === P, yoff: ti * P * g.outC, bytes: np * g.outC * es };
    }),
  };
}
