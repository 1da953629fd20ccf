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
import { cType, floatActRange, int32Literal } from '../../../ops/common.js';
import { requantTable } from '../../../requant.js';
import { asmText, CLOBBERS, common, type ActDType } from '../shared.js';
import { convId, esize, foldedBias, kernelName, packByTap, packSdotRows, paddedBias, requantFlags, taps, type ConvLayer, type ConvTile } from './plan.js';
import { mlaHash, mlaPlan, packedSdotIndex, packedSdotOk, type MlaPlan } from './mla.js';
import { convLoopAsm } from './rowsAsm.js';

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

export type RowsForm = 'sdotpk' | 'sdot' | 'mla' | 'widen';

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
  if (packed && !(P === 4 && Q === 4 && packedSdotOk(g))) return null;
  const [lo8, hi8] = dtype === 'uint8' ? [0, 255] : [-128, 127];
  const spec: LoopSpec = {
    g, tile, dtype, nOcb, sdot, mla, packed,
    hasLsh: c.rq?.anyLeft ?? false,
    allNeg: c.rq?.allRight ?? false,
    clampLo: quant ? c.rq!.actMin > lo8 : true,
    clampHi: quant ? c.rq!.actMax < hi8 : true,
  };
  return rowTiles(spec) ? spec : null;
}

export function rowsId(c: ConvLayer, s: LoopSpec): KernelId {
  const flags: Partial<Record<KernelFlag, true | number>> = requantFlags(c, true);
  if (c.quant && (s.clampLo || s.clampHi)) flags.clamp = true;
  if (s.mla) flags.mla = mlaHash(s.mla);
  return convId(c, s.sdot ? 'neondot' : 'neon', `${s.tile.P}x${4 * s.tile.Q}`, flags);
}

/** The row-loop emission. */
export function emitRows(c: ConvLayer, s: LoopSpec): OpEmission {
  const { g, ctx, quant, dtype } = c;
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
      const r0 = s.packed ? base + (per - 2) * OCB + o + (o >= 8 ? 8 : 0) : base + (per - 2) * OCB + o;
      tab[r0] = rq.multiplier[oc]!;
      tab[r0 + (s.packed ? 8 : OCB)] = rq.rightShift[oc]!;
    }
    let wpk: number[];
    if (s.packed) {
      const GT = Math.ceil(T / 4);
      wpk = new Array<number>(nOcb * GT * 64).fill(0);
      for (let oc = 0; oc < g.outC; oc++) {
        const b = Math.floor(oc / OCB);
        for (let t = 0; t < T; t++) wpk[(b * GT + (t >> 2)) * 64 + (oc % OCB) * 4 + (t & 3)] = c.w[oc * T + t]!;
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
      loopSrc: convLoopSource(kernel, s)!,
      mode: `${quant ? (s.sdot ? 'int8 SDOT' : s.mla ? 'int16 MLA, tap groups widened into int32' : 'int16 widened') : 'f32'}, ${P} pixels x ${g.outC} channels per tile, whole output rows in assembly`,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, padding: c.op.padding,
      ih: g.inH, iw: g.inW, ic: g.inC, oh: g.outH, ow: g.outW, oc: g.outC,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * g.outC * T,
  };
}

/** Scalar C of the same loop (the #else of the assembly; never selected for 32-bit targets). */
function convLoopScalar(s: LoopSpec): string[] {
  const { g, tile, dtype, nOcb, sdot } = s;
  const { P } = tile;
  const quant = dtype !== 'float32';
  const OCB = 4 * tile.Q;
  const G = Math.ceil((g.kW * g.inC) / 4);
  const T = g.kH * g.kW * g.inC;
  const wstride = sdot ? g.kH * G * 64 : T * OCB;
  const bstride = quant ? (s.hasLsh ? 4 : 3) * OCB : OCB;
  const rows = Array.from({ length: g.kH }, (_, k) => `x${k}`).join(', ');
  const L: string[] = [];
  L.push(`    const ${cType(dtype)} *xr[${g.kH}] = { ${rows} };`, '    int t, b, p, o, ky, kx, c, k;');
  if (s.mla) {
    // tap -> slot of the packed weights, per 8-channel half
    const inv = s.mla.order.map((ord) => {
      const r = new Array<number>(T).fill(0);
      ord.forEach((tap, i) => (r[tap] = i));
      return `{ ${r.join(', ')} }`;
    });
    L.push(`    static const ${T < 256 ? 'unsigned char' : 'unsigned short'} slot[${inv.length}][${T}] = { ${inv.join(', ')} };`);
  }
  L.push('    for (t = 0; t < n; ++t) {', `        for (b = 0; b < ${nOcb}; ++b) {`);
  L.push(`            for (p = 0; p < ${P}; ++p) {`, `                for (o = 0; o < ${OCB}; ++o) {`);
  L.push(`                    ${quant ? 'int32_t' : 'float'} a = bq[b * ${bstride} + o];`);
  L.push(`                    for (ky = 0; ky < ${g.kH}; ++ky) {`, `                        for (kx = 0; kx < ${g.kW}; ++kx) {`, `                            for (c = 0; c < ${g.inC}; ++c) {`);
  L.push(`                                const int e = (p * ${g.strideW} + kx) * ${g.inC} + c;`);
  L.push(`                                const int j = kx * ${g.inC} + c;`);
  L.push(`                                const ${cType(dtype)} xv = xr[ky][t * ${P * g.strideW * g.inC} + e];`);
  if (s.packed) L.push(`                                a += (int32_t)w[b * ${Math.ceil(T / 4) * 64} + ((ky * ${g.kW * g.inC} + j) / 4) * 64 + o * 4 + (ky * ${g.kW * g.inC} + j) % 4] * (int32_t)xv;`);
  else if (sdot) L.push(`                                a += (int32_t)w[b * ${wstride} + (ky * ${G} + j / 4) * 64 + o * 4 + j % 4] * (int32_t)xv;`);
  else if (s.mla) L.push(`                                a += (int32_t)w[b * ${wstride} + slot[b * ${OCB / 8} + o / 8][ky * ${g.kW * g.inC} + j] * ${OCB} + o] * (int32_t)xv;`);
  else if (quant) L.push(`                                a += (int32_t)w[b * ${wstride} + (ky * ${g.kW * g.inC} + j) * ${OCB} + o] * ((int32_t)xv - x_zp);`);
  else L.push(`                                a += w[b * ${wstride} + (ky * ${g.kW * g.inC} + j) * ${OCB} + o] * xv;`);
  L.push('                            }', '                        }', '                    }');
  L.push(`                    k = (t * ${P} + p) * ${g.outC} + b * ${OCB} + o;`);
  if (quant) {
    const rsh = s.packed ? `bq[b * ${bstride} + ${(s.hasLsh ? 2 : 1) * OCB + 8} + o + (o >= 8 ? 8 : 0)]` : `bq[b * ${bstride} + ${(s.hasLsh ? 3 : 2) * OCB} + o]`;
    const sh = s.hasLsh ? `bq[b * ${bstride} + ${OCB} + o] + ${rsh}` : rsh;
    const m = s.packed ? `bq[b * ${bstride} + ${(s.hasLsh ? 2 : 1) * OCB} + o + (o >= 8 ? 8 : 0)]` : `bq[b * ${bstride} + ${(s.hasLsh ? 2 : 1) * OCB} + o]`;
    L.push(`                    y[k] = (${cType(dtype)})mobilec_clamp(mobilec_mbqm(a, ${m}, ${sh}) + y_zp, act_min, act_max);`);
  } else {
    L.push(`                    y[k] = a < a_[0] ? a_[0] : (a > a_[1] ? a_[1] : a);`);
  }
  L.push('                }', '            }', '        }', '    }', '    (void)ys; (void)xs;');
  if (s.mla) L.push('    (void)x_zp;');
  if (quant) L.push('    (void)k;');
  return L;
}

/** The run function (n tiles along a row) and the driver over output rows with border tiles. */
function convLoopSource(fn: string, s: LoopSpec): string | null {
  const { g, tile, dtype, nOcb, sdot } = s;
  const { P } = tile;
  const quant = dtype !== 'float32';
  const t = cType(dtype);
  const wt = sdot ? 'int8_t' : quant ? 'int16_t' : 'float';
  const bt = quant ? 'int32_t' : 'float';
  const es = esize(dtype);
  const asm = convLoopAsm(s);
  const rt = rowTiles(s);
  if (!asm || !rt) return null;
  const { t0, t1, border, SB } = rt;
  const step = P * g.strideW * g.inC; // elements per tile
  const nInt = t1 - t0;
  const ZN = Math.max(SB, nInt > 0 ? (nInt - 1) * step + SB : 0);
  const xs = Array.from({ length: g.kH }, (_, k) => `x${k}`);
  const L: string[] = [];
  // ---- run
  L.push(`static void ${fn}_run(${xs.map((x) => `const ${t} *${x}`).join(', ')}, long n, const ${wt} *w, const ${bt} *bq,`);
  L.push(quant ? '    int32_t x_zp, int32_t y_zp, int32_t act_min, int32_t act_max, ' + `${t} *y)` : `    const float *a_, ${t} *y)`, '{');
  L.push(`    const long xs = ${step * es}, ys = ${g.outC * es};`);
  L.push('#if defined(__aarch64__)');
  L.push(`    const ${wt} *wp;`, `    const ${bt} *bp;`);
  if (s.packed) L.push(`    static const uint8_t ix[64] = { ${packedSdotIndex(g).join(', ')} };`);
  if (quant && (sdot || s.mla)) L.push('    (void)x_zp;');
  if (quant && !s.clampLo) L.push('    (void)act_min;');
  if (quant && !s.clampHi) L.push('    (void)act_max;');
  L.push('    __asm__ __volatile__(', asmText(asm));
  L.push(`        : ${xs.map((x) => `[${x}] "+&r"(${x})`).join(', ')}, [n] "+&r"(n), [y] "+&r"(y), [wp] "=&r"(wp), [bp] "=&r"(bp)`);
  const ins = ['[w] "r"(w)', '[bq] "r"(bq)', '[xs] "r"(xs)', '[ys] "r"(ys)'];
  if (s.packed) ins.push('[ix] "r"(ix)');
  if (quant) {
    if (!sdot && !s.mla) ins.push('[xzp] "r"(x_zp)');
    ins.push('[yzp] "r"(y_zp)');
    if (s.clampLo) ins.push('[amin] "r"(act_min)');
    if (s.clampHi) ins.push('[amax] "r"(act_max)');
  } else ins.push('[a] "r"(a_)');
  L.push(`        : ${ins.join(', ')}`);
  L.push(`        : "memory", "cc", ${CLOBBERS(32)});`);
  L.push('#else');
  L.push(...convLoopScalar(s));
  L.push('#endif');
  L.push('}', '');
  // ---- driver
  L.push(`static void ${fn}(const ${t} *x, const ${wt} *w, const ${bt} *bq,`);
  L.push(quant ? '    int32_t x_zp, int32_t y_zp, int32_t act_min, int32_t act_max,' : '    float act_min, float act_max,');
  L.push(`    ${t} *y)`, '{');
  L.push(`    ${t} zrow[${ZN}];`);
  if (border.length) L.push(`    ${t} pad[${border.length}][${g.kH}][${SB}];`);
  const partial = border.some((i) => (i + 1) * P > g.outW);
  if (partial) L.push(`    ${t} tmp[${P * g.outC}];`);
  L.push(`    const ${t} *r[${g.kH}];`);
  if (!quant) L.push('    const float a_[2] = { act_min, act_max };');
  L.push('    int oy, ky, e;');
  const zp = quant ? `(${t})x_zp` : '0.0f';
  L.push(`    for (e = 0; e < ${ZN}; ++e) {`, `        zrow[e] = ${zp};`, '    }');
  if (border.length) L.push(`    for (e = 0; e < ${border.length * g.kH * SB}; ++e) {`, `        (&pad[0][0][0])[e] = ${zp};`, '    }');
  const qa = quant ? 'x_zp, y_zp, act_min, act_max, ' : 'a_, ';
  L.push(`    for (oy = 0; oy < ${g.outH}; ++oy) {`);
  L.push(`        ${t} *yr = y + oy * ${g.outW * g.outC};`);
  L.push(`        for (ky = 0; ky < ${g.kH}; ++ky) {`);
  L.push(`            const int iy = oy * ${g.strideH} - ${g.padTop} + ky;`);
  L.push(`            r[ky] = iy < 0 || iy >= ${g.inH} ? 0 : x + iy * ${g.inW * g.inC};`);
  L.push('        }');
  if (nInt > 0) {
    const ix0 = t0 * P * g.strideW - g.padLeft;
    const rows = Array.from({ length: g.kH }, (_, k) => `r[${k}] ? r[${k}] + ${ix0 * g.inC} : zrow`).join(', ');
    L.push(`        ${fn}_run(${rows}, ${nInt}, w, bq, ${qa}yr + ${t0 * P * g.outC});`);
  }
  border.forEach((ti, j) => {
    const ix0 = ti * P * g.strideW - g.padLeft;
    const lo = Math.max(ix0, 0);
    const hi = Math.min(g.inW, ix0 + Math.ceil(SB / g.inC));
    const dst = (lo - ix0) * g.inC;
    const cnt = Math.min((hi - lo) * g.inC, SB - dst);
    if (cnt > 0) {
      L.push(`        for (ky = 0; ky < ${g.kH}; ++ky) {`);
      L.push(`            if (r[ky]) {`, `                memcpy(&pad[${j}][ky][${dst}], r[ky] + ${lo * g.inC}, ${cnt * es});`, '            }', '        }');
    }
    const rows = Array.from({ length: g.kH }, (_, k) => `r[${k}] ? pad[${j}][${k}] : zrow`).join(', ');
    const np = Math.min(P, g.outW - ti * P);
    if (np === P) L.push(`        ${fn}_run(${rows}, 1, w, bq, ${qa}yr + ${ti * P * g.outC});`);
    else {
      L.push(`        ${fn}_run(${rows}, 1, w, bq, ${qa}tmp);`);
      L.push(`        memcpy(yr + ${ti * P * g.outC}, tmp, ${np * g.outC * es});`);
    }
  });
  L.push('    }', '}');
  return L.join('\n');
}
