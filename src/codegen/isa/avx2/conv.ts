/**
 * float32 convolution (any window, stride and padding; a MobileNet's 3×3
 * stride-2 stem) on x86-64 AVX2 + FMA: variant `avx2/conv/f32`
 * (`mobilec_conv_f32_avx2_t6x16_relu6_x512_k3s2same_224x224x3_32`,
 * templates/kernels/conv_avx2.c.hbs). Per chunk of output pixels the
 * kernel copies each pixel's window (kH·kW·cin floats, zero outside the
 * input) into arena scratch and runs the pointwise GEMM's tiles
 * (partials/avx2/pw_tile.hbs, `gemmTiles`) over those patches with K =
 * kH·kW·cin; the weights `[cout][kH][kW][cin]` are already in patch order
 * and are packed into the same panels (the AVX-512F tiles too, flag `x512`,
 * where the CPU has AVX-512F). 1×1 stride-1 layers take
 * `avx2/gemm/f32` first.
 */
import type { Conv2DOp } from '../../../model/ir.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { biasValues, weightValues } from '../neon/shared.js';
import { chunkPixels, gemmTiles, packPanels, PANEL, TILE_PIXELS } from './pointwise.js';
import { actFlags, common, f32Window, windowParams } from './shared.js';

type ConvLayer = Layer<Conv2DOp>;

/** Patch bytes of one chunk (arena scratch; written and read back within L1). */
export const CONV_CHUNK_BYTES = 16 * 1024;

function plan(l: ConvLayer) {
  const { op, ctx } = l;
  const f = f32Window(l);
  if (!f) return null;
  const { g, xT, yT } = f;
  const K = g.kH * g.kW * g.inC;
  const wv = weightValues(op, ctx, 'float32');
  const bv = biasValues(op, ctx, g.outC, false);
  if (!wv || !bv || wv.w.length !== K * g.outC) return null;
  return { g, xT, yT, K, w: wv.w, bv, npix: g.outH * g.outW };
}
type Plan = NonNullable<ReturnType<typeof plan>>;

const id = (l: ConvLayer, p: Plan): KernelId => ({
  op: 'conv',
  dtype: 'f32',
  isa: 'avx2',
  tile: `${TILE_PIXELS}x${PANEL}`,
  flags: { ...actFlags(l.op.activation), x512: true },
  window: { kH: p.g.kH, kW: p.g.kW, sH: p.g.strideH, sW: p.g.strideW, padding: l.op.padding },
  shape: `${p.g.inH}x${p.g.inW}x${p.g.inC}_${p.g.outC}`,
});

function emit(l: ConvLayer, p: Plan): OpEmission {
  const { ctx, op } = l;
  const { g, K, npix } = p;
  const kernel = formatKernelId(id(l, p));
  const mc = chunkPixels(K, npix, CONV_CHUNK_BYTES);
  const t = gemmTiles(kernel, K, g.outC, npix, op.activation, p.bv, mc);
  const args = [
    ctx.arena(p.xT.id, false),
    ctx.table(
      'xw',
      packPanels((oc, k) => p.w[oc * K + k]!, K, g.outC),
    ),
    ctx.table('xbias', t.bias),
    ctx.scratch('float', 4 * K * Math.min(mc, npix)),
    ctx.arena(p.yT.id, true),
  ];
  return {
    family: 'conv_avx2',
    kernel,
    params: {
      common: common(),
      ...t.params,
      ...windowParams(g),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * g.outC * K,
    // A chunk of `mc` output pixels copies all its windows out of the input before it writes.
    streaming: { pixelBlock: mc },
  };
}

/** float32 convolution, any window: patches of a pixel chunk, then the GEMM tiles. */
export const convF32Variant: SimdVariant<Plan, Conv2DOp> = {
  key: 'avx2/conv/f32',
  isa: 'avx2',
  ops: ['conv2d'],
  applies: plan,
  id,
  emit,
};
