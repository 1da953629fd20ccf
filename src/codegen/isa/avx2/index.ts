/**
 * AVX2 + FMA kernels (<immintrin.h> intrinsics) for the host target on an
 * x86-64 machine (`simd: 'avx2'`, `arch: 'x86-64'`): float32 pointwise / fully
 * connected (`avx2/gemm/f32`), depthwise 3×3 (`avx2/dw/f32-3x3`) and any other
 * convolution (`avx2/conv/f32`: window patches of a pixel chunk, then the GEMM tiles). Each
 * family's C is one template (`templates/kernels/<family>_avx2.c.hbs`, partials
 * under templates/partials/avx2/); the functions carry
 * `__attribute__((target("avx2,fma")))`, so the generated C builds with the
 * target's plain flags, and the model's invoke checks the CPU once
 * (`__builtin_cpu_supports`), returning -1 on a CPU without AVX2 and FMA.
 * int8 pointwise and FC run `avx2/gemm/s8` (pointwiseQ.ts), int8 depthwise 3×3 `avx2/dw/s8-3x3`
 * (dwconvQ.ts), any other int8 conv `avx2/conv/s8` (convQ.ts: window patches, then the int8 GEMM tiles),
 * with the one requantization of quant.ts;
 * other quantized layers and every other op run the generic C kernels.
 */
import { selectVariant, type IsaKernels, type SimdVariant } from '../../types.js';
import { gemmF32Variant } from './pointwise.js';
import { gemmS8Variant } from './pointwiseQ.js';
import { dwF32Variant } from './dwconv.js';
import { dwS8Variant } from './dwconvQ.js';
import { convF32Variant } from './conv.js';
import { convS8Variant } from './convQ.js';

/** Preference order: a 1×1 stride-1 conv2d is the GEMM, any other conv2d the patch form. */
const AVX2: readonly SimdVariant<any, any>[] = [gemmF32Variant, gemmS8Variant, dwF32Variant, dwS8Variant, convF32Variant, convS8Variant];

export const avx2Kernels: IsaKernels = {
  isa: 'avx2',
  variants: AVX2,
  select: (op, ctx, generic) => selectVariant(AVX2, { op, ctx, generic }),
};
