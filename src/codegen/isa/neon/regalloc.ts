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

// ---- conv (neonconv)
// Standard convolution tiles (conv/): accumulators v16.. pixel-major (pixel p, quad q in v16 + p*Q + q),
// the kernel row's input segment from v0, the tap's weights in a pair of register groups used
// alternately (tiles) or one group (row loops). Templates: templates/partials/neon/conv/.

/** One multiply-accumulate: accumulator a (pixel p, quad q) += weights w x segment register s, lane l. */
export interface ConvMac {
  readonly a: number;
  readonly p: number;
  readonly q: number;
  readonly w: number;
  readonly s: number;
  readonly l: number;
  /** odd quad: the high half of an int16 weight register (SMLAL2). */
  readonly hi: boolean;
}

/** One tap (or SDOT group of 4 taps) of a kernel row: its index, weight register and MACs (quad outer, pixel inner). */
export interface ConvTap {
  readonly tap: number;
  readonly w: number;
  readonly macs: readonly ConvMac[];
}

export interface ConvGeometry {
  readonly kH: number;
  readonly kW: number;
  readonly inC: number;
  readonly strideW: number;
}

/** How a tile multiplies: f32 FMLA by element (4-byte lanes), i16 SMLAL by element (2-byte), sdot (4-byte groups). */
export type ConvMacKind = 'f32' | 'i16' | 'sdot';

export const convAcc = (Q: number, p: number, q: number) => 16 + p * Q + q;

function macs(P: number, Q: number, w: (q: number) => number, at: (p: number) => number, laneBytes: number): ConvMac[] {
  const out: ConvMac[] = [];
  for (let q = 0; q < Q; q++)
    for (let p = 0; p < P; p++) {
      const b = at(p);
      out.push({ a: convAcc(Q, p, q), p, q, w: w(q), s: b >> 4, l: (b & 15) / laneBytes, hi: q % 2 === 1 });
    }
  return out;
}

/** SDOT: the row segment loaded at each byte shift that 4-aligns a pixel's window, two registers per shift. */
export function convSdotShifts(g: ConvGeometry, P: number): number[] {
  return [...new Set(Array.from({ length: P }, (_, p) => (p * g.strideW * g.inC) % 4))].sort();
}

/**
 * The taps of every kernel row: weights alternate between v`w0` and v`w1` (tiles: the next tap's
 * load overlaps this tap's MACs) or stay in v`w0` (w1 = w0). Segment elements: pixel p, tap (kx, c)
 * at (p*strideW + kx)*inC + c; SDOT: groups of 4 row taps from the pixel's 4-aligned shifted copy.
 */
export function convRowTaps(g: ConvGeometry, P: number, Q: number, kind: ConvMacKind, w0: number, w1: number): ConvTap[][] {
  const rows: ConvTap[][] = [];
  let n = 0;
  const shifts = convSdotShifts(g, P);
  for (let ky = 0; ky < g.kH; ky++) {
    const row: ConvTap[] = [];
    if (kind === 'sdot') {
      for (let gi = 0; gi < Math.ceil((g.kW * g.inC) / 4); gi++) {
        const wr = n++ % 2 === 0 ? w0 : w1;
        const at = (p: number) => {
          const off = p * g.strideW * g.inC;
          return 32 * shifts.indexOf(off % 4) + off - (off % 4) + 4 * gi;
        };
        row.push({ tap: gi, w: wr, macs: macs(P, Q, (q) => wr + q, at, 4) });
      }
    } else {
      const bytes = kind === 'f32' ? 4 : 2;
      for (let kx = 0; kx < g.kW; kx++)
        for (let c = 0; c < g.inC; c++) {
          const wr = n++ % 2 === 0 ? w0 : w1;
          const at = (p: number) => bytes * ((p * g.strideW + kx) * g.inC + c);
          row.push({ tap: (ky * g.kW + kx) * g.inC + c, w: wr, macs: macs(P, Q, (q) => wr + (kind === 'f32' ? q : q >> 1), at, bytes) });
        }
    }
    rows.push(row);
  }
  return rows;
}

/** Packed SDOT: tap group gi of pixel p sits in v(2p + gi/4), lane gi%4 (gathered by TBL). */
export const convPackedSdotMacs = (T: number) => Array.from({ length: Math.ceil(T / 4) }, (_, gi) => macs(4, 4, (q) => 8 + q, (p) => 32 * p + 4 * gi, 4));

/** An MLA half of one slot: int16 sums v(6 + p*H + h) (+)= weights v(4 + h) x segment; at a group end, widened into the accumulators. */
export interface ConvMlaHalf {
  readonly start: boolean;
  readonly macs: readonly { readonly a: number; readonly w: number; readonly s: number; readonly l: number }[];
  /** group end: per pixel, the int16 sums h widened into accumulators lo (low half) and hi. */
  readonly widen: readonly { readonly h: number; readonly lo: number; readonly hi: number }[];
}

/** The MLA plan's slots of kernel row ky in channel block b (two 8-channel halves per block of 16). */
export function convMlaRow(g: ConvGeometry, P: number, order: number[][], ends: boolean[][], b: number, ky: number): ConvMlaHalf[][] {
  const H = 2;
  const RT = g.kW * g.inC;
  const slots: ConvMlaHalf[][] = [];
  for (let j = 0; j < RT; j++) {
    const slot = ky * RT + j;
    slots.push(
      Array.from({ length: H }, (_, h) => {
        const tap = order[b * H + h]![slot]!;
        const tx = Math.floor((tap % RT) / g.inC);
        const tc = tap % g.inC;
        const end = ends[b * H + h]![slot]!;
        return {
          start: slot === 0 || ends[b * H + h]![slot - 1]!,
          macs: Array.from({ length: P }, (_, p) => {
            const e = (p * g.strideW + tx) * g.inC + tc;
            return { a: 6 + p * H + h, w: 4 + h, s: e >> 3, l: e & 7 };
          }),
          widen: end ? Array.from({ length: P }, (_, p) => ({ h: 6 + p * H + h, lo: convAcc(4, p, 2 * h), hi: convAcc(4, p, 2 * h + 1) })) : [],
        };
      }),
    );
  }
  return slots;
}
