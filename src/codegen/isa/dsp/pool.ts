/**
 * DSP pooling and mean (Armv7E-M SIMD32 on 4 channels per word):
 * - `dsp/avgpool/any` (templates/kernels/avgpool_dsp.c.hbs): window sums in
 *   16-bit lanes (SXTAB16 / UXTAB16), per channel TFLite's rounding division
 *   by the in-bounds count and the clamp.
 * - `dsp/maxpool/any` (maxpool_dsp.c.hbs): byte-lane maxima (SSUB8 / USUB8 +
 *   SEL) from act_min, then the byte-lane minimum with act_max.
 * - `dsp/mean/any` (mean_dsp.c.hbs): the H x W sums as the average pool's,
 *   the generic mean's per-channel epilogue.
 * Every int8 / uint8 layer of these ops is taken (src/codegen/isa/pooling.ts).
 */
import { meanVariant, poolVariant } from '../pooling.js';

export const poolVariants = [
  poolVariant('dsp', 'avgpool', () => ({})),
  poolVariant('dsp', 'maxpool', (dtype) => ({ sub8: dtype === 'int8' ? 'ssub8' : 'usub8' })),
  meanVariant('dsp', 'mean_dsp', () => ({})),
];
