/**
 * uint8 pointwise 1×1 convolution / fully connected on rpi5 with UDOT:
 * variant `neondot/gemm/u8-udot` (`mobilec_pw_u8_neondot_t4x16_...`).
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
import { formatKernelId } from '../../../kernelId.js';
import type { SimdVariant } from '../../../types.js';
import { zeroPoint } from '../../../ops/common.js';
import { foldInputZeroPoint, ceil, requantArgs, requantFlags, requantForms, wrap } from '../shared.js';
import { channelTiles, GEMM_OPS, gemmEmission, gemmId, gemmPlan, type GemmLayer, type GemmOp, type GemmPlan } from './shape.js';

/** Largest K whose Σ x·w (each ≤ 255²) stays below 2^31. */
const MAX_K = 33025;

/** Raw weights `w[oc][k]` in read order: per 16 channels, per 16 inputs, per group of 4 inputs, 4 quads × (4 channels × 4 inputs). */
function packUdotWeights(w: (oc: number, k: number) => number, K: number, coutPad: number): Uint8Array {
  const out = new Uint8Array(coutPad * K);
  let i = 0;
  for (let b = 0; b < coutPad; b += 16)
    for (let c = 0; c < K; c += 16)
      for (let g = 0; g < 4; g++)
        for (let q = 0; q < 4; q++) for (let l = 0; l < 4; l++) for (let t = 0; t < 4; t++) out[i++] = w(b + 4 * q + l, c + 4 * g + t);
  return out;
}

const id = (l: GemmLayer, p: GemmPlan) => gemmId(p, 'neondot', '4x16', requantFlags(requantForms(l.op, l.ctx, p.cout)));

/**
 * uint8 × uint8 (per-tensor weight zero point) with a dot product: rpi5, K % 16 == 0.
 * The kernel reads the stored bytes (w + wZp) and the raw int32 bias.
 */
export const udotVariant: SimdVariant<GemmPlan, GemmOp> = {
  key: 'neondot/gemm/u8-udot',
  isa: 'neondot',
  ops: GEMM_OPS,
  applies(l) {
    const p = gemmPlan(l, true);
    if (p?.dtype !== 'uint8' || !p.aarch64 || (l.ctx.tensor(l.op.inputs[1]!).quant?.zeroPoint.length ?? 1) > 1) return null;
    return p.K % 16 === 0 && p.K <= MAX_K ? p : null;
  },
  id,
  emit(l, p) {
    const { ctx, op } = l;
    const { K, cout, npix } = p;
    const wZp = p.wv.wZp;
    const wRaw = (oc: number, k: number) => p.W(oc, k) + wZp;
    const xZp = zeroPoint(p.xT);
    const coutPad = ceil(cout, 16);
    const b = foldInputZeroPoint(p.bv, wRaw, K, cout, coutPad, xZp);
    for (let oc = 0; oc < cout; oc++) b[oc] = wrap(b[oc]! + Math.imul(Math.imul(K, xZp), wZp));
    const q = requantArgs(op, ctx, cout, 16);
    const kernel = formatKernelId(id(l, p));
    const full = npix >= 4;
    const tail = npix % 4 !== 0;
    const args = [
      ctx.arena(p.xT.id, false),
      ctx.table(
        'nw',
        packUdotWeights((oc, k) => (oc < cout ? wRaw(oc, k) : 0), K, coutPad),
      ),
      ctx.table('nbias', b),
      ...q.args,
      String(wZp),
      ctx.arena(p.yT.id, true),
    ];
    const params = {
      ...channelTiles(cout, 16),
      blockW: 16 * K,
      // the tiles (templates/partials/neon/gemm/udot_tile.hbs, q16_epilogue.hbs)
      ls: q.ls,
      rn: q.rn,
      cmin: q.clamp.min,
      cmax: q.clamp.max,
      full,
      tail,
      tile4: `${kernel}_tile4`,
      tile1: `${kernel}_tile1`,
    };
    // Every block of pixels (4, or 1) is read in full (its sums first) before any of its outputs is written.
    return gemmEmission(p, 'pw_udot_neon', kernel, params, args, 4);
  },
};
