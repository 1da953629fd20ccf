/** Depthwise 3x3 convolution on NEON, vectorized across channels: one variant per ISA tag (neon, neon32). */
import type { DepthwiseConv2DOp } from '../../../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../../../model/geometry.js';
import { formatKernelId, type KernelId, type KernelIsa } from '../../../kernelId.js';
import type { Layer, SimdVariant } from '../../../types.js';
import { cType, floatActRange, zeroPoint } from '../../../ops/common.js';
import { foldInputZeroPoint, common, actDType, weightValues, biasValues, requantArgs, requantFlags, requantForms, quantChannelsOk, ceil, asmText, CLOBBERS, requantAsm, DTYPE, neonIsa } from '../shared.js';

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
 * The int8/uint8 stride-1 interior as aarch64 assembly, three outputs of 8 channels per iteration:
 * weights v0-v8, three rotating column triples v9-v17 (each input column loaded and widened once),
 * accumulators v18-v23, y_zp/min/max v24-v26, requantization parameters and temporaries v27-v31.
 */
function dwQAsm(u8: boolean, hasLsh: boolean, allNeg: boolean, stride: number): string[] {
  const L: string[] = [];
  const xtl = u8 ? 'uxtl' : 'sxtl';
  for (let t = 0; t < 9; t++) L.push(`ld1 {v${t}.8h}, [%[w]], %[ws]`);
  L.push('dup v24.8h, %w[yzp]', 'dup v25.8b, %w[amin]', 'dup v26.8b, %w[amax]');
  const load = (base: number) => {
    for (let k = 0; k < 3; k++) L.push(`ld1 {v${base + k}.8b}, [%[r${k}]], %[cb]`);
    for (let k = 0; k < 3; k++) L.push(`${xtl} v${base + k}.8h, v${base + k}.8b`);
  };
  const out = (o: number, cols: number[]) => {
    const lo = 18 + 2 * o;
    L.push(`ld1 {v${lo}.4s, v${lo + 1}.4s}, [%[b]]`);
    for (let kx = 0; kx < 3; kx++)
      for (let ky = 0; ky < 3; ky++) {
        const c = cols[kx]! + ky;
        const t = ky * 3 + kx;
        L.push(`smlal v${lo}.4s, v${c}.4h, v${t}.4h`, `smlal2 v${lo + 1}.4s, v${c}.8h, v${t}.8h`);
      }
  };
  if (stride === 1) {
    load(9);
    load(12);
    L.push('1:');
    load(15);
    out(0, [9, 12, 15]);
    load(9);
    out(1, [12, 15, 9]);
    load(12);
    out(2, [15, 9, 12]);
  } else {
    // stride 2: the window's last column is the next window's first
    load(9);
    L.push('1:');
    load(12);
    load(15);
    out(0, [9, 12, 15]);
    load(9);
    load(12);
    out(1, [15, 9, 12]);
    load(15);
    load(9);
    out(2, [12, 15, 9]);
  }
  const accs = [18, 19, 20, 21, 22, 23];
  const par = (a: number) => (a % 2 === 0 ? 27 : 28);
  const rq = (a: number, t: number, step: 'shift' | 'mul' | 'round') => requantAsm(L, a, par(a), par(a), par(a), t, allNeg, step, 'sqadd');
  if (hasLsh) {
    L.push('ld1 {v27.4s, v28.4s}, [%[l]]');
    for (const a of accs) rq(a, 29, 'shift');
  }
  L.push('ld1 {v27.4s, v28.4s}, [%[m]]');
  for (const a of accs) rq(a, 29, 'mul');
  L.push('ld1 {v27.4s, v28.4s}, [%[nr]]');
  for (const [i, a] of accs.entries()) rq(a, 29 + (i % 3), 'round');
  for (let o = 0; o < 3; o++) {
    const t = 29 + o;
    L.push(`sqxtn v${t}.4h, v${18 + 2 * o}.4s`, `sqxtn2 v${t}.8h, v${19 + 2 * o}.4s`, `sqadd v${t}.8h, v${t}.8h, v24.8h`);
    L.push(`${u8 ? 'sqxtun' : 'sqxtn'} v${t}.8b, v${t}.8h`, `${u8 ? 'umax' : 'smax'} v${t}.8b, v${t}.8b, v25.8b`, `${u8 ? 'umin' : 'smin'} v${t}.8b, v${t}.8b, v26.8b`);
    L.push(`st1 {v${t}.8b}, [%[y]], %[cb]`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  return L;
}

// ------------------------------------------------- whole-row assembly kernels

/**
 * One dtype's side of a row kernel. The row is computed input column by input
 * column ("scatter"): each loaded column feeds the (up to 3) outputs whose
 * windows hold it, so every input pixel is loaded once and the weights stay in
 * registers; outputs rotate through `accSets` accumulator sets.
 */
interface RowIsa {
  readonly accSets: number;
  /** Loads the valid rows of input column ix. */
  load(L: string[], ix: number, rows: readonly number[]): void;
  /** Starts output o from its bias (operand name). */
  init(L: string[], o: number, bias: string): void;
  /** Adds the taps (ky, kx) of column ix to output o; `last` when o needs no later column. */
  taps(L: string[], o: number, ix: number, taps: readonly { ky: number; kx: number }[], last: boolean): void;
  /** Activation / requantization and the store of output o. */
  finish(L: string[], o: number): void;
}

interface RowGeom {
  readonly s: number;
  readonly pl: number;
  readonly inW: number;
  readonly outW: number;
}

const firstCol = (g: RowGeom, o: number) => Math.max(0, o * g.s - g.pl);
const lastCol = (g: RowGeom, o: number) => Math.min(g.inW - 1, o * g.s - g.pl + 2);

/** The kx of output o's window that column ix falls on, for every valid column. */
export function outputTaps(g: RowGeom, o: number): number[] {
  const kxs: number[] = [];
  for (let ix = firstCol(g, o); ix <= lastCol(g, o); ix++) kxs.push(ix - (o * g.s - g.pl));
  return kxs;
}

/** The straight-line program of one output row, one line list per input column. */
function rowColumns(g: RowGeom, rows: readonly number[], isa: RowIsa, bias: (o: number) => string): string[][] {
  const cols: string[][] = [];
  for (let ix = 0; ix <= lastCol(g, g.outW - 1); ix++) {
    const L: string[] = [];
    isa.load(L, ix, rows);
    // the output finishing here first: its accumulators free up soonest
    for (let o = 0; o < g.outW; o++) {
      if (ix < firstCol(g, o) || ix > lastCol(g, o)) continue;
      if (ix === firstCol(g, o)) isa.init(L, o, bias(o));
      const kx = ix - (o * g.s - g.pl);
      isa.taps(L, o, ix, rows.map((ky) => ({ ky, kx })), ix === lastCol(g, o));
      if (ix === lastCol(g, o)) isa.finish(L, o);
    }
    cols.push(L);
  }
  return cols;
}

/**
 * Folds the longest run of identical `period`-column groups into a counted
 * loop (unrolled to about 12 columns). Comparing the emitted text makes the
 * fold exact: the loop executes the very instructions the straight-line
 * program would.
 */
function foldLoop(cols: string[][], period: number): string[] {
  const key = cols.map((c) => c.join('\n'));
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
  return [
    ...cols.slice(0, a).flat(),
    `mov x16, #${iters}`,
    '1:',
    ...cols.slice(a, a + u * period).flat(),
    'subs x16, x16, #1',
    'b.ne 1b',
    ...cols.slice(body).flat(),
  ];
}

/** float32, 8 channels: weights v0-v17 (tap t in v2t, v2t+1), accumulators v18-v23, column v24-v29, clamp v30-v31. */
function f32RowIsa(s: number): RowIsa {
  const accSets = s === 1 ? 3 : 2;
  const acc = (o: number) => 18 + 2 * (o % accSets);
  const x = (ky: number) => 24 + 2 * ky;
  return {
    accSets,
    load(L, _ix, rows) {
      for (const ky of rows) L.push(`ld1 {v${x(ky)}.4s, v${x(ky) + 1}.4s}, [%[r${ky}]], %[cs]`);
    },
    init(L, o, bias) {
      L.push(`ld1 {v${acc(o)}.4s, v${acc(o) + 1}.4s}, [${bias}]`);
    },
    taps(L, o, _ix, taps) {
      for (const { ky, kx } of taps)
        for (let h = 0; h < 2; h++) L.push(`fmla v${acc(o) + h}.4s, v${x(ky) + h}.4s, v${2 * (ky * 3 + kx) + h}.4s`);
    },
    finish(L, o) {
      const a = acc(o);
      L.push(`fmax v${a}.4s, v${a}.4s, v30.4s`, `fmax v${a + 1}.4s, v${a + 1}.4s, v30.4s`);
      L.push(`fmin v${a}.4s, v${a}.4s, v31.4s`, `fmin v${a + 1}.4s, v${a + 1}.4s, v31.4s`);
      L.push(`st1 {v${a}.4s, v${a + 1}.4s}, [%[y]], %[cs]`);
    },
  };
}

/** The weights of one channel block (the pointer left at the next block's). */
const F32_WEIGHTS = [
  ...[0, 4, 8, 12].map((r) => `ld1 {v${r}.4s, v${r + 1}.4s, v${r + 2}.4s, v${r + 3}.4s}, [%[w]], #64`),
  'ld1 {v16.4s, v17.4s}, [%[w]], #32',
];

/**
 * Pointers the assembly steps itself, in fixed registers (an asm statement has
 * at most 30 operands): requantization tables, biases from x13, loop counters x16, x17.
 */
const QP = { m: 'x9', l: 'x10', rs: 'x11', rs2: 'x12' } as const;
const BIAS_REG = (j: number) => `x${13 + j}`;
export const ROW_GPRS = ['x9', 'x10', 'x11', 'x12', 'x13', 'x14', 'x15', 'x16', 'x17'].map((r) => `"${r}"`).join(', ');

interface QRow {
  readonly hasLsh: boolean;
  readonly allNeg: boolean;
  readonly clampLo: boolean;
  readonly clampHi: boolean;
}

/**
 * int8, 16 channels, products in int16: x * w fits in 15 bits (|w| <= 127),
 * so two taps share one SMULL/SMLAL pair before SADDW widens them into int32.
 * Weights v0-v8, accumulators v9-v20 (4 per output), columns v21-v26 (two
 * alternating sets, so a column's odd tap can wait to pair with the next
 * column's), y_zp v27, products and requantization scratch v28-v31.
 */
function int8RowIsa(s: number, q: QRow): RowIsa {
  const accSets = s === 1 ? 3 : 2;
  const acc = (o: number) => 9 + 4 * (o % accSets);
  const x = (ix: number, ky: number) => 21 + 3 * (ix % 2) + ky;
  type Tap = { x: number; w: number };
  const pending = new Map<number, Tap>();
  const widenAdd = (L: string[], a: number) =>
    L.push(`saddw v${a}.4s, v${a}.4s, v28.4h`, `saddw2 v${a + 1}.4s, v${a + 1}.4s, v28.8h`,
      `saddw v${a + 2}.4s, v${a + 2}.4s, v29.4h`, `saddw2 v${a + 3}.4s, v${a + 3}.4s, v29.8h`);
  return {
    accSets,
    load(L, ix, rows) {
      for (const ky of rows) L.push(`ld1 {v${x(ix, ky)}.16b}, [%[r${ky}]], %[cs]`);
    },
    init(L, o, bias) {
      const a = acc(o);
      L.push(`ld1 {v${a}.4s, v${a + 1}.4s, v${a + 2}.4s, v${a + 3}.4s}, [${bias}]`);
    },
    taps(L, o, ix, taps, last) {
      const list: Tap[] = taps.map(({ ky, kx }) => ({ x: x(ix, ky), w: ky * 3 + kx }));
      const held = pending.get(o);
      if (held) list.unshift(held);
      pending.delete(o);
      const a = acc(o);
      for (; list.length >= 2; list.splice(0, 2)) {
        const [p, r] = list as [Tap, Tap];
        L.push(`smull v28.8h, v${p.x}.8b, v${p.w}.8b`, `smlal v28.8h, v${r.x}.8b, v${r.w}.8b`);
        L.push(`smull2 v29.8h, v${p.x}.16b, v${p.w}.16b`, `smlal2 v29.8h, v${r.x}.16b, v${r.w}.16b`);
        widenAdd(L, a);
      }
      const odd = list[0];
      if (odd && !last) pending.set(o, odd);
      else if (odd) {
        L.push(`smull v28.8h, v${odd.x}.8b, v${odd.w}.8b`, `smull2 v29.8h, v${odd.x}.16b, v${odd.w}.16b`);
        widenAdd(L, a);
      }
    },
    finish(L, o) {
      const a = acc(o);
      const each = (f: (i: number) => void) => [0, 1, 2, 3].forEach(f);
      // the partial neon/requant_a64, stage by stage over the 4 registers (parameters in v28-v31)
      const rq = (i: number, r: number, step: 'shift' | 'mul' | 'fix' | 'rshift' | 'round') => requantAsm(L, a + i, 28 + i, r, 28 + i, 30, q.allNeg, step);
      if (q.hasLsh) {
        L.push(`ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [${QP.l}]`);
        each((i) => rq(i, 28 + i, 'shift'));
      }
      L.push(`ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [${QP.m}]`);
      each((i) => rq(i, 28 + i, 'mul'));
      if (q.allNeg) {
        each((i) => rq(i, 28 + i, 'fix'));
        L.push(`ld1 {v28.4s, v29.4s, v30.4s, v31.4s}, [${QP.rs}]`);
        each((i) => rq(i, 28 + i, 'rshift'));
      } else {
        for (const h of [0, 2]) {
          L.push(`ld1 {v28.4s, v29.4s}, [${h ? QP.rs2 : QP.rs}]`);
          for (const i of [h, h + 1]) rq(i, 28 + i - h, 'round');
        }
      }
      L.push(`sqxtn v28.4h, v${a}.4s`, `sqxtn2 v28.8h, v${a + 1}.4s`, `sqxtn v29.4h, v${a + 2}.4s`, `sqxtn2 v29.8h, v${a + 3}.4s`);
      L.push('sqadd v28.8h, v28.8h, v27.8h', 'sqadd v29.8h, v29.8h, v27.8h', 'sqxtn v28.8b, v28.8h', 'sqxtn2 v28.16b, v29.8h');
      // the clamps that can bind (the narrowing already saturates to the int8 range)
      if (q.clampLo || q.clampHi) L.push('ld2r {v30.16b, v31.16b}, [%[mm]]');
      if (q.clampLo) L.push('smax v28.16b, v28.16b, v30.16b');
      if (q.clampHi) L.push('smin v28.16b, v28.16b, v31.16b');
      L.push('st1 {v28.16b}, [%[y]], %[cs]');
    },
  };
}

const INT8_WEIGHTS = [
  'ld1 {v0.16b, v1.16b, v2.16b, v3.16b}, [%[w]], #64',
  'ld1 {v4.16b, v5.16b, v6.16b, v7.16b}, [%[w]], #64',
  'ld1 {v8.16b}, [%[w]], #16',
];

const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

export interface RowKernel {
  /** Channels per block. */
  readonly block: number;
  /** Row variant of output row oy, as a C expression. */
  readonly varExpr: string;
  /** Per variant: the assembly text and its bias operands. */
  readonly variants: { text: string; bias: string }[];
  /** Bias tables (int8: one per set of valid taps), each `cpad` long. */
  readonly biasTaps: { rows: number[]; kxs: number[] }[];
  /** Bytes the row pointers and the output pointer step back after a block's row. */
  readonly rb: number;
  readonly yb: number;
}

/** The valid kernel rows of output row oy. */
function validRows(oy: number, s: number, pt: number, inH: number): number[] {
  return [0, 1, 2].filter((ky) => oy * s - pt + ky >= 0 && oy * s - pt + ky < inH);
}

/**
 * Whole-row kernels, one per distinct set of valid kernel rows (top, middle,
 * bottom), or null when the rows in between differ (not a 3x3 'same'/'valid' shape).
 */
export function rowKernel(g: WindowGeometry, q: QRow | null, cpad: number): RowKernel | null {
  const s = g.strideW;
  const B = q ? 16 : 8;
  const esize = q ? 1 : 4;
  const nb = Math.floor(g.inC / B);
  const rg: RowGeom = { s, pl: g.padLeft, inW: g.inW, outW: g.outW };
  const masks = Array.from({ length: g.outH }, (_, oy) => validRows(oy, s, g.padTop, g.inH));
  const mid = masks.slice(1, -1).map((m) => m.join(''));
  if (mid.some((m) => m !== mid[0]) || masks.some((m) => m.length === 0)) return null;
  const picks = [0, g.outH - 1, ...(g.outH > 2 ? [1] : [])];
  const keys = [...new Set(picks.map((oy) => masks[oy]!.join('')))];
  const varOf = (oy: number) => keys.indexOf(masks[oy]!.join(''));
  const varExpr = g.outH > 2 ? `oy == 0 ? ${varOf(0)} : oy == ${g.outH - 1} ? ${varOf(g.outH - 1)} : ${varOf(1)}` : `oy == 0 ? ${varOf(0)} : ${varOf(g.outH - 1)}`;
  const biasTaps: { rows: number[]; kxs: number[] }[] = [];
  const biasKey: string[] = [];
  const variants = keys.map((k) => {
    const rows = [...k].map(Number);
    const isa = q ? int8RowIsa(s, q) : f32RowIsa(s);
    // the tap sets' biases of this variant, in x13.. (int8; float32 has one)
    const used: number[] = [];
    const bias = (o: number) => {
      if (!q) return BIAS_REG(0);
      const kxs = outputTaps(rg, o);
      const key = `${k}|${kxs.join('')}`;
      let i = biasKey.indexOf(key);
      if (i < 0) {
        i = biasKey.push(key) - 1;
        biasTaps.push({ rows, kxs });
      }
      if (!used.includes(i)) used.push(i);
      return BIAS_REG(used.indexOf(i));
    };
    const xSets = q ? 2 : 1;
    const span = isa.accSets * s;
    const period = (span * xSets) / gcd(span, xSets);
    const lines = foldLoop(rowColumns(rg, rows, isa, bias), period);
    const biases = q ? used : [0];
    if (biases.length > 3) return null; // x13-x15 only (never for pads of at most 1)
    // every channel block in one call: step the pointers to the next block and repeat
    const next = [
      ...rows.map((ky) => `sub %[r${ky}], %[r${ky}], %[rb]`),
      'sub %[y], %[y], %[yb]',
      ...biases.map((_, j) => `add ${BIAS_REG(j)}, ${BIAS_REG(j)}, #${B * 4}`),
      ...(q ? Object.values(QP).map((r) => `add ${r}, ${r}, #64`) : []),
    ];
    const start = [
      ...biases.map((_, j) => `mov ${BIAS_REG(j)}, %[b${j}]`),
      ...(q ? ['mov x9, %[m]', 'mov x10, %[l]', 'mov x11, %[rs]', 'add x12, x11, #32', 'dup v27.8h, %w[yzp]'] : ['ld2r {v30.4s, v31.4s}, [%[mm]]']),
    ];
    const body = [...(q ? INT8_WEIGHTS : F32_WEIGHTS), ...lines];
    const text = [...start, ...(nb > 1 ? [`mov x17, #${nb}`, '2:', ...body, ...next, 'subs x17, x17, #1', 'b.ne 2b'] : body)];
    return {
      text: asmText(text),
      bias: biases.map((i, j) => `, [b${j}] "r"(bt + ${i * cpad})`).join(''),
    };
  });
  if (variants.some((v) => v === null)) return null;
  const ncols = lastCol(rg, g.outW - 1) + 1;
  return { block: B, varExpr, variants: variants as { text: string; bias: string }[], biasTaps, rb: (ncols * g.inC - B) * esize, yb: (g.outW * g.inC - B) * esize };
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
  const clampLo = f !== null && f.clamp.min;
  const clampHi = f !== null && f.clamp.max;
  const row = !quant && C >= 8 ? rowKernel(g, null, cpad) : pairable && C >= 16 ? rowKernel(g, { hasLsh, allNeg, clampLo, clampHi }, cpad) : null;
  // armv7 int8: rows in C intrinsics with int8 pair products (weights ndwr), 8 channels per vector
  const rowCls = v7Classes(g.outH, g.inH, g.strideH, g.padTop);
  const colCls = v7Classes(g.outW, g.inW, g.strideW, g.padLeft);
  const v7 = ctx.target.arch !== 'aarch64' && quant && row !== null && rowCls !== null && colCls !== null;
  return { g, xT, yT, dtype, quant, C, cb, cpad, wv, bv, hasLsh, allNeg, clampLo, clampHi, row, v7, rowCls, colCls };
}
type DwPlan = NonNullable<ReturnType<typeof dwPlan>>;

// `rn`: every shift is a right shift (the assembly's rounding fix-up is a compare);
// `pair`: int8 row kernels with int16 pair products, `min`/`max` the clamps they keep.
const dwId = (isa: KernelIsa) => (l: DwLayer, p: DwPlan): KernelId => {
  const pair = p.quant && p.row !== null;
  const flags = { ...requantFlags({ ls: p.hasLsh, rn: p.allNeg, clamp: pair ? { min: p.clampLo, max: p.clampHi } : undefined }), ...(pair ? { pair: true as const } : {}) };
  const { g } = p;
  return { op: 'dw', dtype: DTYPE[p.dtype], isa, flags, window: { kH: 3, kW: 3, sH: g.strideH, sW: g.strideW, padding: l.op.padding }, shape: `${g.inH}x${g.inW}x${p.C}` };
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
  const { op, ctx } = l;
  const { g, xT, yT, dtype, quant, C, cb, cpad, wv, bv, hasLsh, allNeg, clampLo, clampHi, row, v7 } = p;
  const ncb = Math.floor(C / cb);
  const packed = new Array<number>(9 * cpad).fill(0);
  for (let t = 0; t < 9; t++) for (let c = 0; c < C; c++) packed[t * cpad + c] = wv.w[t * C + c]!;
  const [oyLo, oyHi] = interior(g.outH, g.inH, g.strideH, g.padTop);
  const [oxLo, oxHi] = interior(g.outW, g.inW, g.strideW, g.padLeft);
  const args = [ctx.arena(xT.id, false)];
  const xZp = quant ? zeroPoint(xT) : 0;
  /** bias − x_zp · Σ w over the taps `taps` (one set of valid taps), per channel. */
  const fold = (taps: readonly number[]) => foldInputZeroPoint(bv, (c, i) => wv.w[taps[i]! * C + c]!, taps.length, C, cpad, xZp);
  const rqt = quant ? (() => {
    const raw = Int32Array.from({ length: cpad }, (_, c) => (c < C ? bv[c]! : 0));
    args.push(ctx.table('nw', Int16Array.from(packed)), ctx.table('nbiasin', fold([0, 1, 2, 3, 4, 5, 6, 7, 8])), ctx.table('nbias', raw));
    const q = requantArgs(op, ctx, C, cb);
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(xZp), ...q.args.slice(3));
    return q.table;
  })() : null;
  if (!quant) {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: cpad }, (_, i) => (i < C ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  const dwAsm = quant ? asmText(dwQAsm(dtype === 'uint8', hasLsh, allNeg, g.strideH)) : '';
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
      row.biasTaps.forEach(({ rows, kxs }, k) => bt.set(fold(taps(rows, kxs)), k * cpad));
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
      s1: g.strideH === 1,
      ih: g.inH, iw: g.inW, c: C, oh: g.outH, ow: g.outW, pt: g.padTop, pl: g.padLeft,
      cb, ncb, cpad,
      tailC: C - ncb * cb,
      c0Tail: ncb * cb,
      oyLo, oyHi, oyHiM1: oyHi - 1, oxLo, oxHi, oxHiM1: oxHi - 1,
      dwAsm,
      row: row && {
        variants: row.variants,
        varExpr: row.varExpr,
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
        oxLo, oxHi,
        nq: hasLsh ? 24 : 16,
        clampLo, clampHi,
      },
      clobbers: CLOBBERS(32),
      rowGprs: ROW_GPRS,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * C * 9,
    // One output row at a time, every channel block; reads only the rows of that row's windows.
    streaming: { pixelBlock: g.outW },
  };
}
