/**
 * NEON register allocation: the only TypeScript that computes what the
 * assembly of a tile looks like (which vector register holds which
 * accumulator, input or parameter, and the straight-line schedules that
 * depend on the geometry). Everything it returns is data (register numbers,
 * lists of operations); the templates under templates/kernels/ and
 * templates/partials/neon/ spell the instructions. No C or assembly text is
 * built here or anywhere else in src/codegen/isa/neon/.
 *
 * The requantization epilogue is the partial neon/requant_a64 (aarch64) or
 * neon/requant_a32 (armv7), fast form `rn` and general form `ls`; a tile
 * hands it the registers this file assigns.
 *
 * Keep this file at most ~300 lines: one section per kernel family owner.
 */

// ---- pointwise / depthwise

import type { WindowGeometry } from '../../../model/geometry.js';

/**
 * One operation of a depthwise row program, spelt by templates/partials/neon/dw/row_op.hbs:
 * float32 `fld` (column of row r into v{x}, v{x+1}), `fbias` (bias into v{a}, v{a+1} from
 * register b), `fmla` (taps: v{a..} += v{x..} * v{w..}), `fout` (clamp and store v{a}, v{a+1});
 * int8 `qld`, `qbias` (4 accumulators), `pair` (two taps' int16 products widened into v{a..a+3}),
 * `odd` (one tap), `hpair` / `hodd` (the same on channel half h only: 0-7 widened into v{a}, v{a+1},
 * 8-15 into v{a+2}, v{a+3}), `wld` (an extra tap's int8 weights into v{v} from byte `off` after the block's
 * nine weight vectors), `qout` (requantize, narrow, clamp, store); `loop`/`end` around a counted run.
 */
export type RowOp =
  | { k: 'fld' | 'qld'; x: number; r: number }
  | { k: 'fbias' | 'qbias'; a: number; b: number }
  | { k: 'fmla'; a: number; x: number; w: number }
  | { k: 'pair'; a: number; x0: number; w0: number; x1: number; w1: number }
  | { k: 'odd'; a: number; x: number; w: number }
  | { k: 'hpair'; h: number; a: number; x0: number; w0: number; x1: number; w1: number }
  | { k: 'hodd'; h: number; a: number; x: number; w: number }
  | { k: 'wld'; v: number; off: number }
  | { k: 'fout' | 'qout'; a: number }
  | { k: 'loop'; n: number }
  | { k: 'end' }
  // one instruction each, the int8 programs after scheduling (schedule.ts scheduleRow)
  | { k: 'mul'; m: 'smull' | 'smull2' | 'smlal' | 'smlal2'; p: number; x: number; w: number }
  | { k: 'wid'; a: number; p: number; hi: boolean }
  | { k: 'xld'; x: number; r: number }
  | { k: 'xeor'; x: number }
  | { k: 'rqld'; t: number; v: number; n: number }
  | { k: 'rq'; step: 'shift' | 'mul' | 'fix' | 'rshift' | 'round'; a: number; m: number; r: number; l: number; t: number }
  | { k: 'nar' | 'nar8'; d: number; s: number; hi: boolean }
  | { k: 'zadd' | 'cmax' | 'cmin' | 'qst'; d: number }
  | { k: 'cld' };

/** A dtype's register file for row programs: column registers, accumulator sets, tap programs. */
interface RowIsa {
  readonly accSets: number;
  load(ix: number, rows: readonly number[]): RowOp[];
  init(o: number, bias: number): RowOp;
  taps(o: number, ix: number, taps: readonly { ky: number; kx: number }[], last: boolean): RowOp[];
  finish(o: number): RowOp;
}

/** float32, 8 channels: weights v0-v17 (tap t in v2t, v2t+1), accumulators v18-v23, column v24-v29, clamp v30-v31. */
function f32RowIsa(s: number): RowIsa {
  const accSets = s === 1 ? 3 : 2;
  const acc = (o: number) => 18 + 2 * (o % accSets);
  return {
    accSets,
    load: (_ix, rows) => rows.map((ky) => ({ k: 'fld', x: 24 + 2 * ky, r: ky })),
    init: (o, b) => ({ k: 'fbias', a: acc(o), b }),
    taps: (o, _ix, taps) => taps.map(({ ky, kx }) => ({ k: 'fmla', a: acc(o), x: 24 + 2 * ky, w: 2 * (ky * 3 + kx) })),
    finish: (o) => ({ k: 'fout', a: acc(o) }),
  };
}

/**
 * An extra tap of a channel block: kernel tap (ky, kx) again, with the block's j-th extra weight
 * vector, non-zero in channels 0-7 (`lo`) and / or 8-15 (`hi`): each half multiplies only its own.
 */
export interface SplitTap {
  readonly ky: number;
  readonly kx: number;
  readonly j: number;
  readonly lo: boolean;
  readonly hi: boolean;
}

/**
 * int8, 16 channels, products in int16 (|w| <= 127): two taps share one SMULL/SMLAL pair before
 * SADDW widens them. Weights v0-v8, accumulators v9-v20 (4 per output), columns v21-v25 (the
 * last kernel row alternating between v24 and v25, so a column's odd tap can wait to pair with the
 * next column's), y_zp v27 (uint8 stride 1: v26, v27 holding the 0x80 mask that turns x into
 * x - 128; stride 2 keeps the mask in v17), products
 * and requantization scratch v28-v31. `extra`: the block's split taps, whose weights are loaded
 * into v30 / v31 just before use (stride 2: the first four stay in the free v18-v20 and v26,
 * loaded with the block's weights). Each channel half (0-7, 8-15) pairs its own list of taps (the
 * nine, then the split taps non-zero in that half); where both halves pair the same two taps the
 * op covers both.
 */
function int8RowIsa(s: number, extra: readonly SplitTap[]): RowIsa {
  const accSets = s === 1 ? 3 : 2;
  const acc = (o: number) => 9 + 4 * (o % accSets);
  // the last kernel row's column register alternates (v24 / v25): only it can wait for the next
  // column (an output's list ends with it), the other rows reuse v21-v23; v26 is free (y_zp, uint8 stride 1)
  let maxRow = 2;
  const x = (ix: number, ky: number) => (ky === maxRow ? 24 + (ix % 2) : 21 + ky);
  type Entry = { x: number; w: number; j?: number };
  const pending = new Map<string, Entry>();
  const same = (a: Entry | undefined, b: Entry | undefined) => a !== undefined && b !== undefined && a.x === b.x && a.w === b.w && a.j === b.j;
  return {
    accSets,
    load: (ix, rows) => {
      maxRow = Math.max(...rows);
      return rows.map((ky) => ({ k: 'qld', x: x(ix, ky), r: ky }));
    },
    init: (o, b) => ({ k: 'qbias', a: acc(o), b }),
    taps(o, ix, taps, last) {
      const base: Entry[] = taps.map(({ ky, kx }) => ({ x: x(ix, ky), w: ky * 3 + kx }));
      const lists = [0, 1].map((h) => {
        // the split taps before the last row's tap, so that an odd one left waiting is always the last row's
        const list = base.slice(0, -1);
        for (const e of extra) if ((h === 0 ? e.lo : e.hi) && taps.some((t) => t.ky === e.ky && t.kx === e.kx)) list.push({ x: x(ix, e.ky), w: -1, j: e.j });
        list.push(base[base.length - 1]!);
        const held = pending.get(`${o}|${h}`);
        if (held) list.unshift(held);
        pending.delete(`${o}|${h}`);
        return list;
      });
      const ops: RowOp[] = [];
      /** The weight register of entry e (an extra tap's loaded into v`v` first). */
      const wreg = (e: Entry, v: number) => {
        if (e.j === undefined) return e.w;
        if (s === 2 && e.j < 4) return [18, 19, 20, 26][e.j]!;
        ops.push({ k: 'wld', v, off: 16 * e.j });
        return v;
      };
      const [lo, hi] = lists as [Entry[], Entry[]];
      const n = Math.max(lo.length, hi.length) >> 1;
      for (let i = 0; i < n; i++) {
        const p = [lo.slice(2 * i, 2 * i + 2), hi.slice(2 * i, 2 * i + 2)];
        if (p[0]!.length === 2 && same(p[0]![0], p[1]![0]) && same(p[0]![1], p[1]![1])) {
          const w0 = wreg(p[0]![0]!, 30);
          const w1 = wreg(p[0]![1]!, 31);
          ops.push({ k: 'pair', a: acc(o), x0: p[0]![0]!.x, w0, x1: p[0]![1]!.x, w1 });
          continue;
        }
        p.forEach((q, h) => {
          if (q.length < 2) return;
          const w0 = wreg(q[0]!, 30);
          const w1 = wreg(q[1]!, 31);
          ops.push({ k: 'hpair', h, a: acc(o), x0: q[0]!.x, w0, x1: q[1]!.x, w1 });
        });
      }
      const odd = [lo.length % 2 ? lo[lo.length - 1] : undefined, hi.length % 2 ? hi[hi.length - 1] : undefined];
      if (!last) {
        odd.forEach((e, h) => {
          if (e) pending.set(`${o}|${h}`, e);
        });
      } else if (same(odd[0], odd[1])) ops.push({ k: 'odd', a: acc(o), x: odd[0]!.x, w: wreg(odd[0]!, 30) });
      else
        odd.forEach((e, h) => {
          if (e) ops.push({ k: 'hodd', h, a: acc(o), x: e.x, w: wreg(e, 30) });
        });
      return ops;
    },
    finish: (o) => ({ k: 'qout', a: acc(o) }),
  };
}

/**
 * The straight-line program of one output row, one op list per input column, each column
 * feeding the (up to 3) outputs whose windows hold it; the output finishing first frees its
 * accumulators first. `bias(o)` is the bias register index of output o.
 */
function rowColumns(g: RowGeom, rows: readonly number[], isa: RowIsa, bias: (o: number) => number): RowOp[][] {
  const cols: RowOp[][] = [];
  for (let ix = 0; ix <= lastCol(g, g.outW - 1); ix++) {
    const ops = isa.load(ix, rows);
    for (let o = 0; o < g.outW; o++) {
      if (ix < firstCol(g, o) || ix > lastCol(g, o)) continue;
      if (ix === firstCol(g, o)) ops.push(isa.init(o, bias(o)));
      const kx = ix - (o * g.s - g.pl);
      ops.push(
        ...isa.taps(
          o,
          ix,
          rows.map((ky) => ({ ky, kx })),
          ix === lastCol(g, o),
        ),
      );
      if (ix === lastCol(g, o)) ops.push(isa.finish(o));
    }
    cols.push(ops);
  }
  return cols;
}

/**
 * Folds the longest run of identical `period`-column groups into a counted loop (unrolled to
 * about 12 columns). Comparing the ops makes the fold exact: the loop executes the very
 * instructions the straight-line program would.
 */
function foldLoop(cols: RowOp[][], period: number): RowOp[] {
  const key = cols.map((c) => JSON.stringify(c));
  let best = { a: 0, n: 1 };
  for (let a = 0; a + period <= key.length; a++) {
    let n = 1;
    const same = (k: number) => key.slice(a + k * period, a + (k + 1) * period).every((t, j) => t === key[a + j]);
    while (a + (n + 1) * period <= key.length && same(n)) n++;
    if (n > best.n) best = { a, n };
  }
  const { a, n } = best;
  let u = Math.max(1, Math.floor(12 / period));
  while (u > 1 && Math.floor(n / u) < 2) u--;
  const iters = Math.floor(n / u);
  if (iters < 2) return cols.flat();
  const body = a + iters * u * period;
  return [...cols.slice(0, a).flat(), { k: 'loop', n: iters }, ...cols.slice(a, a + u * period).flat(), { k: 'end' }, ...cols.slice(body).flat()];
}

interface RowGeom {
  readonly s: number;
  readonly pl: number;
  readonly inW: number;
  readonly outW: number;
}
const firstCol = (g: RowGeom, o: number) => Math.max(0, o * g.s - g.pl);
const lastCol = (g: RowGeom, o: number) => Math.min(g.inW - 1, o * g.s - g.pl + 2);
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

/** The kx of output o's window for every valid column. */
function outputTaps(g: RowGeom, o: number): number[] {
  const kxs: number[] = [];
  for (let ix = firstCol(g, o); ix <= lastCol(g, o); ix++) kxs.push(ix - (o * g.s - g.pl));
  return kxs;
}

export interface RowKernel {
  /** Channels per block. */
  readonly block: number;
  /** Row variant of the first, last and middle output rows. */
  readonly top: number;
  readonly bottom: number;
  readonly mid: number;
  /**
   * Per variant: its valid kernel rows, the bias tables it reads (x13.., indexes into biasTaps)
   * and one program per split signature (`progs[i]`: the blocks whose split taps are `splits[i]`).
   */
  readonly variants: { rows: number[]; progs: RowOp[][]; biases: number[] }[];
  /** Bias tables (int8: one per set of valid taps), each `cpad` long. */
  readonly biasTaps: { rows: number[]; kxs: number[] }[];
  /** Bytes the row pointers and the output pointer step back after a block's row. */
  readonly rb: number;
  readonly yb: number;
}

/**
 * Whole-row depthwise 3x3 programs (aarch64), one per distinct set of valid kernel rows (top,
 * middle, bottom) and split signature (`splits`, int8/uint8: the extra taps of a kind of channel
 * block; float32 and unsplit layers: `[[]]`), or null when the rows in between differ or a variant
 * needs more than the three bias registers x13-x15. int8 (`quant`) on 16 channels, float32 on 8.
 */
export function rowKernel(g: WindowGeometry, quant: boolean, splits: readonly (readonly SplitTap[])[] = [[]]): RowKernel | null {
  const s = g.strideW;
  const B = quant ? 16 : 8;
  const rg: RowGeom = { s, pl: g.padLeft, inW: g.inW, outW: g.outW };
  const masks = Array.from({ length: g.outH }, (_, oy) => [0, 1, 2].filter((ky) => oy * s - g.padTop + ky >= 0 && oy * s - g.padTop + ky < g.inH));
  const mid = masks.slice(1, -1).map((m) => m.join(''));
  if (mid.some((m) => m !== mid[0]) || masks.some((m) => m.length === 0)) return null;
  const keys = [...new Set([0, g.outH - 1, ...(g.outH > 2 ? [1] : [])].map((oy) => masks[oy]!.join('')))];
  const varOf = (oy: number) => keys.indexOf(masks[oy]!.join(''));
  const biasTaps: { rows: number[]; kxs: number[] }[] = [];
  const biasKey: string[] = [];
  const variants = keys.map((k) => {
    const rows = [...k].map(Number);
    // the tap sets' biases of this variant, in x13.. (int8; float32 has one)
    const used: number[] = [];
    const bias = (o: number) => {
      if (!quant) return 0;
      const key = `${k}|${outputTaps(rg, o).join('')}`;
      let i = biasKey.indexOf(key);
      if (i < 0) {
        i = biasKey.push(key) - 1;
        biasTaps.push({ rows, kxs: outputTaps(rg, o) });
      }
      if (!used.includes(i)) used.push(i);
      return used.indexOf(i);
    };
    const xSets = quant ? 2 : 1;
    const progs = splits.map((extra) => {
      const isa = quant ? int8RowIsa(s, extra) : f32RowIsa(s);
      const span = isa.accSets * s;
      return foldLoop(rowColumns(rg, rows, isa, bias), (span * xSets) / gcd(span, xSets));
    });
    return { rows, progs, biases: quant ? used : [0] };
  });
  if (variants.some((v) => v.biases.length > 3)) return null;
  const esize = quant ? 1 : 4;
  const ncols = lastCol(rg, g.outW - 1) + 1;
  return {
    block: B,
    top: varOf(0),
    bottom: varOf(g.outH - 1),
    mid: varOf(Math.min(1, g.outH - 1)),
    variants,
    biasTaps,
    rb: (ncols * g.inC - B) * esize,
    yb: (g.outW * g.inC - B) * esize,
  };
}

// ---- conv (neonconv)
// Standard convolution tiles (conv/): accumulators v16.. pixel-major (pixel p, quad q in v16 + p*Q + q),
// the kernel row's input segment from v0, the tap's weights in two register groups used alternately
// (tiles) or one (row loops). Templates: templates/partials/neon/conv/.

/** One multiply-accumulate: accumulator a (pixel p, quad q) += weights w x segment register s, lane l; hi: odd quad (SMLAL2). */
export interface ConvMac {
  readonly a: number;
  readonly p: number;
  readonly q: number;
  readonly w: number;
  readonly s: number;
  readonly l: number;
  readonly hi: boolean;
}
/** One tap (or SDOT group of 4 taps) of a kernel row: its index, weight register and MACs (quad outer, pixel inner). */
export interface ConvTap {
  readonly tap: number;
  readonly w: number;
  readonly macs: readonly ConvMac[];
}
export type ConvGeometry = Pick<WindowGeometry, 'kH' | 'kW' | 'inC' | 'strideW'>;
/** How a tile multiplies: f32 FMLA by element (4-byte lanes), i16 SMLAL by element (2-byte), sdot (4-byte groups). */
export type ConvMacKind = 'f32' | 'i16' | 'sdot';

export const convAcc = (Q: number, p: number, q: number) => 16 + p * Q + q;

/** The MACs of one tap: pixel p's element at byte `at(p)` of the segment registers (16 bytes each). */
function convMacs(P: number, Q: number, w: (q: number) => number, at: (p: number) => number, laneBytes: number): ConvMac[] {
  const out: ConvMac[] = [];
  for (let q = 0; q < Q; q++)
    for (let p = 0; p < P; p++) out.push({ a: convAcc(Q, p, q), p, q, w: w(q), s: at(p) >> 4, l: (at(p) & 15) / laneBytes, hi: q % 2 === 1 });
  return out;
}

/** SDOT: the row segment loaded at each byte shift that 4-aligns a pixel's window, two registers per shift. */
export const convSdotShifts = (g: ConvGeometry, P: number): number[] => [...new Set(Array.from({ length: P }, (_, p) => (p * g.strideW * g.inC) % 4))].sort();

/**
 * The taps of every kernel row, weights alternately in v`w0` and v`w1` (w1 = w0: one group). Pixel p's
 * element of tap (kx, c) is (p*strideW + kx)*inC + c; SDOT: groups of 4 row taps from the pixel's
 * 4-aligned shifted copy (registers 2*shift index, +1).
 */
export function convRowTaps(g: ConvGeometry, P: number, Q: number, kind: ConvMacKind, w0: number, w1: number): ConvTap[][] {
  const shifts = convSdotShifts(g, P);
  const bytes = kind === 'i16' ? 2 : 4;
  let n = 0;
  return Array.from({ length: g.kH }, (_, ky) => {
    const row: ConvTap[] = [];
    if (kind === 'sdot') {
      for (let gi = 0; gi < Math.ceil((g.kW * g.inC) / 4); gi++) {
        const wr = n++ % 2 === 0 ? w0 : w1;
        const at = (p: number) => {
          const off = p * g.strideW * g.inC;
          return 32 * shifts.indexOf(off % 4) + off - (off % 4) + 4 * gi;
        };
        row.push({ tap: gi, w: wr, macs: convMacs(P, Q, (q) => wr + q, at, 4) });
      }
    } else {
      for (let kx = 0; kx < g.kW; kx++)
        for (let c = 0; c < g.inC; c++) {
          const wr = n++ % 2 === 0 ? w0 : w1;
          const at = (p: number) => bytes * ((p * g.strideW + kx) * g.inC + c);
          row.push({ tap: (ky * g.kW + kx) * g.inC + c, w: wr, macs: convMacs(P, Q, (q) => wr + (kind === 'f32' ? q : q >> 1), at, bytes) });
        }
    }
    return row;
  });
}

/** Packed SDOT: tap group gi of pixel p sits in v(2p + gi/4), lane gi%4 (gathered by TBL). */
export const convPackedSdotMacs = (T: number, Q: number) =>
  Array.from({ length: Math.ceil(T / 4) }, (_, gi) =>
    convMacs(
      4,
      Q,
      (q) => 8 + q,
      (p) => 32 * p + 4 * gi,
      4,
    ),
  );

/**
 * An MLA half of one slot: int16 sums v(6 + 2p + h) (+)= weights v(4 + h) x segment (start: MUL, else
 * MLA); at a group end, widened per pixel into the accumulators lo (low half) and hi.
 */
export interface ConvMlaHalf {
  readonly start: boolean;
  readonly macs: readonly { readonly a: number; readonly w: number; readonly s: number; readonly l: number }[];
  readonly widen: readonly { readonly h: number; readonly lo: number; readonly hi: number }[];
}

/** The MLA plan's slots of kernel row ky in channel block b (two 8-channel halves per block of 16). */
export function convMlaRow(g: ConvGeometry, P: number, order: number[][], ends: boolean[][], b: number, ky: number): ConvMlaHalf[][] {
  const RT = g.kW * g.inC;
  return Array.from({ length: RT }, (_, j) =>
    [0, 1].map((h) => {
      const slot = ky * RT + j;
      const tap = order[2 * b + h]![slot]!;
      const tx = Math.floor((tap % RT) / g.inC);
      return {
        start: slot === 0 || ends[2 * b + h]![slot - 1]!,
        macs: Array.from({ length: P }, (_, p) => {
          const e = (p * g.strideW + tx) * g.inC + (tap % g.inC);
          return { a: 6 + 2 * p + h, w: 4 + h, s: e >> 3, l: e & 7 };
        }),
        widen: ends[2 * b + h]![slot]
          ? Array.from({ length: P }, (_, p) => ({ h: 6 + 2 * p + h, lo: convAcc(4, p, 2 * h), hi: convAcc(4, p, 2 * h + 1) }))
          : [],
      };
    }),
  );
}
