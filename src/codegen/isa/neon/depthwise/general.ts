/**
 * Depthwise convolution of any window on NEON (templates/kernels/dwconv_any_neon.c.hbs):
 * int8 / uint8, any kernel size, stride, padding and depth multiplier, 8 output channels
 * per step on int16 lanes (VMLAL to two int32 accumulators), one output pixel at a time.
 * One variant per ISA tag: `neon/dw/any` (aarch64) and `neon32/dw/any` (armv7), after the
 * 3x3 variants, so they take every quantized depthwise those decline.
 *
 * How the 8 input values of a step are gathered (`mode`):
 * - `direct`: depth multiplier 1, 8 consecutive input channels;
 * - `bcast`:  the multiplier is a multiple of 8, one input channel for all 8 lanes (the stem
 *             depthwise with one input channel and multiplier 8/16/32 is this);
 * - `tbl`:    any other multiplier, 8 bytes from the first input channel of the step picked
 *             by VTBL with a per-step index table (input channel of each output channel).
 * The weights are (w - w_zp) as int16, so a weight zero point (uint8, or int8 per-tensor /
 * per-channel all equal) costs nothing; windows inside the input use a bias with
 * -x_zp * sum(w) folded in, border windows subtract x_zp from the input and skip the
 * taps outside. Steps that would read past the last input channel of a pixel copy the
 * valid bytes first (never a read past the input tensor).
 */
import type { DepthwiseConv2DOp } from '../../../../model/ir.js';
import { windowGeometry } from '../../../../model/geometry.js';
import { formatKernelId, type KernelId, type KernelIsa } from '../../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../../types.js';
import { cType, windowParams, zeroPoint } from '../../../ops/common.js';
import {
  foldInputZeroPoint,
  common,
  actDType,
  weightValues,
  biasValues,
  requantArgs,
  requantForms,
  requantFlags,
  quantChannelsOk,
  ceil,
  DTYPE,
  neonIsa,
} from '../shared.js';

type DwLayer = Layer<DepthwiseConv2DOp>;
type Mode = 'direct' | 'bcast' | 'tbl';

function plan(l: DwLayer) {
  const { op, ctx } = l;
  const g = windowGeometry(ctx.graph, op);
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = actDType(xT);
  if ((dtype !== 'int8' && dtype !== 'uint8') || yT.dtype !== dtype) return null;
  const oc = g.outC;
  const wv = weightValues(op, ctx, dtype);
  const bv = biasValues(op, ctx, oc, true);
  if (!wv || !bv || !quantChannelsOk(op, oc)) return null;
  const dm = g.depthMultiplier;
  const mode: Mode = dm === 1 ? 'direct' : dm % 8 === 0 ? 'bcast' : 'tbl';
  return { g, xT, yT, dtype, oc, dm, mode, wv, bv, forms: requantForms(op, ctx, oc) };
}
type Plan = NonNullable<ReturnType<typeof plan>>;

const id =
  (isa: KernelIsa) =>
  (l: DwLayer, p: Plan): KernelId => ({
    op: 'dw',
    dtype: DTYPE[p.dtype],
    isa,
    tile: '8',
    flags: { ...requantFlags({ ls: p.forms.ls, rn: p.forms.rn }), ...(p.dm > 1 ? { dm: p.dm } : {}) },
    window: { kH: p.g.kH, kW: p.g.kW, sH: p.g.strideH, sW: p.g.strideW, padding: l.op.padding },
    shape: `${p.g.inH}x${p.g.inW}x${p.g.inC}`,
  });

function emit(l: DwLayer, p: Plan, kernel: string): OpEmission {
  const { op, ctx } = l;
  const { g, oc, dm, wv, bv } = p;
  const ntaps = g.kH * g.kW;
  const ocpad = ceil(oc, 8);
  const xZp = zeroPoint(p.xT);
  // weights (w - w_zp) [tap][ocpad]; biases raw and with -x_zp * sum(w) over every tap
  const w16 = new Int16Array(ntaps * ocpad);
  for (let t = 0; t < ntaps; t++) for (let c = 0; c < oc; c++) w16[t * ocpad + c] = wv.w[t * oc + c]!;
  const raw = Int32Array.from({ length: ocpad }, (_, c) => (c < oc ? bv[c]! : 0));
  const folded = foldInputZeroPoint(bv, (c, t) => wv.w[t * oc + c]!, ntaps, oc, ocpad, xZp);
  const q = requantArgs(op, ctx, oc, 8);
  // steps whose 8 lanes' input bytes lie inside the pixel's channels (the rest copy what they read)
  const nsteps = ocpad / 8;
  const full = Array.from({ length: nsteps }, (_, s) => (p.mode === 'bcast' ? true : Math.floor((8 * s) / dm) + 8 <= g.inC)).filter(Boolean).length;
  const args = [
    ctx.arena(p.xT.id, false),
    ctx.table('nw', w16),
    ctx.table('nbiasin', folded),
    ctx.table('nbias', raw),
    ...q.args.slice(0, 3),
    String(xZp),
    ...q.args.slice(3),
  ];
  if (p.mode === 'tbl') {
    // per step, the input channel of each lane relative to the step's first (lanes past the channels repeat the last)
    const idx = new Uint8Array(ocpad);
    for (let c = 0; c < ocpad; c++) idx[c] = Math.floor(Math.min(c, oc - 1) / dm) - Math.floor((c & ~7) / dm);
    args.push(ctx.table('ndwidx', idx));
  }
  args.push(ctx.arena(p.yT.id, true));
  return {
    family: 'dwconv_any_neon',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      t: cType(p.dtype),
      dtype: p.dtype,
      isU8: p.dtype === 'uint8' ? 1 : 0,
      hasLsh: q.ls ? 1 : 0,
      padding: op.padding,
      ...windowParams(g),
      dm,
      ocpad,
      nsteps,
      full,
      tail: full < nsteps,
      direct: p.mode === 'direct',
      bcast: p.mode === 'bcast',
      tbl: p.mode === 'tbl',
      mode: p.mode,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: g.outH * g.outW * oc * ntaps,
    // One output pixel at a time, reading only that pixel's window.
    streaming: { pixelBlock: 1 },
  };
}

function variant(isa: KernelIsa): SimdVariant<Plan, DepthwiseConv2DOp> {
  const name = id(isa);
  return {
    key: `${isa}/dw/any`,
    isa,
    ops: ['depthwise_conv2d'],
    applies: (l) => (neonIsa(l.ctx, false) === isa ? plan(l) : null),
    id: name,
    emit: (l, p) => emit(l, p, formatKernelId(name(l, p))),
  };
}

export const dwAnyVariants = { neon: variant('neon'), neon32: variant('neon32') };
