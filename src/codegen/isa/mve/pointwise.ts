/**
 * Helium pointwise family (templates/kernels/pointwise_mve.c.hbs): per 4
 * output channels, each pixel a VMLADAVA dot product over 16 input channels
 * (an assembly loop over whole blocks, the tail predicated); weights
 * re-packed per 4 output channels as [k block][oc 0..3][16 bytes], the input
 * zero point folded into the bias.
 *
 * Variants, in preference order:
 * - `mve/pointwise/px`: 1x1 convolutions and fully connected layers, in
 *   blocks of pixels whose constants stay in registers. Tuning switches
 *   `mve.pointwiseBlock` (default 8: pixels per block of a large expansion,
 *   oc > ic with an output over 16 KB) and `mve.pointwiseBlockNarrow`
 *   (default 16: the others).
 * - `mve/pointwise/im2col`: any other conv2d over im2col windows (templates/partials/mve/im2col.hbs),
 *   each padded to 16 bytes (no tail); tuning switch `mve.convBlock` (default 32 pixels per block,
 *   at most 1 KB of windows).
 */
import type { WindowGeometry } from '../../../model/geometry.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import { foldInputZeroPoint } from '../../requant.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { clampArgs, cType, im2colPlan, isPointwise, kernelDType, layerGeometry, numberSwitch, paddingOf, quantConv, type QuantConv } from '../quantConv.js';
import { mveFlags, mveRequant, type MveRequant } from './requant.js';
import { windowParams } from '../../ops/common.js';

interface PwPlan {
  readonly g: WindowGeometry;
  readonly q: QuantConv;
  readonly rq: MveRequant;
  readonly conv: boolean;
  /** Pixels per block. */
  readonly pb: number;
}

function plan(layer: Layer, im2col: boolean): PwPlan | null {
  const { op, ctx } = layer;
  const g = layerGeometry(layer);
  if (!g) return null;
  const conv = !isPointwise(g);
  if (conv !== im2col) return null;
  const q = quantConv(op, ctx, g.outC, 4, true);
  if (!q) return null;
  const ic = g.kH * g.kW * g.inC;
  const npix = g.outH * g.outW;
  // Large expansions (oc > ic, output over 16 KB: the tensors that set the arena) keep smaller blocks: run
  // in place, each block's output must clear its own input, so b pixels cost about b * (oc - ic) arena bytes.
  const bigExpansion = g.outC > ic && npix * g.outC > 16384;
  const want = conv
    ? Math.max(1, Math.min(numberSwitch(ctx, 'mve.convBlock', 32), Math.floor(1024 / (Math.ceil(ic / 16) * 16))))
    : bigExpansion
      ? numberSwitch(ctx, 'mve.pointwiseBlock', 8)
      : numberSwitch(ctx, 'mve.pointwiseBlockNarrow', 16);
  const pb = Math.min(npix, Math.ceil(npix / Math.ceil(npix / want)));
  return { g, q, rq: mveRequant(q.rq), conv, pb };
}

function id(layer: Layer, p: PwPlan): KernelId {
  const { g } = p;
  return {
    op: layer.op.kind === 'fully_connected' ? 'fc' : p.conv ? 'conv' : 'pw',
    dtype: kernelDType(p.q.dtype),
    isa: 'mve',
    tile: `${p.pb}x4`,
    flags: { ...mveFlags(p.rq), ...(p.q.dtype === 'int8' && p.q.wZp !== 0 ? { wzp: true as const } : {}) },
    window: p.conv ? { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: paddingOf(layer.op) } : undefined,
    shape: `${g.inH}x${g.inW}x${g.inC}_${g.outC}`,
  };
}

function emit(layer: Layer, p: PwPlan): OpEmission {
  const { ctx, op } = layer;
  const { g, q, conv, pb, rq } = p;
  const ic = g.kH * g.kW * g.inC;
  const oc = g.outC;
  const npix = g.outH * g.outW;
  const ic16 = Math.ceil(ic / 16) * 16;
  const oc4 = Math.ceil(oc / 4) * 4;
  const unsigned = q.dtype === 'uint8';
  // wZp * sum(x) subtracted per pixel: uint8 always, int8 with a weight zero point
  const wzp = unsigned || q.wZp !== 0;
  // Padding (channels past oc, window bytes past ic) holds the weight zero point: w - wZp = 0 there, whatever the patch holds.
  const packed = new Uint8Array(oc4 * ic16).fill(wzp ? q.wZp & 0xff : 0);
  for (let o = 0; o < oc; o++) {
    for (let i = 0; i < ic; i++) packed[(o >> 2) * 4 * ic16 + (i >> 4) * 64 + (o & 3) * 16 + (i & 15)] = q.wData[o * ic + i]! & 0xff;
  }
  // acc = sum x*w (- wZp * sum x when wzp) + bias - xZp * sum (w - wZp)
  const bias = foldInputZeroPoint(q.bias, (o, i) => q.wData[o * ic + i]! - q.wZp, ic, oc, oc4, q.rq.xZp);
  const rqSyms = [ctx.table('mve_m', rq.m), ...(rq.left ? [ctx.table('mve_ls', rq.ls)] : []), ctx.table('mve_rs', rq.rs)];
  const wSym = ctx.table('mve_w', unsigned ? packed : new Int8Array(packed.buffer));
  const bSym = ctx.table('mve_b', bias);
  // The MAC loop's length: an im2col window is padded to 16 bytes (zeros) in its patch, so no tail.
  const kk = conv ? ic16 : ic;
  // The assembly loop over whole 16-channel blocks, unrolled by 4 (or 2) when that divides them.
  const full = Math.floor(kk / 16);
  const unroll = full % 4 === 0 ? 4 : full % 2 === 0 ? 2 : 1;
  const kernel = formatKernelId(id(layer, p));
  const zps = [...(conv ? [String(q.rq.xZp)] : []), ...(wzp ? [String(q.wZp)] : []), String(q.rq.yZp)];
  // im2col: the block's windows (+ a window of slack) in arena scratch, kk a multiple of 16 (aligned windows)
  const patch = conv ? [ctx.scratch(cType(q.dtype), (pb + 1) * kk)] : [];
  const args = [ctx.arena(q.x.id, false), wSym, bSym, ...rqSyms, ...zps, ...clampArgs(q.rq), ...patch, ctx.arena(q.y.id, true)];
  const vs = unsigned ? 'u8' : 's8';
  return {
    family: 'pointwise_mve',
    kernel,
    params: {
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      unsigned,
      wzp,
      conv,
      cin: g.inC,
      ...windowParams(g),
      padding: paddingOf(op),
      im: conv ? im2colPlan(g) : undefined,
      vt: unsigned ? 'uint8x16_t' : 'int8x16_t',
      vs,
      acct: unsigned ? 'uint32_t' : 'int32_t',
      tail: kk % 16 !== 0,
      full,
      full16: full * 16,
      rem: kk % 16,
      kk,
      left: rq.left,
      rn: rq.rn,
      npix,
      ic,
      oc,
      ic16,
      oc4,
      pb,
      // the first `unroll` blocks peeled (VMLADAV sets the accumulators: no zeroing), then the loop
      unroll,
      loopIters: full / unroll - 1,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * ic * oc,
    // A block's input is read again (per 4 output channels) while its earlier outputs are written: the
    // planner keeps each block's output clear of the block's own input (pixelBlock = the block).
    streaming: { pixelBlock: pb },
  };
}

const variant = (name: string, im2col: boolean): SimdVariant<PwPlan> => ({
  key: `mve/pointwise/${name}`,
  isa: 'mve',
  ops: im2col ? ['conv2d'] : ['conv2d', 'fully_connected'],
  applies: (layer) => plan(layer, im2col),
  id,
  emit,
});

export const pointwiseVariants: readonly SimdVariant<PwPlan>[] = [variant('px', false), variant('im2col', true)];
