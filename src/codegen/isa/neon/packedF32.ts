/**
 * float32 pointwise 1×1 convolution on aarch64 with packed input pixels:
 * `pw_f32_packed_neon_8x8`.
 *
 * Why packing: with the input in its natural NHWC layout the by-element FMA
 * must broadcast input values, so each tile reloads its pixels for every
 * 4 input channels one register at a time; the best such tile (4 pixels × 16
 * channels) spends ≈ 0.28 instructions per MAC. Here a block of 8 pixels is
 * first transposed into scratch (`[K/4][2][4][4]`: for every 4 input
 * channels, two groups of 4 pixels, each channel one register of 4 pixels),
 * once per block and reused by every output-channel tile. The weights, packed
 * at compile time as `[Cout/8][K/4][8][4]` (4 input channels of one output
 * channel per register), are then the broadcast side: per 4 input channels,
 * 4 LD1 (x4 registers) feed 64 FMLAs — 68 instructions per 256 MACs (0.266).
 *
 * Accumulators v16–v31 hold (pixel group g, output channel c) with lanes =
 * pixels; the epilogue clamps, transposes 4×4 blocks back to pixel-major
 * and stores 8 channels per pixel.
 */
import type { Activation } from '../../../model/ir.js';
import { asmText, CLOBBERS } from './shared.js';

/** Tile height and width: 8 pixels × 8 output channels. */
export const PACKED_PIXELS = 8;
export const PACKED_CHANNELS = 8;

/** Weights `w[oc][k]` (oc < cout, k < K) in the kernel's read order. */
export function packF32Weights(w: (oc: number, k: number) => number, K: number, cout: number): Float32Array {
  const out = new Float32Array(cout * K);
  let i = 0;
  for (let b = 0; b < cout; b += PACKED_CHANNELS)
    for (let kb = 0; kb < K; kb += 4) for (let c = 0; c < PACKED_CHANNELS; c++) for (let j = 0; j < 4; j++) out[i++] = w(b + c, kb + j);
  return out;
}

/** Pack function name for blocks of 4·G pixels. */
export const packF32Name = (K: number, G: number) => `mobilec_neon_pack${4 * G}_f32_k${K}`;

/** The input block transpose: 4·G pixel rows of K floats → scratch `[K/4][G][4][4]`, 4 input channels per step (LD4 by lane). */
export function packF32Source(K: number, G: 1 | 2): string {
  const n = 4 * G;
  const L: string[] = ['1:'];
  for (let p = 0; p < n; p++) L.push(`ld4 {v${4 * (p >> 2)}.s-v${4 * (p >> 2) + 3}.s}[${p & 3}], [%[x${p}]], #16`);
  for (let g = 0; g < G; g++) L.push(`st1 {v${4 * g}.4s-v${4 * g + 3}.4s}, [%[xp]], #64`);
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  const rows = Array.from({ length: n }, (_, p) => `*x${p} = x + ${p * K}`).join(', ');
  return `/* ${n} pixels x ${K} input channels into [K/4][${G}][4][4] (lanes = pixels). */
MOBILEC_NEON_INLINE void ${packF32Name(K, G)}(const float *x, float *xp)
{
    const float ${rows};
    long n = ${K / 4};
    __asm__ __volatile__(
${asmText(L)}
        : ${Array.from({ length: n }, (_, p) => `[x${p}] "+&r"(x${p})`).join(', ')}, [xp] "+&r"(xp), [n] "+&r"(n)
        :
        : "memory", "cc", ${CLOBBERS(4 * G)});
}`;
}

/** Input-channel steps per loop iteration: fully unrolled for short K. */
function unrollFor(steps: number, full: number): number {
  if (steps <= full) return steps;
  for (const u of [16, 8, 4, 2]) if (steps % u === 0) return u;
  return 1;
}

/** The activation's clamp bounds (null: that side is open, no instruction). */
function clampBounds(act: Activation): [number | null, number | null] {
  return act === 'relu6' ? [0, 6] : act === 'relu' ? [0, null] : act === 'relu_n1_to_1' ? [-1, 1] : [null, null];
}

/** Clamp registers `regs` to the activation range (bounds broadcast into v12/v13). */
function clampAsm(L: string[], act: Activation, regs: number[]): void {
  const [lo, hi] = clampBounds(act);
  if (lo === null && hi === null) return;
  L.push('ld2r {v12.4s, v13.4s}, [%[a]]');
  for (const r of regs) {
    if (lo !== null) L.push(`fmax v${r}.4s, v${r}.4s, v12.4s`);
    if (hi !== null) L.push(`fmin v${r}.4s, v${r}.4s, v13.4s`);
  }
}

function actArray(act: Activation): string {
  const [lo, hi] = clampBounds(act);
  return lo === null && hi === null ? '' : `    static const float act[2] = { ${(lo ?? 0).toFixed(1)}f, ${(hi ?? 0).toFixed(1)}f };\n`;
}

/**
 * The 4·G-pixel × 8-channel tile (G = 2: the main tile; G = 1: a 4-pixel
 * tail): bias broadcast into the accumulators (LD4R), K/4 steps of G + 2
 * loads and 32·G FMLAs, clamp (only the bounds the activation has), and
 * transposing stores — ST4 by lane writes one pixel's 4 channels from 4
 * accumulators — at stride `ys` bytes per pixel.
 */
export function f32PackedTileSource(fn: string, K: number, act: Activation, G: 1 | 2): string {
  const acc = (g: number, c: number) => 16 + 8 * g + c;
  const steps = K / 4;
  const unroll = unrollFor(steps, 8);
  const L: string[] = [];
  for (let g = 0; g < G; g++) L.push(`ld4r {v${acc(g, 0)}.4s-v${acc(g, 3)}.4s}, [%[b]]`, `ld4r {v${acc(g, 4)}.4s-v${acc(g, 7)}.4s}, [%[b4]]`);
  if (unroll < steps) L.push('1:');
  for (let u = 0; u < unroll; u++) {
    for (let g = 0; g < G; g++) L.push(`ld1 {v${4 * g}.4s-v${4 * g + 3}.4s}, [%[xp]], #64`);
    L.push('ld1 {v8.4s-v11.4s}, [%[w]], #64', 'ld1 {v12.4s-v15.4s}, [%[w]], #64');
    for (let j = 0; j < 4; j++)
      for (let c = 0; c < 8; c++) for (let g = 0; g < G; g++) L.push(`fmla v${acc(g, c)}.4s, v${4 * g + j}.4s, v${8 + c}.s[${j}]`);
  }
  if (unroll < steps) L.push('subs %[n], %[n], #1', 'b.ne 1b');
  clampAsm(L, act, Array.from({ length: 8 * G }, (_, i) => 16 + i));
  for (let g = 0; g < G; g++)
    for (let l = 0; l < 4; l++) {
      L.push(`st4 {v${acc(g, 0)}.s-v${acc(g, 3)}.s}[${l}], [%[y]], #16`, `st4 {v${acc(g, 4)}.s-v${acc(g, 7)}.s}[${l}], [%[y]], %[ys16]`);
    }
  const arr = actArray(act);
  return `/* ${4 * G} pixels x 8 channels, K = ${K}, ${act}: packed pixels, broadcast weights, ${unroll < steps ? `${unroll} steps per iteration` : 'fully unrolled'}. */
MOBILEC_NEON_INLINE void ${fn}(const float *xp, const float *w, const float *b, float *y, long ys)
{
${unroll < steps ? `    long n = ${steps / unroll};\n` : ''}${arr}    __asm__ __volatile__(
${asmText(L)}
        : [xp] "+&r"(xp), [w] "+&r"(w), [y] "+&r"(y)${unroll < steps ? ', [n] "+&r"(n)' : ''}
        : [b] "r"(b), [b4] "r"(b + 4), [ys16] "r"(ys - 16)${arr ? ', [a] "r"(act)' : ''}
        : "memory", "cc", ${CLOBBERS(32)});
}`;
}

/**
 * One pixel × 8 channels on the same packed weights, for the last 1-3
 * pixels of a layer and for fully connected layers: lanes = input channels
 * (vector × vector FMLA on the pixel's natural layout), pairwise sums at the end.
 */
export function f32DotTileSource(fn: string, K: number, act: Activation): string {
  const steps = K / 4;
  const wide = steps % 4 === 0; // 16 input channels per LD1 of the pixel
  const unit = wide ? 4 : 1;
  const iters = steps / unit;
  const L: string[] = [];
  for (let c = 0; c < 8; c++) L.push(`movi v${16 + c}.16b, #0`);
  if (iters > 1) L.push('1:');
  L.push(wide ? 'ld1 {v0.4s-v3.4s}, [%[x]], #64' : 'ldr q0, [%[x]], #16');
  for (let j = 0; j < unit; j++) {
    L.push('ld1 {v8.4s-v11.4s}, [%[w]], #64', 'ld1 {v12.4s-v15.4s}, [%[w]], #64');
    for (let c = 0; c < 8; c++) L.push(`fmla v${16 + c}.4s, v${j}.4s, v${8 + c}.4s`);
  }
  if (iters > 1) L.push('subs %[n], %[n], #1', 'b.ne 1b');
  L.push('faddp v0.4s, v16.4s, v17.4s', 'faddp v1.4s, v18.4s, v19.4s', 'faddp v2.4s, v0.4s, v1.4s');
  L.push('faddp v0.4s, v20.4s, v21.4s', 'faddp v1.4s, v22.4s, v23.4s', 'faddp v3.4s, v0.4s, v1.4s');
  L.push('ld1 {v4.4s, v5.4s}, [%[b]]', 'fadd v2.4s, v2.4s, v4.4s', 'fadd v3.4s, v3.4s, v5.4s');
  clampAsm(L, act, [2, 3]);
  L.push('st1 {v2.4s, v3.4s}, [%[y]]');
  const arr = actArray(act);
  return `/* 1 pixel x 8 channels, K = ${K}, ${act}: dot products on the packed weights. */
MOBILEC_NEON_INLINE void ${fn}(const float *x, const float *w, const float *b, float *y)
{
${iters > 1 ? `    long n = ${iters};\n` : ''}${arr}    __asm__ __volatile__(
${asmText(L)}
        : [x] "+&r"(x), [w] "+&r"(w)${iters > 1 ? ', [n] "+&r"(n)' : ''}
        : [b] "r"(b), [y] "r"(y)${arr ? ', [a] "r"(act)' : ''}
        : "memory", "cc", ${CLOBBERS(24)});
}`;
}
