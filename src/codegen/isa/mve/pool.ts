/**
 * Helium pooling and mean (16 channels per vector, a channel tail by
 * predicated loads):
 * - `mve/avgpool/any` (templates/kernels/avgpool_mve.c.hbs): window sums in
 *   16-bit lanes (widening VLDRB), widened to 32 bits (VMOVLB / VMOVLT), per
 *   channel TFLite's rounding division by the in-bounds count and the clamp.
 * - `mve/maxpool/any` (maxpool_mve.c.hbs): VMAX from act_min, VMIN with act_max.
 * - `mve/mean/any` (mean_mve.c.hbs): the H x W sums as the average pool's,
 *   the generic mean's per-channel epilogue.
 * Every int8 / uint8 layer of these ops is taken (src/codegen/isa/pooling.ts).
 */
import { meanVariant, poolVariant } from '../pooling.js';

/** The vector types and intrinsic suffixes of a dtype: 8-bit, widened 16-bit and 32-bit lanes. */
function lanes(dtype: 'int8' | 'uint8') {
  const s = dtype === 'int8' ? 's' : 'u';
  const i = dtype === 'int8' ? 'int' : 'uint';
  return { v8: `${i}8x16`, s8: `${s}8`, v16: `${i}16x8`, s16: `${s}16`, v32: `${i}32x4`, s32: `${s}32`, e32: `${i}32_t` };
}

export const poolVariants = [poolVariant('mve', 'avgpool', lanes), poolVariant('mve', 'maxpool', lanes), meanVariant('mve', 'mean_mve', lanes)];
