/**
 * float32 pointwise 1×1 convolution on aarch64 with packed input pixels:
 * variant `neon/gemm/f32-packed` (`mobilec_pw_f32_neon_t8x8_relu6_...`).
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
import type { Activation } from '../../../../model/ir.js';
import { formatKernelId, type KernelFlag } from '../../../kernelId.js';
import type { SimdVariant } from '../../../types.js';
import { GEMM_OPS, gemmEmission, gemmId, gemmPlan, type GemmLayer, type GemmOp, type GemmPlan } from './shape.js';

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

/** The activation applied in code, as a kernel-name flag. */
const ACT_FLAG: Readonly<Record<Activation, KernelFlag | null>> = { none: null, relu: 'relu', relu6: 'relu6', relu_n1_to_1: 'relun1' };

const id = (l: GemmLayer, p: GemmPlan) => {
  const f = ACT_FLAG[l.op.activation];
  return gemmId(p, 'neon', `${PACKED_PIXELS}x${PACKED_CHANNELS}`, f ? { [f]: true } : {});
};

/** float32 pointwise / FC with packed pixel blocks: aarch64, cout % 8 == 0, K % 4 == 0. */
export const packedF32Variant: SimdVariant<GemmPlan, GemmOp> = {
  key: 'neon/gemm/f32-packed',
  isa: 'neon',
  ops: GEMM_OPS,
  applies(l) {
    const p = gemmPlan(l, false);
    return p && p.mode === 'f32' && p.aarch64 && p.cout % PACKED_CHANNELS === 0 && p.K % 4 === 0 ? p : null;
  },
  id,
  emit(l, p) {
    const { ctx, op } = l;
    const { K, cout, npix } = p;
    const kernel = formatKernelId(id(l, p));
    const full8 = Math.floor(npix / 8) > 0;
    const tail4 = npix % 8 >= 4;
    const tail1 = npix % 4 > 0;
    const tile = (n: number) => `${kernel}_tile${n}`;
    const [lo, hi] = clampBounds(op.activation);
    const wide = (K / 4) % 4 === 0 ? 1 : 0;
    const args = [
      ctx.arena(p.xT.id, false),
      ctx.table('nw', packF32Weights(p.W, K, cout)),
      ctx.table('nbias', Float32Array.from(p.bv)),
      full8 || tail4 ? ctx.scratch('float', 4 * (full8 ? 8 : 4) * K) : '(float *)0',
      ctx.arena(p.yT.id, true),
    ];
    const params = {
      mode: 'float32, packed pixel blocks',
      t: 'float',
      w: 'float',
      b: 'float',
      pc: PACKED_CHANNELS,
      nb: cout / PACKED_CHANNELS,
      blockW: PACKED_CHANNELS * K,
      ysBytes: 4 * cout,
      full8,
      tail4,
      tail1,
      // the tiles (templates/partials/neon/gemm/f32_*.hbs): input-channel steps per iteration,
      // the one-pixel tile's 16-channel loads, the clamp bounds the activation has
      unroll: unrollFor(K / 4, 8),
      wide,
      iters: K / 4 / (wide ? 4 : 1),
      act: op.activation,
      lo: lo !== null,
      hi: hi !== null,
      actLo: (lo ?? 0).toFixed(1),
      actHi: (hi ?? 0).toFixed(1),
      tile8: tile(8),
      tile4: tile(4),
      tile1: tile(1),
    };
    // Each block (8 or 4 pixels, or one) is read in full before any of its outputs is written.
    return gemmEmission(p, 'pw_packed_neon', kernel, params, args, PACKED_PIXELS);
  },
};
