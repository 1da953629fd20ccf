/**
 * Cortex-M4/M7 kernels on the Armv7E-M DSP extension (ACLE `arm_acle.h`):
 * int8/uint8 pointwise, im2col and fully connected layers and depthwise
 * convolutions on SMLAD-style dual 16-bit multiply-accumulates, weights
 * re-packed at compile time into the order the kernels read them. Every
 * variant is data (types.ts `SimdVariant`); whatever none takes (and any
 * layer whose requantization falls outside the DSP epilogue) keeps the
 * generic C.
 */
import { selectVariant, type IsaKernels, type SimdVariant } from '../../types.js';
import { dwconvVariants } from './dwconv.js';
import { pointwiseVariants } from './pointwise.js';
import { addVariants } from './add.js';
import { mulVariants } from './mul.js';
import { poolVariants } from './pool.js';
import { lutVariants } from '../lut.js';

/** In preference order. */
const VARIANTS: readonly SimdVariant<any, any>[] = [...pointwiseVariants, ...dwconvVariants, ...addVariants, ...mulVariants, ...poolVariants, lutVariants.dsp];

export const dspKernels: IsaKernels = {
  isa: 'dsp',
  variants: VARIANTS,
  switches: {
    'dsp.smmlar': 'true (default): the one-instruction SMMLAR requantization where it is proven exact; false: the exact 64-bit form everywhere',
    'dsp.px3': 'true (default): int8 pointwise in 3x2 pixel blocks; false: 2x2 blocks',
    'dsp.dwcb':
      'channels per block of the depthwise row form (a multiple of 4; 0: the ring of all channels); default: the ring when its scratch fits the room the arena has at the layer, else the largest block that fits',
  },
  select: (op, ctx, generic) => selectVariant(VARIANTS, { op, ctx, generic }),
};
