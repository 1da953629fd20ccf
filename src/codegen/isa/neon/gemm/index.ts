/**
 * The NEON GEMM variants (pointwise 1×1 convolution and fully connected), in
 * preference order per provider: packed-pixel kernels first where they apply,
 * then the register-blocked tiles.
 */
import type { SimdVariant } from '../../../types.js';
import { packedF32Variant } from './packedF32.js';
import { packedS8Variant, packedU8Variant } from './packedS8.js';
import { packedS8v7Variant, packedU8v7Variant } from './packedS8v7.js';
import { udotVariant } from './udot.js';
import { tileVariants } from './tile.js';

/** rpi4 (aarch64) and rpi-armv7. */
export const gemmVariants: readonly SimdVariant<any, any>[] = [
  packedF32Variant,
  packedS8Variant,
  packedU8Variant,
  packedS8v7Variant,
  packedU8v7Variant,
  ...tileVariants.neon,
  ...tileVariants.neon32,
];

/** rpi5 (aarch64 with SDOT/UDOT): int8 runs SDOT tiles, uint8 UDOT where K allows. */
export const gemmDotVariants: readonly SimdVariant<any, any>[] = [
  packedF32Variant,
  udotVariant,
  tileVariants.neondotU8,
  ...tileVariants.neondot,
  ...tileVariants.neon.filter((v) => v.key !== 'neon/gemm/s8'),
];
