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
import type { Conv2DOp, Op, SoftmaxOp } from '../../../model/ir.js';
import { windowGeometry } from '../../../model/geometry.js';
import { parseKernelName, type KernelIsa } from '../../kernelId.js';
import { selectVariant, type EmitContext, type IsaKernels, type OpEmission, type SimdVariant } from '../../types.js';
import { gemmDotVariants, gemmVariants } from './gemm/index.js';
import { dwVariants } from './depthwise/index.js';
import { poolVariants } from './pool/index.js';
import { selectConv } from './conv.js';
import { selectSoftmax } from './softmax.js';

// ---------------------------------------------------------------- conv and softmax (neonconv)
// The spot for `convVariants` and `softmaxVariants` (src/codegen/isa/neon/conv/,
// softmax/). Until they are merged, today's selectConv / selectSoftmax run
// through this adapter: the plan is their emission, the name theirs.
function legacy<O extends Op>(key: string, isa: KernelIsa, op: O['kind'], select: (op: O, ctx: EmitContext, dot: boolean) => OpEmission | null, dot: boolean): SimdVariant<OpEmission, O> {
  return {
    key,
    isa,
    ops: [op],
    applies: (l) => select(l.op, l.ctx, dot),
    id: (_l, plan) => parseKernelName(plan.kernel!),
    emit: (_l, plan) => plan,
  };
}
const flavour = (ctx: EmitContext, dotprod: boolean) => ({ dotprod, aarch64: ctx.target.arch === 'aarch64' });
const conv = (op: Conv2DOp, ctx: EmitContext, dot: boolean) => selectConv(op, ctx, windowGeometry(ctx.graph, op), flavour(ctx, dot));
const softmax = (op: SoftmaxOp, ctx: EmitContext, dot: boolean) => selectSoftmax(op, ctx, flavour(ctx, dot));
const convVariants = [legacy<Conv2DOp>('neon/conv/legacy', 'neon', 'conv2d', conv, false)];
const convDotVariants = [legacy<Conv2DOp>('neondot/conv/legacy', 'neondot', 'conv2d', conv, true)];
const softmaxVariants = [legacy<SoftmaxOp>('neon/softmax/legacy', 'neon', 'softmax', softmax, false)];
const softmaxDotVariants = [legacy<SoftmaxOp>('neondot/softmax/legacy', 'neondot', 'softmax', softmax, true)];
// ---------------------------------------------------------------- end of the conv and softmax spot

/** rpi4 (aarch64) and rpi-armv7 (32-bit): NEON without dot product. */
const NEON: readonly SimdVariant<any, any>[] = [
  ...gemmVariants,
  dwVariants.neon,
  dwVariants.neon32,
  ...poolVariants.neon,
  ...poolVariants.neon32,
  // ---- conv and softmax (neonconv): convVariants, softmaxVariants
  ...convVariants,
  ...softmaxVariants,
];

/** rpi5: NEON with SDOT/UDOT (the depthwise and pooling kernels are plain NEON). */
const NEON_DOT: readonly SimdVariant<any, any>[] = [
  ...gemmDotVariants,
  dwVariants.neon,
  ...poolVariants.neon,
  // ---- conv and softmax (neonconv): their rpi5 lists
  ...convDotVariants,
  ...softmaxDotVariants,
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
