/**
 * Average and max pooling and MEAN on NEON: one variant per op and ISA tag
 * (neon, neon32). Every int8 / uint8 / float32 pool and every int8 / uint8
 * MEAN is taken; quantized clamps of any value through `poolClamp`.
 */
import type { Pool2DOp } from '../../../../model/ir.js';
import { windowGeometry, type WindowGeometry } from '../../../../model/geometry.js';
import { formatKernelId, parseKernelName, type KernelIsa } from '../../../kernelId.js';
import type { EmitContext, Layer, OpEmission, SimdVariant } from '../../../types.js';
import type { MeanOp } from '../../../../ops/mean/index.js';
import { cType, floatActRange, windowParams } from '../../../ops/common.js';
import { meanVariant, poolClampArgs } from '../../pooling.js';
import { common, actDType, DTYPE, neonIsa } from '../shared.js';

type PoolOp = 'avgpool' | 'maxpool';

/** The kernel name of a pooling layer: window and input shape. */
function poolName(op: PoolOp, isa: KernelIsa, dtype: keyof typeof DTYPE, pool: Pool2DOp, g: WindowGeometry): string {
  return formatKernelId({
    op,
    dtype: DTYPE[dtype],
    isa,
    window: { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: pool.padding },
    shape: `${g.inH}x${g.inW}x${g.inC}`,
  });
}

// ---------------------------------------------------------------- average pool

function selectAvgPool(op: Pool2DOp, ctx: EmitContext, g: WindowGeometry, isa: KernelIsa): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype) return null;
  const quant = dtype !== 'float32';
  const range = quant ? poolClampArgs(op, dtype) : floatActRange(op.activation);
  const kernel = poolName('avgpool', isa, dtype, op, g);
  return {
    family: 'avgpool_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      mode: quant ? 'int32 sums' : 'f32',
      quant,
      dtype,
      t: cType(dtype),
      isU8: dtype === 'uint8' ? 1 : 0,
      padding: op.padding,
      ...windowParams(g),
      cb: quant ? 8 : 4,
      tailC: g.inC % (quant ? 8 : 4),
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...range, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
  };
}

// ---------------------------------------------------------------- max pool

/**
 * Max pooling: the window maximum over in-bounds taps (padding ignored, as in
 * TFLite), vectorized across channels: 16 per vector for int8 / uint8
 * (VMAX), then an 8-lane step, then scalar; 4 per vector for float32, then
 * scalar. Quantized max pool keeps the input's scale and zero point, so the
 * result is the input code clamped to the activation range, as the generic
 * kernel does. Float taps use compare-and-select (`v > m`), not VMAX, so NaN
 * taps are skipped and ±0 keep the first tap, bit for bit with the generic
 * kernel; likewise the clamps. Output pixels are written in row-major order,
 * each after its window is read, so the kernel streams in place like the
 * generic one.
 */
function selectMaxPool(op: Pool2DOp, ctx: EmitContext, g: WindowGeometry, isa: KernelIsa): OpEmission | null {
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if (!dtype || yT.dtype !== dtype || g.outC !== g.inC) return null;
  const quant = dtype !== 'float32';
  // The 8-bit clamp runs on 8-bit lanes: poolClamp gives the equivalent bounds within the dtype's range.
  const range = quant ? poolClampArgs(op, dtype) : floatActRange(op.activation);
  const cb = quant ? 16 : 4;
  const main = g.inC - (g.inC % cb);
  const half = quant && g.inC - main >= 8 ? 8 : 0;
  const sfx = dtype === 'int8' ? 's8' : 'u8';
  const kernel = poolName('maxpool', isa, dtype, op, g);
  return {
    family: 'maxpool_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      quant,
      dtype,
      t: cType(dtype),
      vq: dtype === 'int8' ? 'int8x16_t' : 'uint8x16_t',
      vd: dtype === 'int8' ? 'int8x8_t' : 'uint8x8_t',
      sfx,
      init: dtype === 'int8' ? '-128' : '0',
      padding: op.padding,
      ...windowParams(g),
      cb,
      hasMain: main > 0,
      hasHalf: half > 0,
      hasScalar: g.inC - main - half > 0,
      tailC: g.inC - main,
    },
    call: `${kernel}(${[ctx.arena(xT.id, false), ...range, ctx.arena(yT.id, true)].join(', ')});`,
    macs: 0,
    // Like the generic kernel: output pixels one at a time in row-major order, no restrict.
    streaming: { pixelBlock: 1 },
  };
}

/**
 * The pooling variants. Their decision is the emission itself (cheap: no
 * weights), so `applies` returns it as the plan and `emit` hands it back.
 */
function poolVariant(op: PoolOp, isa: KernelIsa): SimdVariant<OpEmission, Pool2DOp> {
  const select = op === 'avgpool' ? selectAvgPool : selectMaxPool;
  return {
    key: `${isa}/${op}/any`,
    isa,
    ops: [op === 'avgpool' ? 'average_pool2d' : 'max_pool2d'],
    applies: (l: Layer<Pool2DOp>) => (neonIsa(l.ctx, false) === isa ? select(l.op, l.ctx, windowGeometry(l.ctx.graph, l.op), isa) : null),
    id: (_l, plan) => parseKernelName(plan.kernel!),
    emit: (_l, plan) => plan,
  };
}

/**
 * MEAN (templates/kernels/mean_neon.c.hbs): per 8 channels the H x W sums
 * (widened, VADDW into int32), then the generic mean's per-channel epilogue.
 */
function neonMean(isa: KernelIsa): SimdVariant<OpEmission, MeanOp> {
  const v = meanVariant(isa, 'mean_neon', (dtype) => ({ common: common(), isU8: dtype === 'uint8' ? 1 : 0 }));
  return { ...v, applies: (l) => (neonIsa(l.ctx, false) === isa ? v.applies(l) : null) };
}

export const poolVariants = {
  neon: [poolVariant('avgpool', 'neon'), poolVariant('maxpool', 'neon'), neonMean('neon')],
  neon32: [poolVariant('avgpool', 'neon32'), poolVariant('maxpool', 'neon32'), neonMean('neon32')],
};
