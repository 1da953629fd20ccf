/**
 * NEON kernels (arm_neon.h) for the Raspberry Pi targets: `neon` (rpi4,
 * rpi-armv7) and `neon-dotprod` (rpi5, SDOT for int8 pointwise).
 *
 * Each family has one template (`templates/kernels/<family>_neon.c.hbs`);
 * its function name spells the configuration. Weights are re-packed here,
 * at compile time, in the order the kernel reads them (`ctx.table`), and
 * int8 activation zero points are folded into per-channel bias corrections
 * (bias − xZp·Σw) so inner loops are pure dot products. Shapes a kernel does
 * not handle return null: the generic kernel runs.
 */
import type { Op } from '../../../model/ir.js';
import { elementCount } from '../../../model/ir.js';
import { windowGeometry } from '../../../model/geometry.js';
import type { EmitContext, IsaKernels, OpEmission } from '../../types.js';
import { type Flavour } from './shared.js';
import { selectGemm } from './pointwise.js';
import { selectDepthwise } from './depthwise.js';
import { selectConv } from './conv.js';
import { selectAvgPool, selectMaxPool } from './pool.js';
import { selectSoftmax } from './softmax.js';

// ---------------------------------------------------------------- provider

function select(op: Op, ctx: EmitContext, fl: Flavour): OpEmission | null {
  switch (op.kind) {
    case 'conv2d': {
      const g = windowGeometry(ctx.graph, op);
      if (g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1) {
        return selectGemm(op, ctx, { K: g.inC, cout: g.outC, npix: g.outH * g.outW, family: 'pw', shape: `${g.outH}x${g.outW}x${g.inC}_${g.outC}` }, fl);
      }
      return selectConv(op, ctx, g, fl);
    }
    case 'fully_connected': {
      const w = ctx.tensor(op.inputs[1]!);
      if (w.shape.length !== 2) return null;
      const [out, inn] = w.shape as [number, number];
      const batch = elementCount(ctx.tensor(op.inputs[0]!).shape) / inn;
      if (!Number.isInteger(batch)) return null;
      return selectGemm(op, ctx, { K: inn, cout: out, npix: batch, family: 'fc', shape: `${batch}x${inn}_${out}` }, fl);
    }
    case 'average_pool2d':
      return selectAvgPool(op, ctx, windowGeometry(ctx.graph, op));
    case 'max_pool2d':
      return selectMaxPool(op, ctx, windowGeometry(ctx.graph, op));
    case 'depthwise_conv2d':
      return selectDepthwise(op, ctx, windowGeometry(ctx.graph, op), fl);
    case 'softmax':
      return selectSoftmax(op, ctx, fl);
    default:
      return null;
  }
}

function flavour(ctx: EmitContext, dotprod: boolean): Flavour {
  return { dotprod, aarch64: ctx.target.arch === 'aarch64' };
}

/** rpi4 (aarch64) and rpi-armv7 (32-bit): NEON without dot product. */
export const neonKernels: IsaKernels = {
  isa: 'neon',
  variants: [],
  select: (op, ctx) => select(op, ctx, flavour(ctx, false)),
};

/** rpi5: NEON with SDOT. */
export const neonDotprodKernels: IsaKernels = {
  isa: 'neon-dotprod',
  variants: [],
  select: (op, ctx) => select(op, ctx, flavour(ctx, true)),
};
