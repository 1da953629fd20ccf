/** Standard convolution (the first layer) on NEON: register tiles, aarch64 assembly. */
import type { Conv2DOp } from '../../../model/ir.js';
import { type WindowGeometry } from '../../../model/geometry.js';
import type { EmitContext, OpEmission } from '../../types.js';
import { DTYPE_TAG, cType, floatActRange, int32Literal, requireRequant, strideTag, zeroPoint } from '../../ops/common.js';
import { foldInputZeroPoint, weightedOperands, common, quantArgs, ceil, wrap, asmText, CLOBBERS, type ActDType, type Flavour } from './shared.js';

// ---------------------------------------------------------------- conv (first layer), aarch64 register tiles

interface ConvTile {
  readonly P: number; // pixels per tile
  readonly Q: number; // output-channel quads per tile
  readonly segRegs: number; // vector registers holding one input row segment
  readonly segAlloc: number; // elements one segment load reads
}

/** Picks P pixels x Q quads so accumulators, one row segment and the tap's weights fit 32 vector registers. */
function convTileShape(g: WindowGeometry, quant: boolean): ConvTile | null {
  const Q = g.outC <= 4 ? 1 : g.outC <= 8 ? 2 : 4;
  for (const P of Q === 4 ? [4, 2] : [8, 4, 2]) {
    const SL = ((P - 1) * g.strideW + g.kW) * g.inC;
    const segRegs = quant ? Math.ceil(SL / 8) : Math.ceil(SL / 4);
    const wRegs = quant ? Math.ceil(Q / 2) : Q;
    if (P * Q + segRegs + wRegs <= 30) {
      return { P, Q, segRegs, segAlloc: quant ? 16 * Math.ceil(segRegs / 2) : 4 * segRegs };
    }
  }
  return null;
}

/** The float32 tile as aarch64 assembly: accumulators v16.. (pixel-major), segment v0-v7, weights v8-v11/v12-v15. */
function convF32Asm(g: WindowGeometry, P: number, Q: number, segRegs: number): string[] {
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number) => (n === 1 ? `{v${lo}.4s}` : `{v${lo}.4s-v${lo + n - 1}.4s}`);
  for (let p = 0; p < P; p++) L.push(`ld1 ${list(acc(p, 0), Q)}, [%[b]]`);
  let wsel = 0;
  for (let ky = 0; ky < g.kH; ky++) {
    L.push(`ldr %[xr], [%[r], #${8 * ky}]`);
    for (let j = 0; j < segRegs; j += 4) {
      const n = Math.min(4, segRegs - j);
      L.push(`ld1 ${list(j, n)}, [%[xr]]${j + 4 < segRegs ? ', #64' : ''}`);
    }
    for (let kx = 0; kx < g.kW; kx++) {
      for (let c = 0; c < g.inC; c++) {
        const wr = wsel++ % 2 === 0 ? 8 : 12;
        L.push(`ld1 ${list(wr, Q)}, [%[w]], #${16 * Q}`);
        for (let q = 0; q < Q; q++)
          for (let p = 0; p < P; p++) {
            const e = (p * g.strideW + kx) * g.inC + c;
            L.push(`fmla v${acc(p, q)}.4s, v${wr + q}.4s, v${e >> 2}.s[${e & 3}]`);
          }
      }
    }
  }
  L.push('ld2r {v8.4s, v9.4s}, [%[a]]');
  for (let k = 0; k < P * Q; k++) L.push(`fmax v${16 + k}.4s, v${16 + k}.4s, v8.4s`);
  for (let k = 0; k < P * Q; k++) L.push(`fmin v${16 + k}.4s, v${16 + k}.4s, v9.4s`);
  for (let p = 0; p < P; p++) L.push(`st1 ${list(acc(p, 0), Q)}, [%[y]], %[ys]`);
  return L;
}

/**
 * The int8/uint8 tile as aarch64 assembly: accumulators v16.. (pixel-major), a row segment widened
 * (minus the input zero point) into v0-v3, weights (int16) v8-v9/v12-v13, SMLAL/SMLAL2 by element;
 * requantization in registers, the zero point added in int16 and the clamp done in 8 bits.
 */
function convQAsm(g: WindowGeometry, P: number, Q: number, segRegs: number, u8: boolean, hasLsh: boolean, allNeg: boolean): string[] {
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number, a: string) => (n === 1 ? `{v${lo}.${a}}` : `{v${lo}.${a}-v${lo + n - 1}.${a}}`);
  const sub = u8 ? 'usubl' : 'ssubl';
  for (let p = 0; p < P; p++) L.push(`ld1 ${list(acc(p, 0), Q, '4s')}, [%[b]]`);
  L.push('dup v6.16b, %w[xzp]');
  let wsel = 0;
  for (let ky = 0; ky < g.kH; ky++) {
    L.push(`ldr %[xr], [%[r], #${8 * ky}]`);
    L.push(`ld1 ${list(4, Math.ceil(segRegs / 2), '16b')}, [%[xr]]`);
    for (let j = 0; j < segRegs; j++) L.push(`${sub}${j % 2 ? '2' : ''} v${j}.8h, v${4 + (j >> 1)}.${j % 2 ? '16b' : '8b'}, v6.${j % 2 ? '16b' : '8b'}`);
    for (let kx = 0; kx < g.kW; kx++) {
      for (let c = 0; c < g.inC; c++) {
        const wr = wsel++ % 2 === 0 ? 8 : 12;
        L.push(`ld1 ${list(wr, Q / 2, '8h')}, [%[w]], #${8 * Q}`);
        for (let q = 0; q < Q; q++)
          for (let p = 0; p < P; p++) {
            const e = (p * g.strideW + kx) * g.inC + c;
            L.push(`${q % 2 ? 'smlal2' : 'smlal'} v${acc(p, q)}.4s, v${wr + (q >> 1)}.${q % 2 ? '8h' : '4h'}, v${e >> 3}.h[${e & 7}]`);
          }
      }
    }
  }
  L.push(...convQEpilogue(P, Q, u8, hasLsh, allNeg));
  return L;
}

/** Requantization, int16 zero point, 8-bit clamp and stores of the P x Q accumulators v16.. (v0-v15 free). */
function convQEpilogue(P: number, Q: number, u8: boolean, hasLsh: boolean, allNeg: boolean): string[] {
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number, a: string) => (n === 1 ? `{v${lo}.${a}}` : `{v${lo}.${a}-v${lo + n - 1}.${a}}`);
  const all = Array.from({ length: P * Q }, (_, k) => [16 + k, k % Q] as const);
  if (hasLsh) {
    L.push(`ld1 ${list(8, Q, '4s')}, [%[l]]`);
    for (const [a, q] of all) L.push(`sshl v${a}.4s, v${a}.4s, v${8 + q}.4s`);
  }
  L.push(`ld1 ${list(0, Q, '4s')}, [%[m]]`, `ld1 ${list(4, Q, '4s')}, [%[n]]`);
  for (const [a, q] of all) L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${q}.4s`);
  for (const [a, q] of all) {
    const t = a % 2 ? 9 : 8;
    if (allNeg) L.push(`cmlt v${t}.4s, v${a}.4s, #0`);
    else L.push(`and v${t}.16b, v${a}.16b, v${4 + q}.16b`, `sshr v${t}.4s, v${t}.4s, #31`);
    L.push(`sqadd v${a}.4s, v${a}.4s, v${t}.4s`, `srshl v${a}.4s, v${a}.4s, v${4 + q}.4s`);
  }
  L.push('dup v10.8h, %w[yzp]', 'dup v11.16b, %w[amin]', 'dup v12.16b, %w[amax]');
  const [nar, nar2, mx, mn] = u8 ? ['sqxtun', 'sqxtun2', 'umax', 'umin'] : ['sqxtn', 'sqxtn2', 'smax', 'smin'];
  for (let p = 0; p < P; p++) {
    L.push(`sqxtn v14.4h, v${acc(p, 0)}.4s`, `sqxtn2 v14.8h, v${acc(p, 1)}.4s`, 'sqadd v14.8h, v14.8h, v10.8h');
    if (Q === 4) {
      L.push(`sqxtn v15.4h, v${acc(p, 2)}.4s`, `sqxtn2 v15.8h, v${acc(p, 3)}.4s`, 'sqadd v15.8h, v15.8h, v10.8h');
      L.push(`${nar} v14.8b, v14.8h`, `${nar2} v14.16b, v15.8h`, `${mx} v14.16b, v14.16b, v11.16b`, `${mn} v14.16b, v14.16b, v12.16b`, 'st1 {v14.16b}, [%[y]], %[ys]');
    } else {
      L.push(`${nar} v14.8b, v14.8h`, `${mx} v14.8b, v14.8b, v11.8b`, `${mn} v14.8b, v14.8b, v12.8b`, 'st1 {v14.8b}, [%[y]], %[ys]');
    }
  }
  return L;
}

/**
 * rpi5 int8: the tile with SDOT by element, four taps of a kernel row per instruction (taps past the
 * row have zero weights); each row segment is loaded at the byte shifts that 4-align every pixel's window.
 */
function convSdotAsm(g: WindowGeometry, P: number, hasLsh: boolean, allNeg: boolean): string[] | null {
  const rowTaps = g.kW * g.inC;
  const G = Math.ceil(rowTaps / 4);
  const shifts = [...new Set(Array.from({ length: P }, (_, p) => (p * g.strideW * g.inC) % 4))].sort();
  if (shifts.length > 4) return null;
  for (let p = 0; p < P; p++) {
    const off = p * g.strideW * g.inC;
    if (off - (off % 4) + 4 * G > 32) return null;
  }
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * 4 + q;
  for (let p = 0; p < P; p++) L.push(`ld1 {v${acc(p, 0)}.4s-v${acc(p, 3)}.4s}, [%[b]]`);
  let wsel = 0;
  for (let ky = 0; ky < g.kH; ky++) {
    L.push(`ldr %[xr], [%[r], #${8 * ky}]`);
    for (const [ci, sh] of shifts.entries()) {
      if (sh === 0) L.push(`ld1 {v${2 * ci}.16b, v${2 * ci + 1}.16b}, [%[xr]]`);
      else L.push(`add %[xs], %[xr], #${sh}`, `ld1 {v${2 * ci}.16b, v${2 * ci + 1}.16b}, [%[xs]]`);
    }
    for (let gi = 0; gi < G; gi++) {
      const wr = wsel++ % 2 === 0 ? 8 : 12;
      L.push(`ld1 {v${wr}.16b-v${wr + 3}.16b}, [%[w]], #64`);
      for (let q = 0; q < 4; q++)
        for (let p = 0; p < P; p++) {
          const off = p * g.strideW * g.inC;
          const ci = shifts.indexOf(off % 4);
          const pos = off - (off % 4) + 4 * gi;
          L.push(`sdot v${acc(p, q)}.4s, v${wr + q}.16b, v${2 * ci + (pos >> 4)}.4b[${(pos & 15) >> 2}]`);
        }
    }
  }
  L.push(...convQEpilogue(P, 4, false, hasLsh, allNeg));
  return L;
}

/** The fully unrolled tile: P pixels x 4Q channels over every tap, row segments loaded once per kernel row. */
function convTileSource(fn: string, g: WindowGeometry, tile: ConvTile, dtype: ActDType, hasLsh: boolean, allNeg: boolean, sdot: string[] | null, v7 = false): string {
  const { P, Q, segRegs } = tile;
  const quant = dtype !== 'float32';
  const OCB = 4 * Q;
  const L: string[] = [];
  const t = cType(dtype);
  const acc = (p: number, q: number) => `a${p}_${q}`;
  L.push(`MOBILEC_NEON_INLINE void ${fn}_tile(const ${t} *const *r, const ${sdot ? 'int8_t' : quant ? 'int16_t' : 'float'} *w, const ${quant ? 'int32_t' : 'float'} *bias,`);
  if (quant) L.push('    const int32_t *mult, const int32_t *lsh, const int32_t *rsh, int32_t x_zp, int32_t y_zp, int32_t act_min, int32_t act_max,');
  else L.push('    float act_min, float act_max,');
  L.push(`    ${t} *y, int ys)`, '{');
  // Opaque weight pointer: keeps GCC from hoisting the (loop-invariant) weights out of the pixel loop into stack spills.
  L.push('    __asm__("" : "+&r"(w));');
  if (quant) L.push('    (void)lsh;');
  if (!quant && P * Q <= 16 && segRegs <= 8) {
    L.push(`    const float a[2] = { act_min, act_max };`, '    const float *xr;', `    long ysb = (long)ys * 4;`);
    L.push('    __asm__ __volatile__(', asmText(convF32Asm(g, P, Q, segRegs)));
    L.push('        : [w] "+&r"(w), [y] "+&r"(y), [xr] "=&r"(xr)', '        : [r] "r"(r), [b] "r"(bias), [a] "r"(a), [ys] "r"(ysb)', `        : "memory", "cc", ${CLOBBERS(32)});`, '}');
    return L.join('\n');
  }
  if (sdot) {
    L.push('    const int8_t *xr, *xs;', `    long ysb = (long)ys;`, '    (void)x_zp;');
    L.push('    __asm__ __volatile__(', asmText(sdot));
    L.push('        : [w] "+&r"(w), [y] "+&r"(y), [xr] "=&r"(xr), [xs] "=&r"(xs)');
    L.push('        : [r] "r"(r), [b] "r"(bias), [m] "r"(mult), [l] "r"(lsh), [n] "r"(rsh), [ys] "r"(ysb),');
    L.push('          [yzp] "r"(y_zp), [amin] "r"(act_min), [amax] "r"(act_max)');
    L.push(`        : "memory", "cc", ${CLOBBERS(32)});`, '}');
    return L.join('\n');
  }
  if (quant && !v7 && (Q === 2 || Q === 4) && P * Q <= 16 && segRegs <= 4) {
    L.push('    const int8_t *xr;', `    long ysb = (long)ys;`);
    L.push('    __asm__ __volatile__(', asmText(convQAsm(g, P, Q, segRegs, dtype === 'uint8', hasLsh, allNeg)));
    L.push('        : [w] "+&r"(w), [y] "+&r"(y), [xr] "=&r"(xr)');
    L.push('        : [r] "r"(r), [b] "r"(bias), [m] "r"(mult), [l] "r"(lsh), [n] "r"(rsh), [ys] "r"(ysb),');
    L.push('          [xzp] "r"(x_zp), [yzp] "r"(y_zp), [amin] "r"(act_min), [amax] "r"(act_max)');
    L.push(`        : "memory", "cc", ${CLOBBERS(32)});`, '}');
    return L.join('\n');
  }
  const vt = quant ? 'int32x4_t' : 'float32x4_t';
  for (let q = 0; q < Q; q++) L.push(`    const ${vt} b${q} = ${quant ? 'vld1q_s32' : 'vld1q_f32'}(bias + ${4 * q});`);
  for (let p = 0; p < P; p++) L.push(`    ${vt} ${Array.from({ length: Q }, (_, q) => `${acc(p, q)} = b${q}`).join(', ')};`);
  if (quant) {
    L.push(dtype === 'uint8' ? '    const uint8x16_t zp = vdupq_n_u8((uint8_t)x_zp);' : '    const int8x16_t zp = vdupq_n_s8((int8_t)x_zp);');
  }
  for (let ky = 0; ky < g.kH; ky++) {
    L.push('    {');
    L.push(`        const ${t} *xr = r[${ky}];`);
    if (quant) {
      for (let j = 0; j < segRegs; j += 2) {
        if (dtype === 'uint8') {
          L.push(`        const uint8x16_t v${j} = vld1q_u8(xr + ${8 * j});`);
          L.push(`        const int16x8_t s${j} = vreinterpretq_s16_u16(vsubl_u8(vget_low_u8(v${j}), vget_low_u8(zp)));`);
          if (j + 1 < segRegs && v7) L.push(`        const int16x8_t s${j + 1} = vreinterpretq_s16_u16(vsubl_u8(vget_high_u8(v${j}), vget_high_u8(zp)));`);
          else if (j + 1 < segRegs) L.push(`        const int16x8_t s${j + 1} = vreinterpretq_s16_u16(vsubl_high_u8(v${j}, zp));`);
        } else {
          L.push(`        const int8x16_t v${j} = vld1q_s8(xr + ${8 * j});`);
          L.push(`        const int16x8_t s${j} = vsubl_s8(vget_low_s8(v${j}), vget_low_s8(zp));`);
          if (j + 1 < segRegs && v7) L.push(`        const int16x8_t s${j + 1} = vsubl_s8(vget_high_s8(v${j}), vget_high_s8(zp));`);
          else if (j + 1 < segRegs) L.push(`        const int16x8_t s${j + 1} = vsubl_high_s8(v${j}, zp);`);
        }
      }
    } else {
      for (let j = 0; j < segRegs; j++) L.push(`        const float32x4_t s${j} = vld1q_f32(xr + ${4 * j});`);
    }
    for (let kx = 0; kx < g.kW; kx++) {
      for (let c = 0; c < g.inC; c++) {
        const tap = (ky * g.kW + kx) * g.inC + c;
        L.push('        {');
        if (quant) {
          if (Q === 1) L.push(`            const int16x4_t w0 = vld1_s16(w + ${tap * OCB});`);
          else for (let k = 0; k < Q / 2; k++) L.push(`            const int16x8_t w${k} = vld1q_s16(w + ${tap * OCB + 8 * k});`);
        } else {
          for (let q = 0; q < Q; q++) L.push(`            const float32x4_t w${q} = vld1q_f32(w + ${tap * OCB + 4 * q});`);
        }
        for (let p = 0; p < P; p++) {
          const e = (p * g.strideW + kx) * g.inC + c;
          for (let q = 0; q < Q; q++) {
            const a = acc(p, q);
            if (v7) {
              const half = `${(e & 7) < 4 ? 'vget_low_s16' : 'vget_high_s16'}(s${e >> 3})`;
              L.push(`            ${a} = vmlal_lane_s16(${a}, ${q % 2 === 0 ? 'vget_low_s16' : 'vget_high_s16'}(w${q >> 1}), ${half}, ${e & 3});`);
            } else if (!quant) L.push(`            ${a} = vfmaq_laneq_f32(${a}, w${q}, s${e >> 2}, ${e & 3});`);
            else if (Q === 1) L.push(`            ${a} = vmlal_laneq_s16(${a}, w0, s${e >> 3}, ${e & 7});`);
            else if (q % 2 === 0) L.push(`            ${a} = vmlal_laneq_s16(${a}, vget_low_s16(w${q >> 1}), s${e >> 3}, ${e & 7});`);
            else L.push(`            ${a} = vmlal_high_laneq_s16(${a}, w${q >> 1}, s${e >> 3}, ${e & 7});`);
          }
        }
        L.push('        }');
      }
    }
    L.push('    }');
  }
  if (!quant) {
    L.push('    {', '        const float32x4_t lo = vdupq_n_f32(act_min), hi = vdupq_n_f32(act_max);');
    for (let p = 0; p < P; p++)
      for (let q = 0; q < Q; q++) L.push(`        vst1q_f32(y + ${p} * ys + ${4 * q}, vminq_f32(vmaxq_f32(${acc(p, q)}, lo), hi));`);
    L.push('    }');
  } else {
    L.push('    {');
    for (let q = 0; q < Q; q++) {
      L.push(`        const int32x4_t m${q} = vld1q_s32(mult + ${4 * q}), n${q} = vld1q_s32(rsh + ${4 * q});`);
      if (hasLsh) L.push(`        const int32x4_t l${q} = vld1q_s32(lsh + ${4 * q});`);
    }
    L.push('        const int16x8_t zq = vdupq_n_s16((int16_t)y_zp);');
    if (dtype === 'uint8') L.push('        const uint8x16_t lo = vdupq_n_u8((uint8_t)act_min), hi = vdupq_n_u8((uint8_t)act_max);');
    else L.push('        const int8x16_t lo = vdupq_n_s8((int8_t)act_min), hi = vdupq_n_s8((int8_t)act_max);');
    const rq = (p: number, q: number) => {
      const x = hasLsh ? `vshlq_s32(${acc(p, q)}, l${q})` : acc(p, q);
      return `mobilec_neon_mbqm(${x}, m${q}, n${q}, n${q}, 0)`;
    };
    for (let p = 0; p < P; p++) {
      L.push('        {');
      // int16 pairs of quads, saturating; zero point added in int16 (saturating), then narrowed and clamped in 8 bits
      const halves: string[] = [];
      for (let q = 0; q < Q; q += 2) {
        const h = q + 1 < Q ? `vcombine_s16(vqmovn_s32(${rq(p, q)}), vqmovn_s32(${rq(p, q + 1)}))` : `vcombine_s16(vqmovn_s32(${rq(p, q)}), vdup_n_s16(0))`;
        L.push(`            const int16x8_t h${q >> 1} = vqaddq_s16(${h}, zq);`);
        halves.push(`h${q >> 1}`);
      }
      const nar = (h: string) => (dtype === 'uint8' ? `vqmovun_s16(${h})` : `vqmovn_s16(${h})`);
      if (dtype === 'uint8') {
        if (Q === 4) L.push(`            vst1q_u8((uint8_t *)y + ${p} * ys, vminq_u8(vmaxq_u8(vcombine_u8(${nar('h0')}, ${nar('h1')}), lo), hi));`);
        else if (Q === 2) L.push(`            vst1_u8((uint8_t *)y + ${p} * ys, vmin_u8(vmax_u8(${nar('h0')}, vget_low_u8(lo)), vget_low_u8(hi)));`);
        else L.push(`            { uint8x8_t v = vmin_u8(vmax_u8(${nar('h0')}, vget_low_u8(lo)), vget_low_u8(hi)); vst1_lane_u32((uint32_t *)(void *)(y + ${p} * ys), vreinterpret_u32_u8(v), 0); }`);
      } else {
        if (Q === 4) L.push(`            vst1q_s8(y + ${p} * ys, vminq_s8(vmaxq_s8(vcombine_s8(${nar('h0')}, ${nar('h1')}), lo), hi));`);
        else if (Q === 2) L.push(`            vst1_s8(y + ${p} * ys, vmin_s8(vmax_s8(${nar('h0')}, vget_low_s8(lo)), vget_low_s8(hi)));`);
        else L.push(`            { int8x8_t v = vmin_s8(vmax_s8(${nar('h0')}, vget_low_s8(lo)), vget_low_s8(hi)); vst1_lane_u32((uint32_t *)(void *)(y + ${p} * ys), vreinterpret_u32_s8(v), 0); }`);
      }
      L.push('        }');
    }
    L.push('    }');
  }
  L.push('}');
  return L.join('\n');
}

/**
 * armv7 (16 q registers), int8/uint8: P pixels x 4Q channels, int32 accumulators P*Q, one row
 * segment widened to int16 (at most 4 registers) and one tap's weights (Q/2 registers); 2 x 16
 * where it fits (fewest by-scalar copies: GCC keeps the short segment in d0-d7).
 */
function convTileShapeV7(g: WindowGeometry): ConvTile | null {
  if (g.outC < 8) return null;
  const Q = g.outC <= 8 ? 2 : 4;
  for (const P of Q === 4 ? [2] : [4, 2]) {
    const SL = ((P - 1) * g.strideW + g.kW) * g.inC;
    const segRegs = Math.ceil(SL / 8);
    if (segRegs <= 4 && Q * P + segRegs + Q / 2 <= 14) return { P, Q, segRegs, segAlloc: 16 * Math.ceil(segRegs / 2) };
  }
  return null;
}

// ---------------------------------------------------------------- conv (first layer)

export function selectConv(op: Conv2DOp, ctx: EmitContext, g: WindowGeometry, fl: Flavour): OpEmission | null {
  const ops = weightedOperands(op, ctx, g.outC);
  if (!ops) return null;
  const { xT, yT, dtype, quant, wv, bv } = ops;
  const { kH, kW, inC, outC } = g;
  const tile = fl.aarch64 ? convTileShape(g, quant) : null;
  if (tile) return selectConvTiled(op, ctx, g, dtype, wv, bv, tile, fl.dotprod && dtype === 'int8' && wv.int8);
  const tile7 = quant ? convTileShapeV7(g) : null;
  if (tile7) return selectConvTiled(op, ctx, g, dtype, wv, bv, tile7, false, true);
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


/** aarch64: P pixels x 4Q channels register tiles over zero-point padded row segments (see convTileSource). */
function selectConvTiled(
  op: Conv2DOp,
  ctx: EmitContext,
  g: WindowGeometry,
  dtype: ActDType,
  wv: { w: Float64Array | Int32Array },
  bv: Float64Array,
  tile: ConvTile,
  sdotOk: boolean,
  v7 = false,
): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const quant = dtype !== 'float32';
  const { kH, kW, inC, outC } = g;
  const OCB = 4 * tile.Q;
  const nOcb = Math.ceil(outC / OCB);
  const ocpad = nOcb * OCB;
  const T = kH * kW * inC;
  const hasLshPre = quant && requireRequant(op).shift.some((v) => v > 0);
  // every right shift nonzero: the sign fix-up of the rounding shift is a compare
  const allNeg = quant && requireRequant(op).shift.every((v) => v < 0);
  const sdot = sdotOk && tile.P === 4 && tile.Q === 4 ? convSdotAsm(g, tile.P, hasLshPre, allNeg) : null;
  let packed: number[];
  const rowTaps = kW * inC;
  const G = Math.ceil(rowTaps / 4);
  if (sdot) {
    // [block][ky][group of 4 row taps][16 channels][4 taps], zero past the row
    packed = new Array<number>(nOcb * kH * G * 64).fill(0);
    for (let oc = 0; oc < outC; oc++) {
      const b = Math.floor(oc / OCB);
      for (let ky = 0; ky < kH; ky++)
        for (let j = 0; j < rowTaps; j++) packed[((b * kH + ky) * G + (j >> 2)) * 64 + (oc % OCB) * 4 + (j & 3)] = wv.w[oc * T + ky * rowTaps + j]!;
    }
  } else {
    packed = new Array<number>(nOcb * T * OCB).fill(0);
    for (let oc = 0; oc < outC; oc++) {
      const b = Math.floor(oc / OCB);
      for (let t = 0; t < T; t++) packed[(b * T + t) * OCB + (oc % OCB)] = wv.w[oc * T + t]!;
    }
  }
  const loop = v7 ? null : convLoopSelect(op, ctx, g, dtype, wv, bv, tile, sdot, packed, nOcb, hasLshPre, allNeg);
  if (loop) return loop;
  const args = [ctx.arena(xT.id, false)];
  let hasLsh = false;
  if (quant) {
    const xZp = zeroPoint(xT);
    // SDOT multiplies raw activations: the zero point goes into the bias (borders are padded with it).
    const bias = sdot
      ? foldInputZeroPoint(bv, (oc, t) => wv.w[oc * T + t]!, T, outC, ocpad, xZp)
      : Int32Array.from({ length: ocpad }, (_, i) => (i < outC ? bv[i]! : 0));
    args.push(ctx.table('nw', sdot ? Int8Array.from(packed) : Int16Array.from(packed)), ctx.table('nbias', bias));
    const q = quantArgs(op, ctx, yT, outC, ocpad);
    hasLsh = q.hasLsh;
    args.push(q.args[0]!, q.args[1]!, q.args[2]!, String(xZp), ...q.args.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: ocpad }, (_, i) => (i < outC ? bv[i]! : 0))));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const kernel =
    `mobilec_conv_${kH}x${kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}_neon_${sdot ? 'sdot' : 'tile'}${tile.P}x${OCB}${v7 ? '_v7' : ''}` +
    `_${g.inH}x${g.inW}x${inC}_${outC}`;
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? `int16 widened, ${tile.P} pixels x ${OCB} channels` : `f32, ${tile.P} pixels x ${OCB} channels`,
      fast: true,
      tileSrc: convTileSource(kernel, g, tile, dtype, hasLsh, allNeg, sdot, v7),
      quant,
      dtype,
      t: cType(dtype),
      w: sdot ? 'int8_t' : quant ? 'int16_t' : 'float',
      b: quant ? 'int32_t' : 'float',
      padding: op.padding,
      ih: g.inH, iw: g.inW, ic: inC, oh: g.outH, ow: g.outW, oc: outC,
      kh: kH, kw: kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      P: tile.P, ocb: OCB, nOcb, wstride: sdot ? kH * G * 64 : T * OCB, segAlloc: sdot ? 36 : tile.segAlloc,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * outC * kH * kW * inC,
  };
}

// ---------------------------------------------------------------- conv (first layer), aarch64 row loops

interface LoopSpec {
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

/** Per 8-channel half (blocks in order): slot -> tap (a permutation within each kernel row) and the slots closing a group. */
interface MlaPlan {
  readonly order: number[][];
  readonly ends: boolean[][];
}

const esize = (dtype: ActDType) => (dtype === 'float32' ? 4 : 1);

/** Row bytes one tile's segment load reads (from the first pixel of the tile), per kernel row. */
function loopSegBytes(s: LoopSpec): number {
  if (s.sdot) return 36;
  return s.tile.segAlloc * esize(s.dtype);
}

/**
 * The tile loop as aarch64 assembly: n tiles of P pixels along one output row, every channel block
 * per tile; row pointers x0.. advance by register post-increment, weights and the per-block table
 * (bias[, lsh], mult, rsh) are rewound per tile. Returns null when an immediate does not fit.
 */
function convLoopAsm(s: LoopSpec): string[] | null {
  const { g, tile, dtype, nOcb, sdot } = s;
  const { P, Q, segRegs } = tile;
  const quant = dtype !== 'float32';
  const OCB = 4 * Q;
  const es = esize(dtype);
  const ysub = (P * g.outC - OCB) * es;
  const yback = (nOcb - 1) * OCB * es;
  if (ysub > 4095 || yback > 4095) return null;
  if (s.packed) return convPackedSdotAsm(s, ysub, yback);
  const L: string[] = [];
  const acc = (p: number, q: number) => 16 + p * Q + q;
  const list = (lo: number, n: number, a: string) => (n === 1 ? `{v${lo}.${a}}` : `{v${lo}.${a}-v${lo + n - 1}.${a}}`);
  const u8 = dtype === 'uint8';
  // persistent constants
  if (!quant) L.push('ld2r {v12.4s, v13.4s}, [%[a]]');
  else if (s.mla) L.push('dup v14.8h, %w[yzp]');
  else {
    if (!sdot) L.push('dup v6.16b, %w[xzp]');
    L.push('dup v7.8h, %w[yzp]');
    if (s.clampLo) L.push('dup v12.16b, %w[amin]');
    if (s.clampHi) L.push('dup v13.16b, %w[amax]');
  }
  const yzpReg = s.mla ? 14 : 7;
  const [loReg, hiReg] = s.mla ? [12, 13] : [12, 13];
  L.push('1:', 'mov %[wp], %[w]', 'mov %[bp], %[bq]');
  const shifts = sdot ? [...new Set(Array.from({ length: P }, (_, p) => (p * g.strideW * g.inC) % 4))].sort() : [];
  const G = Math.ceil((g.kW * g.inC) / 4);
  for (let b = 0; b < nOcb; b++) {
    const last = b === nOcb - 1;
    for (let p = 0; p < P; p++) L.push(`ld1 ${list(acc(p, 0), Q, '4s')}, [%[bp]]${p === P - 1 ? `, #${16 * Q}` : ''}`);
    for (let ky = 0; ky < g.kH; ky++) {
      const xr = `%[x${ky}]`;
      const post = last ? ', %[xs]' : '';
      if (sdot) {
        // shifted loads first, the unshifted one (post-incremented) last
        const order = [...shifts.entries()].sort((a, b2) => (a[1] === 0 ? 1 : 0) - (b2[1] === 0 ? 1 : 0));
        let incremented = false;
        for (const [ci, sh] of order) {
          if (sh === 0) {
            L.push(`ld1 {v${2 * ci}.16b, v${2 * ci + 1}.16b}, [${xr}]${post}`);
            incremented = true;
          } else L.push(`ldur q${2 * ci}, [${xr}, #${sh}]`, `ldur q${2 * ci + 1}, [${xr}, #${sh + 16}]`);
        }
        if (last && !incremented) L.push(`add ${xr}, ${xr}, %[xs]`);
        for (let gi = 0; gi < G; gi++) {
          L.push(`ld1 {v8.16b-v11.16b}, [%[wp]], #64`);
          for (let q = 0; q < 4; q++)
            for (let p = 0; p < P; p++) {
              const off = p * g.strideW * g.inC;
              const ci = shifts.indexOf(off % 4);
              const pos = off - (off % 4) + 4 * gi;
              L.push(`sdot v${acc(p, q)}.4s, v${8 + q}.16b, v${2 * ci + (pos >> 4)}.4b[${(pos & 15) >> 2}]`);
            }
        }
      } else if (!quant) {
        for (let j = 4; j < segRegs; j += 2) {
          if (j + 1 < segRegs) L.push(`ldp q${j}, q${j + 1}, [${xr}, #${16 * j}]`);
          else L.push(`ldr q${j}, [${xr}, #${16 * j}]`);
        }
        L.push(`ld1 ${list(0, Math.min(4, segRegs), '4s')}, [${xr}]${post}`);
        for (let kx = 0; kx < g.kW; kx++)
          for (let c = 0; c < g.inC; c++) {
            L.push(`ld1 ${list(8, Q, '4s')}, [%[wp]], #${16 * Q}`);
            for (let q = 0; q < Q; q++)
              for (let p = 0; p < P; p++) {
                const e = (p * g.strideW + kx) * g.inC + c;
                L.push(`fmla v${acc(p, q)}.4s, v${8 + q}.4s, v${e >> 2}.s[${e & 3}]`);
              }
          }
      } else if (s.mla) {
        // raw bytes v4-v5 sign-extended into v0-v3; weights (int16, 16 channels) v4-v5; int16 sums v6-v13
        L.push(`ld1 ${list(4, Math.ceil(segRegs / 2), '16b')}, [${xr}]${post}`);
        for (let j = 0; j < segRegs; j++) L.push(`sxtl${j % 2 ? '2' : ''} v${j}.8h, v${4 + (j >> 1)}.${j % 2 ? '16b' : '8b'}`);
        const H = Q / 2;
        const hacc = (p: number, h: number) => 6 + p * H + h;
        for (let kx = 0; kx < g.kW; kx++)
          for (let c = 0; c < g.inC; c++) {
            const slot = (ky * g.kW + kx) * g.inC + c;
            L.push(`ld1 ${list(4, H, '8h')}, [%[wp]], #${16 * H}`);
            for (let h = 0; h < H; h++) {
              const start = slot === 0 || s.mla.ends[b * H + h]![slot - 1]!;
              const tap = s.mla.order[b * H + h]![slot]!;
              const tx = Math.floor((tap % (g.kW * g.inC)) / g.inC);
              const tc = tap % g.inC;
              for (let p = 0; p < P; p++) {
                const e = (p * g.strideW + tx) * g.inC + tc;
                L.push(`${start ? 'mul' : 'mla'} v${hacc(p, h)}.8h, v${4 + h}.8h, v${e >> 3}.h[${e & 7}]`);
              }
              if (s.mla.ends[b * H + h]![slot]) {
                for (let p = 0; p < P; p++) {
                  L.push(`saddw v${acc(p, 2 * h)}.4s, v${acc(p, 2 * h)}.4s, v${hacc(p, h)}.4h`);
                  L.push(`saddw2 v${acc(p, 2 * h + 1)}.4s, v${acc(p, 2 * h + 1)}.4s, v${hacc(p, h)}.8h`);
                }
              }
            }
          }
      } else {
        const sub = u8 ? 'usubl' : 'ssubl';
        L.push(`ld1 ${list(4, Math.ceil(segRegs / 2), '16b')}, [${xr}]${post}`);
        for (let j = 0; j < segRegs; j++) L.push(`${sub}${j % 2 ? '2' : ''} v${j}.8h, v${4 + (j >> 1)}.${j % 2 ? '16b' : '8b'}, v6.${j % 2 ? '16b' : '8b'}`);
        for (let kx = 0; kx < g.kW; kx++)
          for (let c = 0; c < g.inC; c++) {
            L.push(`ld1 ${list(8, Q / 2, '8h')}, [%[wp]], #${8 * Q}`);
            for (let q = 0; q < Q; q++)
              for (let p = 0; p < P; p++) {
                const e = (p * g.strideW + kx) * g.inC + c;
                L.push(`${q % 2 ? 'smlal2' : 'smlal'} v${acc(p, q)}.4s, v${8 + (q >> 1)}.${q % 2 ? '8h' : '4h'}, v${e >> 3}.h[${e & 7}]`);
              }
          }
      }
    }
    // epilogue
    if (!quant) {
      for (let k = 0; k < P * Q; k++) L.push(`fmax v${16 + k}.4s, v${16 + k}.4s, v12.4s`);
      for (let k = 0; k < P * Q; k++) L.push(`fmin v${16 + k}.4s, v${16 + k}.4s, v13.4s`);
      for (let p = 0; p < P; p++) L.push(`st1 ${list(acc(p, 0), Q, '4s')}, [%[y]], %[ys]`);
    } else {
      const all = Array.from({ length: P * Q }, (_, k) => [16 + k, k % Q] as const);
      if (s.hasLsh) {
        L.push(`ld1 ${list(0, Q, '4s')}, [%[bp]], #${16 * Q}`);
        for (const [a, q] of all) L.push(`sshl v${a}.4s, v${a}.4s, v${q}.4s`);
      }
      L.push(`ld1 ${list(0, Q, '4s')}, [%[bp]], #${16 * Q}`, `ld1 ${list(8, Q, '4s')}, [%[bp]], #${16 * Q}`);
      for (const [a, q] of all) L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${q}.4s`);
      for (const [a, q] of all) {
        // x + (x < 0 ? -1 : 0) cannot overflow after SQRDMULH by a positive multiplier (|result| < 2^31)
        if (s.allNeg) L.push(`ssra v${a}.4s, v${a}.4s, #31`);
        else L.push(`and v4.16b, v${a}.16b, v${8 + q}.16b`, `ssra v${a}.4s, v4.4s, #31`);
        L.push(`srshl v${a}.4s, v${a}.4s, v${8 + q}.4s`);
      }
      const [nar, nar2, mx, mn] = u8 ? ['sqxtun', 'sqxtun2', 'umax', 'umin'] : ['sqxtn', 'sqxtn2', 'smax', 'smin'];
      if (s.mla && s.clampLo) L.push(`dup v${loReg}.16b, %w[amin]`);
      if (s.mla && s.clampHi) L.push(`dup v${hiReg}.16b, %w[amax]`);
      for (let p = 0; p < P; p++) {
        L.push(`sqxtn v4.4h, v${acc(p, 0)}.4s`, `sqxtn2 v4.8h, v${acc(p, 1)}.4s`, `sqadd v4.8h, v4.8h, v${yzpReg}.8h`);
        const a = Q === 4 ? '16b' : '8b';
        if (Q === 4) L.push(`sqxtn v5.4h, v${acc(p, 2)}.4s`, `sqxtn2 v5.8h, v${acc(p, 3)}.4s`, `sqadd v5.8h, v5.8h, v${yzpReg}.8h`, `${nar} v4.8b, v4.8h`, `${nar2} v4.16b, v5.8h`);
        else L.push(`${nar} v4.8b, v4.8h`);
        if (s.clampLo) L.push(`${mx} v4.${a}, v4.${a}, v${loReg}.${a}`);
        if (s.clampHi) L.push(`${mn} v4.${a}, v4.${a}, v${hiReg}.${a}`);
        L.push(`st1 {v4.${a}}, [%[y]], %[ys]`);
      }
    }
    if (!last) L.push(`sub %[y], %[y], #${ysub}`);
    else if (yback) L.push(`sub %[y], %[y], #${yback}`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  return L;
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
  if (!asm) return null;
  const SB = loopSegBytes(s) / es; // elements one tile reads per row
  const step = P * g.strideW * g.inC; // elements per tile
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

/** The row-loop emission (aarch64 assembly paths with whole channel blocks), or null. */
function convLoopSelect(
  op: Conv2DOp,
  ctx: EmitContext,
  g: WindowGeometry,
  dtype: ActDType,
  wv: { w: Float64Array | Int32Array },
  bv: Float64Array,
  tile: ConvTile,
  sdotAsm: string[] | null,
  packed: number[],
  nOcb: number,
  hasLsh: boolean,
  allNeg: boolean,
): OpEmission | null {
  const quant = dtype !== 'float32';
  const { P, Q, segRegs } = tile;
  const OCB = 4 * Q;
  const sdot = sdotAsm !== null;
  const asmOk = sdot || (!quant ? P * Q <= 16 && segRegs <= 8 && Q <= 4 : (Q === 2 || Q === 4) && P * Q <= 16 && segRegs <= 4);
  if (!asmOk || nOcb * OCB !== g.outC || g.kH > 7) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const T = g.kH * g.kW * g.inC;
  const mla = !sdot && dtype === 'int8' && P === 4 ? mlaPlan(wv.w, g.outC, g.kH, T, Q, P) : null;
  const packedSdot = sdot && P === 4 && Q === 4 && packedSdotOk(g);
  let clampLo = true;
  let clampHi = true;
  const args = [ctx.arena(xT.id, false)];
  if (quant) {
    const rq = requireRequant(op);
    const xZp = zeroPoint(xT);
    const n = rq.multiplier.length;
    const per = hasLsh ? 4 : 3;
    const tab = new Int32Array(nOcb * per * OCB);
    for (let oc = 0; oc < g.outC; oc++) {
      const b = Math.floor(oc / OCB);
      const o = oc % OCB;
      let bias = bv[oc]!;
      if (sdot || mla) {
        let sw = 0;
        for (let t = 0; t < T; t++) sw = wrap(sw + wv.w[oc * T + t]!);
        bias = wrap(bias - Math.imul(xZp, sw));
      }
      const m = rq.multiplier[n === 1 ? 0 : oc]!;
      const sh = rq.shift[n === 1 ? 0 : oc]!;
      const base = b * per * OCB;
      tab[base + o] = bias;
      if (hasLsh) tab[base + OCB + o] = Math.max(sh, 0);
      if (packedSdot) {
        // multipliers and shifts by channel halves: m[0..8), rsh[0..8), m[8..16), rsh[8..16)
        const r0 = base + (per - 2) * OCB + o + (o >= 8 ? 8 : 0);
        tab[r0] = m;
        tab[r0 + 8] = Math.min(sh, 0);
      } else {
        tab[base + (per - 2) * OCB + o] = m;
        tab[base + (per - 1) * OCB + o] = Math.min(sh, 0);
      }
    }
    const [lo8, hi8] = dtype === 'uint8' ? [0, 255] : [-128, 127];
    clampLo = rq.actMin > lo8;
    clampHi = rq.actMax < hi8;
    let wpk = packed;
    if (packedSdot) {
      const GT = Math.ceil(T / 4);
      wpk = new Array<number>(nOcb * GT * 64).fill(0);
      for (let oc = 0; oc < g.outC; oc++) {
        const b = Math.floor(oc / OCB);
        for (let t = 0; t < T; t++) wpk[(b * GT + (t >> 2)) * 64 + (oc % OCB) * 4 + (t & 3)] = wv.w[oc * T + t]!;
      }
    }
    if (mla) {
      wpk = new Array<number>(packed.length).fill(0);
      for (let oc = 0; oc < g.outC; oc++) {
        const ord = mla.order[oc >> 3]!;
        const b = Math.floor(oc / OCB);
        for (let i = 0; i < T; i++) wpk[(b * T + i) * OCB + (oc % OCB)] = wv.w[oc * T + ord[i]!]!;
      }
    }
    args.push(ctx.table('nw', sdot ? Int8Array.from(wpk) : Int16Array.from(wpk)), ctx.table('nbq', tab));
    args.push(String(xZp), String(zeroPoint(yT)), int32Literal(rq.actMin), int32Literal(rq.actMax));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from({ length: g.outC }, (_, i) => bv[i]!)));
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  const spec: LoopSpec = { g, tile, dtype, nOcb, hasLsh, allNeg, sdot, mla, packed: packedSdot, clampLo, clampHi };
  const clampTag = quant && !clampLo && !clampHi ? '_sat' : '';
  const kernel =
    `mobilec_conv_${g.kH}x${g.kW}${strideTag(g.strideH, g.strideW)}_${op.padding}_${DTYPE_TAG[dtype]}${hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}${clampTag}_neon_${packedSdot ? 'sdotpk' : sdot ? 'sdot' : mla ? 'mla' : 'tile'}${P}x${OCB}${mla ? mlaTag(mla) : ''}_rows` +
    `_${g.inH}x${g.inW}x${g.inC}_${g.outC}`;
  const src = convLoopSource(kernel, spec);
  if (!src) return null;
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      loop: true,
      loopSrc: src,
      mode: `${quant ? (sdot ? 'int8 SDOT' : mla ? 'int16 MLA, tap groups widened into int32' : 'int16 widened') : 'f32'}, ${P} pixels x ${g.outC} channels per tile, whole output rows in assembly`,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, padding: op.padding,
      ih: g.inH, iw: g.inW, ic: g.inC, oh: g.outH, ow: g.outW, oc: g.outC,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * g.outC * T,
  };
}

/**
 * Tap groups per 8-channel half for the int16 MLA tile (halves of the 16-channel blocks, in order): greedy
 * along the taps while every channel's sum of |w| times 128 (the largest |int8 activation|) fits int16;
 * the taps of each kernel row are taken in the order (natural, then seeded shuffles) giving the fewest
 * groups. Null when it does not beat SMLAL (two instructions per tap and pixel per half).
 */
function mlaPlan(w: Float64Array | Int32Array, outC: number, kH: number, T: number, Q: number, P: number): MlaPlan | null {
  const halves = outC / 8;
  if (!Number.isInteger(halves) || Q !== 4 || T % kH !== 0) return null;
  const RT = T / kH;
  const order: number[][] = [];
  const ends: boolean[][] = [];
  let groups = 0;
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  for (let h = 0; h < halves; h++) {
    const absw = (t: number, o: number) => Math.abs(w[(8 * h + o) * T + t]!);
    const grouping = (ord: number[]): boolean[] | null => {
      const e = new Array<boolean>(T).fill(false);
      const sum = new Array<number>(8).fill(0);
      for (let i = 0; i < T; i++) {
        const t = ord[i]!;
        if (!sum.every((v, o) => (v + absw(t, o)) * 128 <= 32767)) {
          if (i === 0) return null;
          e[i - 1] = true;
          sum.fill(0);
        }
        for (let o = 0; o < 8; o++) sum[o] += absw(t, o);
        if (sum.some((v) => v * 128 > 32767)) return null;
      }
      e[T - 1] = true;
      return e;
    };
    const count = (e: boolean[]) => e.filter(Boolean).length;
    let bestOrd = Array.from({ length: T }, (_, i) => i);
    let best = grouping(bestOrd);
    if (!best) return null;
    for (let it = 0; it < 1500 && count(best) > 1; it++) {
      const ord: number[] = [];
      for (let ky = 0; ky < kH; ky++) {
        const r = Array.from({ length: RT }, (_, i) => ky * RT + i);
        for (let i = RT - 1; i > 0; i--) {
          const j = Math.floor(rnd() * (i + 1));
          [r[i], r[j]] = [r[j]!, r[i]!];
        }
        ord.push(...r);
      }
      const e = grouping(ord);
      if (e && count(e) < count(best)) [best, bestOrd] = [e, ord];
    }
    groups += count(best);
    order.push(bestOrd);
    ends.push(best);
  }
  // per pixel: MLA one per tap and half, two widening adds per group; SMLAL two per tap and half
  if (halves * T * P + 2 * groups * P >= 2 * halves * T * P) return null;
  return { order, ends };
}

/** A short tag naming the plan (the tile's code depends on it). */
function mlaTag(plan: MlaPlan): string {
  let hsh = 0x811c9dc5;
  let n = 0;
  plan.ends.forEach((e, h) =>
    e.forEach((b, i) => {
      hsh = Math.imul(hsh ^ ((b ? 1024 : 0) + plan.order[h]![i]!), 0x01000193) >>> 0;
      if (b) n++;
    }),
  );
  return `g${n}x${hsh.toString(16).padStart(8, '0')}`;
}

/** Packed SDOT applies: 4 pixels x 16 channels, at most 32 taps, two pixels' row windows within 16 bytes. */
function packedSdotOk(g: WindowGeometry): boolean {
  const T = g.kH * g.kW * g.inC;
  return T <= 32 && g.kH <= 4 && g.strideW * g.inC + g.kW * g.inC <= 16 && 2 * g.strideW * g.inC + 16 <= 36;
}

/** TBL indices (64 bytes): pixel j of a pair, low/high 16 taps, into the kernel rows' 16-byte windows. */
function packedSdotIndex(g: WindowGeometry): number[] {
  const T = g.kH * g.kW * g.inC;
  const RT = g.kW * g.inC;
  const ix: number[] = [];
  for (let j = 0; j < 2; j++)
    for (let k = 0; k < 32; k++) ix.push(k < T ? Math.floor(k / RT) * 16 + j * g.strideW * g.inC + (k % RT) : 255);
  return ix;
}

/**
 * The packed SDOT tile loop: taps gathered once per tile into v0-v7 (two registers per pixel) by TBL from
 * the kernel rows (v20.. at the first pixel, v24.. at the third; indices in v16-v19); per block 4-tap
 * weight groups v8-v11, accumulators v16-v31; requantization by channel halves (v8-v11), narrowed in place.
 */
function convPackedSdotAsm(s: LoopSpec, ysub: number, yback: number): string[] {
  const { g, nOcb } = s;
  const P = 4;
  const T = g.kH * g.kW * g.inC;
  const GT = Math.ceil(T / 4);
  const acc = (p: number, q: number) => 16 + p * 4 + q;
  const L: string[] = [];
  L.push('dup v12.8h, %w[yzp]');
  if (s.clampLo) L.push('dup v13.16b, %w[amin]');
  if (s.clampHi) L.push('dup v14.16b, %w[amax]');
  L.push('1:', 'mov %[wp], %[w]', 'mov %[bp], %[bq]', 'ld1 {v16.16b-v19.16b}, [%[ix]]');
  const off2 = 2 * g.strideW * g.inC;
  for (let ky = 0; ky < g.kH; ky++) L.push(`ldur q${24 + ky}, [%[x${ky}], #${off2}]`, `ld1 {v${20 + ky}.16b}, [%[x${ky}]], %[xs]`);
  const tab = (lo: number) => (g.kH === 1 ? `{v${lo}.16b}` : `{v${lo}.16b-v${lo + g.kH - 1}.16b}`);
  for (let p = 0; p < P; p++) {
    const t = tab(p < 2 ? 20 : 24);
    const j = p % 2;
    L.push(`tbl v${2 * p}.16b, ${t}, v${16 + 2 * j}.16b`);
    if (T > 16) L.push(`tbl v${2 * p + 1}.16b, ${t}, v${17 + 2 * j}.16b`);
  }
  for (let b = 0; b < nOcb; b++) {
    const last = b === nOcb - 1;
    for (let p = 0; p < P; p++) L.push(`ld1 {v${acc(p, 0)}.4s-v${acc(p, 3)}.4s}, [%[bp]]${p === P - 1 ? ', #64' : ''}`);
    for (let gi = 0; gi < GT; gi++) {
      L.push('ld1 {v8.16b-v11.16b}, [%[wp]], #64');
      for (let q = 0; q < 4; q++)
        for (let p = 0; p < P; p++) L.push(`sdot v${acc(p, q)}.4s, v${8 + q}.16b, v${2 * p + (gi >> 2)}.4b[${gi & 3}]`);
    }
    if (s.hasLsh) {
      L.push('ld1 {v8.4s-v11.4s}, [%[bp]], #64');
      for (let p = 0; p < P; p++) for (let q = 0; q < 4; q++) L.push(`sshl v${acc(p, q)}.4s, v${acc(p, q)}.4s, v${8 + q}.4s`);
    }
    for (let hh = 0; hh < 2; hh++) {
      L.push('ld1 {v8.4s, v9.4s}, [%[bp]], #32', 'ld1 {v10.4s, v11.4s}, [%[bp]], #32');
      for (let p = 0; p < P; p++)
        for (let k = 0; k < 2; k++) {
          const a = acc(p, 2 * hh + k);
          L.push(`sqrdmulh v${a}.4s, v${a}.4s, v${8 + k}.4s`);
          if (s.allNeg) L.push(`ssra v${a}.4s, v${a}.4s, #31`);
          else L.push(`and v15.16b, v${a}.16b, v${10 + k}.16b`, `ssra v${a}.4s, v15.4s, #31`);
          L.push(`srshl v${a}.4s, v${a}.4s, v${10 + k}.4s`);
        }
    }
    for (let p = 0; p < P; p++) {
      const [a0, a1, a2, a3] = [0, 1, 2, 3].map((q) => acc(p, q));
      L.push(`sqxtn v${a0}.4h, v${a0}.4s`, `sqxtn2 v${a0}.8h, v${a1}.4s`, `sqadd v${a0}.8h, v${a0}.8h, v12.8h`);
      L.push(`sqxtn v${a2}.4h, v${a2}.4s`, `sqxtn2 v${a2}.8h, v${a3}.4s`, `sqadd v${a2}.8h, v${a2}.8h, v12.8h`);
      L.push(`sqxtn v${a0}.8b, v${a0}.8h`, `sqxtn2 v${a0}.16b, v${a2}.8h`);
      if (s.clampLo) L.push(`smax v${a0}.16b, v${a0}.16b, v13.16b`);
      if (s.clampHi) L.push(`smin v${a0}.16b, v${a0}.16b, v14.16b`);
      L.push(`st1 {v${a0}.16b}, [%[y]], %[ys]`);
    }
    if (!last) L.push(`sub %[y], %[y], #${ysub}`);
    else if (yback) L.push(`sub %[y], %[y], #${yback}`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  return L;
}
