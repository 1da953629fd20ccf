/**
 * int8 convolution (any window, stride and padding; a MobileNet's 3×3
 * stride-2 stem) on x86-64 AVX2: variant `avx2/conv/s8`
 * (`mobilec_conv_s8_avx2_t4x16_w8_k3s2same_96x96x3_8`,
 * templates/kernels/conv_s8_avx2.c.hbs). Per chunk of output pixels each
 * pixel's window (kH·kW·cin values, the input zero point outside the input)
 * is written into arena scratch as int16 pairs, then the tiles of the int8
 * GEMM (`avx2/gemm/s8`: partials/avx2/pw_s8_tile.hbs, gemm_s8_panels.hbs,
 * `gemmS8Tiles`) run over the patches with K = kH·kW·cin; the weights
 * `[cout][kH][kW][cin]` are in patch order. The bias folds the input zero
 * point over all K taps, so an outside tap (x_zp) adds x_zp·w − x_zp·w = 0:
 * exact as the GEMM (products of int8 and `w − w_zp` in VPMADDWD pairs, int32
 * sums modulo 2^32 as the reference's `acc | 0`). 1×1 stride-1 layers take
 * `avx2/gemm/s8` first.
 */
import type { Conv2DOp } from '../../../model/ir.js';
import { windowGeometry } from '../../../model/geometry.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { weightedOperands } from '../neon/shared.js';
import { PANEL } from './pointwise.js';
import { gemmS8Tiles, TILE_PIXELS_Q, valuesFitInt8 } from './pointwiseQ.js';
import { anyLeftShift } from './quant.js';
import { isX86, windowParams } from './shared.js';

type ConvLayer = Layer<Conv2DOp>;

function plan(l: ConvLayer) {
  const { op, ctx } = l;
  if (!isX86(ctx)) return null;
  const g = windowGeometry(ctx.graph, op);
  const ops = weightedOperands(op, ctx, g.outC);
  const K = g.kH * g.kW * g.inC;
  if (ops?.dtype !== 'int8' || ops.wv.w.length !== K * g.outC) return null;
  return { g, K, npix: g.outH * g.outW, w8: valuesFitInt8(ops.wv.w), ...ops };
}
type Plan = NonNullable<ReturnType<typeof plan>>;

const id = (l: ConvLayer, p: Plan): KernelId => ({
  op: 'conv',
  dtype: 's8',
  isa: 'avx2',
  tile: `${TILE_PIXELS_Q}x${PANEL}`,
  flags: { ...(anyLeftShift(l.op, l.ctx, p.g.outC) ? { ls: true as const } : {}), ...(p.w8 ? { w8: true as const } : { w16: true as const }) },
  window: { kH: p.g.kH, kW: p.g.kW, sH: p.g.strideH, sW: p.g.strideW, padding: l.op.padding },
  shape: `${p.g.inH}x${p.g.inW}x${p.g.inC}_${p.g.outC}`,
});

function emit(l: ConvLayer, p: Plan): OpEmission {
  const { ctx } = l;
  const { g, K, npix } = p;
  const kernel = formatKernelId(id(l, p));
  const t = gemmS8Tiles(l, kernel, K, g.outC, npix, (oc, k) => p.wv.w[oc * K + k]!, p.bv, p.w8);
  const args = [ctx.arena(p.xT.id, false), ...t.args, String(t.q.table.xZp), ctx.arena(p.yT.id, true)];
  return {
    family: 'conv_s8_avx2',
    kernel,
    params: {
      ...t.params,
      ...windowParams(g),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * g.outC * K,
    // A chunk of `mc` output pixels copies all its windows out of the input before it writes.
    streaming: { pixelBlock: t.mc },
  };
}

/** int8 convolution, any window: patches of a pixel chunk as int16 pairs, then the int8 GEMM tiles. */
export const convS8Variant: SimdVariant<Plan, Conv2DOp> = {
  key: 'avx2/conv/s8',
  isa: 'avx2',
  ops: ['conv2d'],
  applies: plan,
  id,
  emit,
};
