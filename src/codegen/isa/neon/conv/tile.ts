/**
 * The NEON register-tile convolution (first layers): P output pixels x 4Q
 * channels fully unrolled over every tap, row segments loaded once per kernel
 * row; aarch64 assembly (float32, int16 widened, SDOT) or intrinsics (the
 * armv7 form and the shapes the assembly does not take).
 */
import type { WindowGeometry } from '../../../../model/geometry.js';
import type { OpEmission } from '../../../types.js';
import { cType, floatActRange } from '../../../ops/common.js';
import { asmText, CLOBBERS, common, type ActDType } from '../shared.js';
import {
  convId, foldedBias, isAarch64, kernelName, packByTap, packSdotRows, paddedBias, requantArgs, requantFlags, sdotShifts, taps,
  type ConvLayer, type ConvTile,
} from './plan.js';
import type { KernelId } from '../../../kernelId.js';


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
function convSdotAsm(g: WindowGeometry, P: number, hasLsh: boolean, allNeg: boolean): string[] {
  const G = Math.ceil((g.kW * g.inC) / 4);
  const shifts = sdotShifts(g, P)!;
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

/** Which form of the tile: aarch64 (assembly where it fits, else intrinsics), SDOT, or the armv7 intrinsics. */
export type TileForm = 'a64' | 'sdot' | 'v7';

export const tileId = (c: ConvLayer, tile: ConvTile, form: TileForm): KernelId =>
  convId(c, form === 'sdot' ? 'neondot' : form === 'v7' && !isAarch64(c.ctx) ? 'neon32' : 'neon', `${tile.P}x${4 * tile.Q}`, requantFlags(c, true));

/** The register tiles over zero-point padded row segments (see convTileSource). */
export function emitTile(c: ConvLayer, tile: ConvTile, form: TileForm): OpEmission {
  const { g, ctx, quant, dtype } = c;
  const OCB = 4 * tile.Q;
  const nOcb = Math.ceil(g.outC / OCB);
  const ocpad = nOcb * OCB;
  const T = taps(g);
  const G = Math.ceil((g.kW * g.inC) / 4);
  const hasLsh = c.rq?.anyLeft ?? false;
  const allNeg = c.rq?.allRight ?? false;
  const sdot = form === 'sdot' ? convSdotAsm(g, tile.P, hasLsh, allNeg) : null;
  const packed = sdot ? packSdotRows(c) : packByTap(c, OCB);
  const args = [ctx.arena(c.xId, false)];
  if (quant) {
    // SDOT multiplies raw activations: the zero point goes into the bias (borders are padded with it).
    const bias = sdot ? foldedBias(c, ocpad) : Int32Array.from(paddedBias(c, ocpad));
    args.push(ctx.table('nw', sdot ? Int8Array.from(packed) : Int16Array.from(packed)), ctx.table('nbias', bias));
    const q = requantArgs(c, ocpad);
    args.push(q[0]!, q[1]!, q[2]!, String(c.rq!.xZp), ...q.slice(3));
  } else {
    args.push(ctx.table('nw', Float32Array.from(packed)), ctx.table('nbias', Float32Array.from(paddedBias(c, ocpad))));
    args.push(...floatActRange(c.op.activation));
  }
  args.push(ctx.arena(c.yId, true));
  const kernel = kernelName(tileId(c, tile, form));
  return {
    family: 'conv_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? `int16 widened, ${tile.P} pixels x ${OCB} channels` : `f32, ${tile.P} pixels x ${OCB} channels`,
      fast: true,
      tileSrc: convTileSource(kernel, g, tile, dtype, hasLsh, allNeg, sdot, form === 'v7'),
      quant,
      dtype,
      t: cType(dtype),
      w: sdot ? 'int8_t' : quant ? 'int16_t' : 'float',
      b: quant ? 'int32_t' : 'float',
      padding: c.op.padding,
      ih: g.inH, iw: g.inW, ic: g.inC, oh: g.outH, ow: g.outW, oc: g.outC,
      kh: g.kH, kw: g.kW, sh: g.strideH, sw: g.strideW, pt: g.padTop, pl: g.padLeft,
      P: tile.P, ocb: OCB, nOcb, wstride: sdot ? g.kH * G * 64 : T * OCB, segAlloc: sdot ? 36 : tile.segAlloc,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * g.outC * T,
  };
}
