/**
 * Cortex-M55 kernels on Helium (M-profile Vector Extension, `arm_mve.h`):
 * int8/uint8 pointwise, im2col and fully connected layers as VMLADAVA dot
 * products over 16 input channels, depthwise convolutions on 8 channels of
 * int16 lanes (or, for a multiplier of one input channel, 4 output channels
 * per VMLA), the requantization vectorized bit-exactly (VQRDMULH + sign
 * fix-up + VRSHL, templates/partials/mve/requant.hbs). Every variant is data
 * (types.ts `SimdVariant`); whatever none takes keeps the generic C.
 */
import { selectVariant, type IsaKernels, type SimdVariant } from '../../types.js';
import { dwconvVariants } from './dwconv.js';
import { pointwiseVariants } from './pointwise.js';
import { addVariants } from './add.js';
import { mulVariants } from './mul.js';
import { poolVariants } from './pool.js';
import { lutVariants } from '../lut.js';

/** In preference order. */
const VARIANTS: readonly SimdVariant<any, any>[] = [...pointwiseVariants, ...dwconvVariants, ...addVariants, ...mulVariants, ...poolVariants, lutVariants.mve];

export const heliumKernels: IsaKernels = {
  isa: 'helium',
  variants: VARIANTS,
  switches: {
    'mve.pointwiseBlock': 'pixels per block of the pointwise kernel when the layer widens its channels (default 8)',
    'mve.pointwiseBlockNarrow': 'pixels per block of the pointwise kernel otherwise (default 16)',
    'mve.convBlock': 'pixels per block of the im2col convolution (default 2)',
  },
  select: (op, ctx, generic) => selectVariant(VARIANTS, { op, ctx, generic }),
};
