/**
 * int8 pointwise 1×1 convolution on aarch64 without dot product (rpi4):
 * `pw_int8_s8_packed_neon_4x16`.
 *
 * The multiply is SMULL + SMLAL2 (two int8 products per int16 lane: safe
 * because |w| ≤ 127 and |x| ≤ 128) and SADALP into int32: 3 instructions
 * per 16 MACs. The point of the layout is that the SADALP lanes come out as
 * output channels, so no horizontal sums are needed at the end:
 *  - each 4-input-channel step of a pixel is packed (TBL, into arena scratch,
 *    once per block of 4 pixels) as (k0 k1)×4 | (k2 k3)×4;
 *  - weights are packed at compile time per 4 output channels as
 *    (c0k0 c0k1 c1k0 c1k1 c2k0 c2k1 c3k0 c3k1 | the same for k2, k3);
 *  - SMULL gives lane (c, j) = x[kj]·w[c][kj], SMLAL2 adds the k2/k3 half,
 *    SADALP adds lane pairs: one int32 per output channel.
 * Tile: 4 pixels × 16 channels (v16–v31), per step 2 LD1 (x4 registers) and
 * 48 multiply/accumulate instructions — 50 per 256 MACs.
 */
import type { Op, Tensor } from '../../../model/ir.js';
import type { EmitContext } from '../../types.js';
import { requireRequant } from '../../ops/common.js';
import { asmText, CLOBBERS, QUANT_ASM_INPUTS, QUANT_ASM_PARAMS, quantArgs, requantAsm } from './shared.js';

export const S8_PACKED_PIXELS = 4;
export const S8_PACKED_CHANNELS = 16;

/** Byte i of a packed 4-input-channel step: which of k0..k3 it holds. */
const stepLane = (i: number) => (i < 8 ? i & 1 : 2 + (i & 1));

/** Weights `w[oc][k]` in the read order: [cout/16][K/4][4 groups][16 bytes]. */
export function packS8Weights(w: (oc: number, k: number) => number, K: number, cout: number): Int8Array {
  const out = new Int8Array(cout * K);
  let i = 0;
  for (let b = 0; b < cout; b += 16)
    for (let s = 0; s < K; s += 4)
      for (let c = 0; c < 4; c++) for (let j = 0; j < 16; j++) out[i++] = w(b + 4 * c + ((j & 7) >> 1), s + stepLane(j));
  return out;
}

/** TBL indices that turn 16 input channels into the 4 packed steps (one 16-byte vector each). */
export function packS8Indices(): Int8Array {
  const idx = new Int8Array(64);
  for (let s = 0; s < 4; s++) for (let j = 0; j < 16; j++) idx[16 * s + j] = 4 * s + stepLane(j);
  return idx;
}

export const packS8Name = (K: number, P: number) => `mobilec_neon_pack${P}_s8_k${K}`;

/** P (4 or 1) pixel rows of K int8 → scratch [K/4][P][16], 16 input channels per iteration. K % 16 == 0. */
export function packS8Source(K: number, P: 1 | 4): string {
  const L: string[] = ['ld1 {v20.16b-v23.16b}, [%[idx]]', '1:'];
  for (let p = 0; p < P; p++) L.push(`ldr q${p}, [%[x${p}]], #16`);
  for (let s = 0; s < 4; s++) for (let p = 0; p < P; p++) L.push(`tbl v${4 + 4 * s + p}.16b, {v${p}.16b}, v${20 + s}.16b`);
  if (P === 4) for (let s = 0; s < 4; s++) L.push(`st1 {v${4 + 4 * s}.16b-v${7 + 4 * s}.16b}, [%[xp]], #64`);
  else L.push('st1 {v4.16b}, [%[xp]], #16', 'st1 {v8.16b}, [%[xp]], #16', 'st1 {v12.16b}, [%[xp]], #16', 'st1 {v16.16b}, [%[xp]], #16');
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  const rows = Array.from({ length: P }, (_, p) => `*x${p} = x + ${p * K}`).join(', ');
  return `/* ${P} pixel(s) x ${K} int8 channels into [K/4][${P}][16]: (k0 k1)x4 | (k2 k3)x4 per step. */
MOBILEC_NEON_INLINE void ${packS8Name(K, P)}(const int8_t *x, int8_t *xp, const int8_t *idx)
{
    const int8_t ${rows};
    long n = ${K / 16};
    __asm__ __volatile__(
${asmText(L)}
        : ${Array.from({ length: P }, (_, p) => `[x${p}] "+&r"(x${p})`).join(', ')}, [xp] "+&r"(xp), [n] "+&r"(n)
        : [idx] "r"(idx)
        : "memory", "cc", ${CLOBBERS(24)});
}`;
}

/** Which int8 clamps an activation range needs: saturating narrowing already gives [-128, 127]. */
export interface Int8Clamp {
  readonly min: boolean;
  readonly max: boolean;
}

export const int8Clamp = (actMin: number, actMax: number, u8 = false): Int8Clamp =>
  u8 ? { min: actMin > 0, max: actMax < 255 } : { min: actMin > -128, max: actMax < 127 };

/** Kernel-name part for the clamps kept (kernels dedupe by name). */
export const clampTag = (c: Int8Clamp) => `${c.min ? '_min' : ''}${c.max ? '_max' : ''}`;

/**
 * Requantization of an 8-bit tile kernel: the tables (`q.args`), whether every
 * shift is a right shift, the clamps kept, and the kernel-name tag of all three.
 */
export function tileRequant(op: Op, ctx: EmitContext, yT: Tensor, channels: number, padded: number, u8 = false) {
  const q = quantArgs(op, ctx, yT, channels, padded);
  const rq = requireRequant(op);
  const allNeg = rq.shift.every((v) => v < 0);
  const clamp = int8Clamp(rq.actMin, rq.actMax, u8);
  return { q, allNeg, clamp, tag: `${q.hasLsh ? '_lsh' : ''}${allNeg ? '_rn' : ''}${clampTag(clamp)}` };
}

/**
 * Requantization, narrowing and stores of a 4-pixel × 16-channel int32 tile
 * in v16–v31 (pixel-major, lanes = channels): multiplier and shifts for the
 * 16 channels loaded once, zero point added in int16 with saturation, clamp
 * in 8 bits (int8, or uint8 with `u8`), one 16-byte store per pixel at
 * stride `ys`. Shared by the SDOT and UDOT tiles.
 */
export function q16Epilogue(L: string[], hasLsh: boolean, allNeg: boolean, clamp: Int8Clamp, P = 4, u8 = false): void {
  L.push('ld1 {v0.4s-v3.4s}, [%[m]]', 'ld1 {v4.4s-v7.4s}, [%[r]]');
  if (hasLsh) L.push('ld1 {v8.4s-v11.4s}, [%[l]]');
  L.push('ld1r {v12.8h}, [%[z]]', 'ld2r {v13.16b, v14.16b}, [%[mm]]');
  for (let p = 0; p < P; p++) {
    const a = 16 + 4 * p;
    for (let i = 0; i < 4; i++) requantAsm(L, a + i, i, 4 + i, hasLsh ? 8 + i : null, 15, allNeg);
    L.push(`sqxtn v15.4h, v${a}.4s`, `sqxtn2 v15.8h, v${a + 1}.4s`, `sqxtn v${a}.4h, v${a + 2}.4s`, `sqxtn2 v${a}.8h, v${a + 3}.4s`);
    const [nar, nar2, mx, mn] = u8 ? ['sqxtun', 'sqxtun2', 'umax', 'umin'] : ['sqxtn', 'sqxtn2', 'smax', 'smin'];
    L.push('sqadd v15.8h, v15.8h, v12.8h', `sqadd v${a}.8h, v${a}.8h, v12.8h`, `${nar} v15.8b, v15.8h`, `${nar2} v15.16b, v${a}.8h`);
    if (clamp.min) L.push(`${mx} v15.16b, v15.16b, v13.16b`);
    if (clamp.max) L.push(`${mn} v15.16b, v15.16b, v14.16b`);
    L.push('st1 {v15.16b}, [%[y]], %[ys]');
  }
}

/**
 * The P×16 tile on packed pixels (P = 4, or 1 for the last pixels of a
 * layer): bias-initialised accumulators, K/4 steps, requantized stores. K % 16 == 0.
 */
export function s8PackedTileSource(fn: string, K: number, hasLsh: boolean, allNeg: boolean, clamp: Int8Clamp, P: 1 | 4): string {
  const steps = K / 4;
  // K % 16 == 0, so steps is a multiple of 4: 16 or 8 steps per iteration where they divide.
  const unroll = steps <= 8 ? steps : steps % 16 === 0 ? 16 : steps % 8 === 0 ? 8 : 4;
  const L: string[] = [];
  for (let p = 0; p < P; p++) L.push(`ld1 {v${16 + 4 * p}.4s-v${19 + 4 * p}.4s}, [%[b]]`);
  if (unroll < steps) L.push('1:');
  let t = 0;
  for (let u = 0; u < unroll; u++) {
    // One pixel: one LD1 brings its next 4 steps; four pixels: one LD1 per step.
    if (P === 4) L.push('ld1 {v0.16b-v3.16b}, [%[xp]], #64');
    else if (u % 4 === 0) L.push('ld1 {v0.16b-v3.16b}, [%[xp]], #64');
    L.push('ld1 {v4.16b-v7.16b}, [%[w]], #64');
    for (let p = 0; p < P; p++) {
      const xr = P === 4 ? p : u % 4;
      for (let c = 0; c < 4; c++) {
        const tr = 8 + (t++ % 8);
        L.push(`smull v${tr}.8h, v${xr}.8b, v${4 + c}.8b`, `smlal2 v${tr}.8h, v${xr}.16b, v${4 + c}.16b`, `sadalp v${16 + 4 * p + c}.4s, v${tr}.8h`);
      }
    }
  }
  if (unroll < steps) L.push('subs %[n], %[n], #1', 'b.ne 1b');
  q16Epilogue(L, hasLsh, allNeg, clamp, P);
  return `/* ${P} pixel(s) x 16 channels, K = ${K}: packed pixels, SMULL/SMLAL2/SADALP with channel lanes, ${unroll < steps ? `${unroll} steps per iteration` : 'fully unrolled'}. */
MOBILEC_NEON_INLINE void ${fn}(const int8_t *xp, const int8_t *w, const int32_t *b, ${QUANT_ASM_PARAMS}, int8_t *y, long ys)
{
${unroll < steps ? `    long n = ${steps / unroll};\n` : ''}    __asm__ __volatile__(
${asmText(L)}
        : [xp] "+&r"(xp), [w] "+&r"(w), [y] "+&r"(y)${unroll < steps ? ', [n] "+&r"(n)' : ''}
        : [b] "r"(b), ${QUANT_ASM_INPUTS}, [ys] "r"(ys)
        : "memory", "cc", ${CLOBBERS(32)});
}`;
}
