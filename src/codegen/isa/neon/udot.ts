/**
 * uint8 pointwise 1×1 convolution / fully connected on rpi5 with UDOT:
 * `pw_uint8_udot_neon_4x16`.
 *
 * TFLite's uint8 models carry a weight zero point (per tensor), so
 * Σ (x − zx)(w − zw) is split as
 *   Σ x·w  −  zw·Σ x  −  zx·Σ w  +  K·zx·zw.
 * Σ x·w runs on raw bytes with UDOT by element (16 MACs per instruction; the
 * sum of K ≤ 32768 products of 255·255 fits uint32 and is exact in int32 for
 * K ≤ 33025); the last two terms are per channel and go into the bias at
 * compile time; zw·Σ x is per pixel: computed once per block of pixels (UDOT
 * against a vector of zw) and subtracted with one MLS by element per register.
 * Weights stay raw uint8, packed as [K/16][4 groups of 4 inputs][4 quads][4 channels × 4 inputs].
 */
import type { Conv2DOp, FullyConnectedOp } from '../../../model/ir.js';
import type { EmitContext, OpEmission } from '../../types.js';
import { zeroPoint } from '../../ops/common.js';
import { foldInputZeroPoint, asmText, ceil, CLOBBERS, common, QUANT_ASM_INPUTS, QUANT_ASM_PARAMS, wrap } from './shared.js';
import { q16Epilogue, tileRequant, type Int8Clamp } from './packedS8.js';

/** Largest K whose Σ x·w (each ≤ 255²) stays below 2^31. */
const MAX_K = 33025;

/** P (4 or 1) pixels × 16 channels: bias, UDOT over K (K % 16 == 0), zw·Σx subtracted, requantized uint8 stores. */
function udotTileSource(fn: string, K: number, P: 1 | 4, hasLsh: boolean, allNeg: boolean, clamp: Int8Clamp): string {
  const L: string[] = [];
  for (let p = 0; p < P; p++) L.push(`ld1 {v${16 + 4 * p}.4s-v${19 + 4 * p}.4s}, [%[b]]`);
  L.push('1:');
  for (let p = 0; p < P; p++) L.push(`ldr q${p}, [%[x${p}]], #16`);
  for (let g = 0; g < 4; g++) {
    const wr = g % 2 === 0 ? 4 : 8;
    L.push(`ld1 {v${wr}.16b-v${wr + 3}.16b}, [%[w]], #64`);
    for (let i = 0; i < 4; i++) for (let p = 0; p < P; p++) L.push(`udot v${16 + 4 * p + i}.4s, v${wr + i}.16b, v${p}.4b[${g}]`);
  }
  L.push('subs %[n], %[n], #1', 'b.ne 1b');
  // acc -= 1 · (zw·Σx of the pixel)
  L.push('ld1 {v12.4s}, [%[zs]]', 'movi v13.4s, #1');
  for (let p = 0; p < P; p++) for (let i = 0; i < 4; i++) L.push(`mls v${16 + 4 * p + i}.4s, v13.4s, v12.s[${p}]`);
  q16Epilogue(L, hasLsh, allNeg, clamp, P, true);
  const rows = Array.from({ length: P - 1 }, (_, p) => `*x${p + 1} = x + ${(p + 1) * K}`);
  return `/* ${P} pixel(s) x 16 channels, K = ${K}: UDOT by element on raw uint8, zero points folded. */
MOBILEC_NEON_INLINE void ${fn}(const uint8_t *x, const uint8_t *w, const int32_t *b, const int32_t *zs, ${QUANT_ASM_PARAMS}, uint8_t *y, long ys)
{
${rows.length ? `    const uint8_t ${rows.join(', ')};\n` : ''}    long n = ${K / 16};
    __asm__ __volatile__(
${asmText(L)}
        : ${Array.from({ length: P }, (_, p) => `[x${p}] "+&r"(${p === 0 ? 'x' : `x${p}`})`).join(', ')}, [w] "+&r"(w), [y] "+&r"(y), [n] "+&r"(n)
        : [b] "r"(b), [zs] "r"(zs), ${QUANT_ASM_INPUTS}, [ys] "r"(ys)
        : "memory", "cc", ${CLOBBERS(32)});
}`;
}

/** Raw weights `w[oc][k]` in read order: per 16 channels, per 16 inputs, per group of 4 inputs, 4 quads × (4 channels × 4 inputs). */
function packUdotWeights(w: (oc: number, k: number) => number, K: number, coutPad: number): Uint8Array {
  const out = new Uint8Array(coutPad * K);
  let i = 0;
  for (let b = 0; b < coutPad; b += 16)
    for (let c = 0; c < K; c += 16)
      for (let g = 0; g < 4; g++) for (let q = 0; q < 4; q++) for (let l = 0; l < 4; l++) for (let t = 0; t < 4; t++) out[i++] = w(b + 4 * q + l, c + 4 * g + t);
  return out;
}

/**
 * uint8 × uint8 (per-tensor weight zero point) with a dot product: K % 16 == 0.
 * `wRaw(oc, k)` is the stored byte; `bias` the raw int32 bias.
 */
export function selectUdot(
  op: Conv2DOp | FullyConnectedOp,
  ctx: EmitContext,
  gs: { K: number; cout: number; npix: number; family: 'pw' | 'fc'; shape: string },
  wRaw: (oc: number, k: number) => number,
  wZp: number,
  bias: Float64Array,
): OpEmission | null {
  const { K, cout, npix } = gs;
  if (K % 16 !== 0 || K > MAX_K) return null;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const xZp = zeroPoint(xT);
  const coutPad = ceil(cout, 16);
  const b = foldInputZeroPoint(bias, wRaw, K, cout, coutPad, xZp);
  for (let oc = 0; oc < cout; oc++) b[oc] = wrap(b[oc]! + Math.imul(Math.imul(K, xZp), wZp));
  const { q, allNeg, clamp, tag } = tileRequant(op, ctx, yT, cout, coutPad, true);
  const kernel = `mobilec_${gs.family}_uint8_udot_neon_4x16${tag}_${gs.shape}`;
  const full = npix >= 4;
  const tail = npix % 4 !== 0;
  const tileFns: string[] = [];
  if (full) tileFns.push(udotTileSource(`${kernel}_tile4`, K, 4, q.hasLsh, allNeg, clamp));
  if (tail) tileFns.push(udotTileSource(`${kernel}_tile1`, K, 1, q.hasLsh, allNeg, clamp));
  const args = [
    ctx.arena(xT.id, false),
    ctx.table('nw', packUdotWeights((oc, k) => (oc < cout ? wRaw(oc, k) : 0), K, coutPad)),
    ctx.table('nbias', b),
    ...q.args,
    String(wZp),
    ctx.arena(yT.id, true),
  ];
  return {
    family: 'pw_udot_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      family: gs.family === 'pw' ? 'pointwise 1x1' : 'fully connected',
      npix,
      k: K,
      cout,
      nb: Math.floor(cout / 16),
      tailC: cout % 16,
      c0Tail: cout - (cout % 16),
      blockW: 16 * K,
      tileFns,
      full,
      tail,
      tile4: `${kernel}_tile4`,
      tile1: `${kernel}_tile1`,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
    // Every block of pixels (4, or 1) is read in full (its sums first) before any of its outputs is written.
    ...(gs.family === 'pw' ? { streaming: { pixelBlock: 4 } } : {}),
  };
}
