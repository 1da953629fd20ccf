/**
 * int8 depthwise 3×3 on x86-64 AVX2: variant `avx2/dw/s8-3x3`
 * (`mobilec_dw_s8_avx2_t1x16_w16_k3s2same_48x48x16`,
 * templates/kernels/dwconv_s8_avx2.c.hbs, partials/avx2/dw_s8_block.hbs and
 * dw_s8_taps.hbs).
 *
 * Stride 1 or 2 on each axis, any padding, depth multiplier 1, or any
 * multiplier of one input channel (a stem such as person_detect's: each tap
 * byte broadcast to every output channel, flag `dm<N>`). Channels in
 * blocks of 16 (two int32 accumulators), then one block of 8 where 8 to 15
 * remain, then the last C mod 8 channels (the tail: stored through a buffer,
 * its taps read through per-pixel tap buffers unless broadcast). The 9 taps run as 5 pairs (the ninth paired with a zero weight):
 * the two taps' bytes interleaved (PUNPCKLBW / PUNPCKHBW), widened to int16
 * and multiplied by the pair's weights `w − w_zp` with VPMADDWD; the pair
 * weights of a block stay in registers over an output row. The bias folds
 * the input zero point over all 9 taps (`foldInputZeroPoint`), so a tap
 * outside the input reads a 16-byte run of the input zero point, adding
 * x_zp·w − x_zp·w = 0: interior pixels read their taps in place, border
 * pixels through a tap-pointer table, with the same arithmetic.
 *
 * Exact for any weights, zero points and inputs: x ∈ [−128, 127] and
 * w − w_zp ∈ [−255, 255], so a pair's VPMADDWD sum is at most 2·128·255 =
 * 65,280 in magnitude (never saturating); the int32 sums and the folded bias
 * wrap modulo 2^32, as the reference's `acc | 0`. The epilogue is the ISA's
 * requantization (`mobilec_avx2_mbqm`, `mobilec_avx2_narrow16`).
 */
import type { DepthwiseConv2DOp } from '../../../model/ir.js';
import { windowGeometry } from '../../../model/geometry.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import { foldInputZeroPoint } from '../../requant.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { weightedOperands } from '../neon/shared.js';
import { anyLeftShift, avx2Requant } from './quant.js';
import { common, isX86 } from './shared.js';

type DwLayer = Layer<DepthwiseConv2DOp>;

function plan(l: DwLayer) {
  const { op, ctx } = l;
  if (!isX86(ctx)) return null;
  const g = windowGeometry(ctx.graph, op);
  if (g.kH !== 3 || g.kW !== 3 || (g.depthMultiplier !== 1 && g.inC !== 1) || g.strideH > 2 || g.strideW > 2) return null;
  const ops = weightedOperands(op, ctx, g.outC);
  if (ops?.dtype !== 'int8' || ops.wv.w.length !== 9 * g.outC) return null;
  return { g, ...ops };
}
type Plan = NonNullable<ReturnType<typeof plan>>;

const id = (l: DwLayer, p: Plan): KernelId => ({
  op: 'dw',
  dtype: 's8',
  isa: 'avx2',
  tile: '1x16',
  flags: {
    ...(anyLeftShift(l.op, l.ctx, p.g.outC) ? { ls: true as const } : {}),
    w16: true,
    ...(p.g.depthMultiplier > 1 ? { dm: p.g.depthMultiplier } : {}),
  },
  window: { kH: 3, kW: 3, sH: p.g.strideH, sW: p.g.strideW, padding: l.op.padding },
  shape: `${p.g.inH}x${p.g.inW}x${p.g.inC}`,
});

/** Weights `w[t][c]` (t = 3·ky + kx) as int16 `[C↑8 / 8][5 pairs][8][2]`: pair p holds taps 2p and 2p + 1 (tap 9: 0). */
export function packTapPairs(w: ArrayLike<number>, c: number): Int16Array {
  const groups = Math.ceil(c / 8);
  const out = new Int16Array(groups * 80);
  for (let gi = 0; gi < groups; gi++)
    for (let p = 0; p < 5; p++)
      for (let j = 0; j < 8; j++) {
        const ch = 8 * gi + j;
        if (ch >= c) continue;
        const o = gi * 80 + p * 16 + 2 * j;
        out[o] = w[2 * p * c + ch]!;
        out[o + 1] = 2 * p + 1 < 9 ? w[(2 * p + 1) * c + ch]! : 0;
      }
  return out;
}

function emit(l: DwLayer, p: Plan): OpEmission {
  const { ctx, op } = l;
  const { g } = p;
  const c = g.outC;
  const padded = Math.ceil(c / 8) * 8;
  const kernel = formatKernelId(id(l, p));
  const q = avx2Requant(op, ctx, c, padded);
  const bias = foldInputZeroPoint(p.bv, (ch, t) => p.wv.w[t * c + ch]!, 9, c, padded, q.table.xZp);
  const n16 = Math.floor(c / 16);
  const b8 = c % 16 >= 8;
  const tailC = c % 8;
  const bcast = g.inC === 1 && c > 1;
  const off = (t: number) => (Math.floor(t / 3) * g.inW + (t % 3)) * g.inC;
  const pairs = (addr: (t: number) => string) =>
    Array.from({ length: 5 }, (_, i) => ({ p: i, a0: addr(2 * i), a1: addr(Math.min(2 * i + 1, 8)), self: i === 4 }));
  const geo = {
    sH: g.strideH,
    sW: g.strideW,
    padTop: g.padTop,
    padLeft: g.padLeft,
    inH: g.inH,
    inW: g.inW,
    outW: g.outW,
    c,
    cin: g.inC,
    ls: q.ls ? 1 : 0,
    tailC,
    bcast,
  };
  const block = (name: string, nv: number, tail: boolean) => ({
    name,
    nv,
    tail,
    tb: tail && !bcast,
    ...geo,
    pairsIn: pairs((t) => `xp + ${off(t)}`),
    pairsTp: pairs((t) => `tp[${t}]`),
    pairsTb: pairs((t) => `tb[${t}]`),
  });
  const blocks = [
    ...(n16 > 0 ? [block(`${kernel}_c16`, 2, false)] : []),
    ...(b8 ? [block(`${kernel}_c8`, 1, false)] : []),
    ...(tailC > 0 ? [block(`${kernel}_ct`, 1, true)] : []),
  ];
  const args = [
    ctx.arena(p.xT.id, false),
    ctx.table('xw', packTapPairs(p.wv.w, c)),
    ctx.table('xbias', bias),
    q.rq,
    String(q.table.xZp),
    ...q.args,
    ctx.arena(p.yT.id, true),
  ];
  return {
    family: 'dwconv_s8_avx2',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      blocks,
      ...geo,
      dm: g.depthMultiplier,
      outH: g.outH,
      n16,
      b8,
      c8: 16 * n16,
      tail: tailC > 0,
      ct: c - tailC,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * c * 9,
    // Output rows in order; a row reads only its windows' three input rows.
    streaming: { pixelBlock: g.outW },
  };
}

/** int8 depthwise 3×3, stride 1 or 2, multiplier 1 (or one input channel, any multiplier), any padding, zero points and requantization. */
export const dwS8Variant: SimdVariant<Plan, DepthwiseConv2DOp> = {
  key: 'avx2/dw/s8-3x3',
  isa: 'avx2',
  ops: ['depthwise_conv2d'],
  applies: plan,
  id,
  emit,
};
