/**
 * NEON kernels (arm_neon.h) for the Raspberry Pi targets: `neon` (rpi4,
 * rpi-armv7) and `neon-dotprod` (rpi5, SDOT/UDOT).
 *
 * Each kernel variant is data (a SimdVariant, keyed `<isa>/<family>/<variant>`
 * with isa neon, neon32 (armv7) or neondot): which layers it takes, its name
 * (kernelId.ts) and its emission. Each family has its folder here and its
 * template (`templates/kernels/<family>_neon.c.hbs`, partials under
 * templates/partials/neon/). Weights are re-packed at compile time in the
 * order the kernel reads them (`ctx.table`), and 8-bit activation zero points
 * are folded into per-channel bias corrections (bias − xZp·Σw) so inner loops
 * are pure dot products. A layer no variant takes runs the generic kernel.
 *
 * The lists below are in preference order: `selectVariant` runs the first
 * that applies (and that `ctx.tuning.only` allows).
 */
import { selectVariant, type IsaKernels, type SimdVariant } from '../../types.js';
import { gemmDotVariants, gemmVariants } from './gemm/index.js';
import { dwVariants } from './depthwise/index.js';
import { dwAnyVariants } from './depthwise/general.js';
import { poolVariants } from './pool/index.js';
import { convVariants } from './conv/index.js';
import { softmaxVariants } from './softmax/index.js';
import { addVariants } from './add/index.js';
import { lutVariants } from '../lut.js';
import { mulVariants } from './mul/index.js';

/** rpi4 (aarch64) and rpi-armv7 (32-bit): NEON without dot product. */
const NEON: readonly SimdVariant<any, any>[] = [
  ...gemmVariants,
  dwVariants.neon,
  dwVariants.neon32,
  dwAnyVariants.neon,
  dwAnyVariants.neon32,
  ...poolVariants.neon,
  ...poolVariants.neon32,
  ...convVariants,
  ...softmaxVariants,
  addVariants.neon,
  addVariants.neon32,
  lutVariants.neon,
  lutVariants.neon32,
  mulVariants.neon,
  mulVariants.neon32,
];

/** rpi5: NEON with SDOT/UDOT (the depthwise and pooling kernels are plain NEON). */
const NEON_DOT: readonly SimdVariant<any, any>[] = [
  ...gemmDotVariants,
  dwVariants.neon,
  dwAnyVariants.neon,
  ...poolVariants.neon,
  // the neondot conv variants come first in convVariants and apply only here
  ...convVariants,
  ...softmaxVariants,
  addVariants.neon,
  lutVariants.neon,
  mulVariants.neon,
];

export const neonKernels: IsaKernels = {
  isa: 'neon',
  variants: NEON,
  select: (op, ctx, generic) => selectVariant(NEON, { op, ctx, generic }),
};

export const neonDotprodKernels: IsaKernels = {
  isa: 'neon-dotprod',
  variants: NEON_DOT,
  select: (op, ctx, generic) => selectVariant(NEON_DOT, { op, ctx, generic }),
};
