/**
 * float32 depthwise 3×3 on x86-64 AVX2 + FMA: variant `avx2/dw/f32-3x3`
 * (`mobilec_dw_f32_avx2_t4x8_relu6_k3s2same_112x112x32`,
 * templates/kernels/dwconv_avx2.c.hbs, partials/avx2/dw_px_group.hbs, dw_blk.hbs).
 *
 * Stride 1 or 2 on each axis, any padding, depth multiplier 1 (other
 * multipliers and windows keep the generic kernel). 8 channels per ymm; the
 * weights are packed `[9][C rounded up to 8]` and the bias likewise,
 * zero-padded, so the weight loads of the last (partial) channel group are
 * whole vectors and only its input loads and stores are masked. The output
 * pixels whose 9 taps all lie inside the input (rows `oyLo..oyHi`, columns
 * `oxLo..oxHi`, computed here) run the row form (partials/avx2/dw_blk.hbs):
 * blocks of 4 pixels (4 accumulators, no bounds tests, each tap's weights
 * loaded once for the 4), every channel group of a block before the next
 * block, so the block's windows (3 rows of 4·stride + 2 pixels × C) are read
 * while in L1 rather than once per channel group across the whole row; the
 * border pixels run one at a time, skipping the taps outside. FMA and the tap order make it equal the reference within the
 * float tolerance, not bit for bit.
 */
import type { DepthwiseConv2DOp } from '../../../model/ir.js';
import type { WindowGeometry } from '../../../model/geometry.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { biasValues, weightValues } from '../neon/shared.js';
import { actFlags, actParams, common, f32Window, maskLanes } from './shared.js';

type DwLayer = Layer<DepthwiseConv2DOp>;

/** The interior range [lo, hi) of output positions whose 3 taps along an axis lie in [0, size). */
function interior(size: number, out: number, stride: number, pad: number): [number, number] {
  const lo = Math.min(out, Math.ceil(pad / stride));
  const hi = Math.min(out, Math.max(lo, Math.floor((size - 3 + pad) / stride) + 1));
  return [lo, hi];
}

function plan(l: DwLayer) {
  const { op, ctx } = l;
  const f = f32Window(l);
  if (!f) return null;
  const { g, xT, yT } = f;
  if (g.kH !== 3 || g.kW !== 3 || g.depthMultiplier !== 1 || g.strideH > 2 || g.strideW > 2) return null;
  const wv = weightValues(op, ctx, 'float32');
  const bv = biasValues(op, ctx, g.outC, false);
  if (!wv || !bv || wv.w.length !== 9 * g.outC) return null;
  return { g, xT, yT, w: wv.w, bv };
}
type Plan = NonNullable<ReturnType<typeof plan>>;

const id = (l: DwLayer, p: Plan): KernelId => ({
  op: 'dw',
  dtype: 'f32',
  isa: 'avx2',
  tile: '4x8',
  flags: actFlags(l.op.activation),
  window: { kH: 3, kW: 3, sH: p.g.strideH, sW: p.g.strideW, padding: l.op.padding },
  shape: `${p.g.inH}x${p.g.inW}x${p.g.inC}`,
});

function emit(l: DwLayer, p: Plan): OpEmission {
  const { ctx, op } = l;
  const g: WindowGeometry = p.g;
  const c = g.outC;
  const cp = Math.ceil(c / 8) * 8;
  const kernel = formatKernelId(id(l, p));
  // weights [tap][cp] and bias [cp], zero-padded
  const w = new Float32Array(9 * cp);
  for (let t = 0; t < 9; t++) for (let ch = 0; ch < c; ch++) w[t * cp + ch] = p.w[t * c + ch]!;
  const bias = new Float32Array(cp);
  for (let ch = 0; ch < c; ch++) bias[ch] = p.bv[ch]!;
  const [oyLo, oyHi] = interior(g.inH, g.outH, g.strideH, g.padTop);
  const [oxLo, oxHi] = interior(g.inW, g.outW, g.strideW, g.padLeft);
  const nf = Math.floor(c / 8);
  const args = [ctx.arena(p.xT.id, false), ctx.table('xw', w), ctx.table('xbias', bias), ctx.arena(p.yT.id, true)];
  return {
    family: 'dwconv_avx2',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      inH: g.inH,
      inW: g.inW,
      c,
      cp,
      outH: g.outH,
      outW: g.outW,
      sH: g.strideH,
      sW: g.strideW,
      padTop: g.padTop,
      padLeft: g.padLeft,
      nf,
      tail: c % 8 !== 0,
      tailC: c % 8,
      tailOff: String(8 * nf),
      maskLanes: maskLanes(c % 8),
      oyLo,
      oyHi,
      oxLo,
      oxHi,
      ixLo: oxLo * g.strideW - g.padLeft,
      ni: oxHi - oxLo,
      interior: oyHi > oyLo && oxHi > oxLo,
      // tap t = 3·ky + kx at (ky·W + kx)·C floats from the window's top-left input
      taps: Array.from({ length: 9 }, (_, t) => ({ t, off: (Math.floor(t / 3) * g.inW + (t % 3)) * c })),
      ...actParams(op.activation),
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * c * 9,
    // Output rows in order; a row reads only its windows' three input rows.
    streaming: { pixelBlock: g.outW },
  };
}

/** float32 depthwise 3×3, stride 1 or 2, multiplier 1. */
export const dwF32Variant: SimdVariant<Plan, DepthwiseConv2DOp> = {
  key: 'avx2/dw/f32-3x3',
  isa: 'avx2',
  ops: ['depthwise_conv2d'],
  applies: plan,
  id,
  emit,
};
