/**
 * Helium depthwise families.
 *
 * Variants, in preference order:
 * - `mve/dwconv/c8` (templates/kernels/dwconv_mve.c.hbs): depth multiplier
 *   1, 8 channels per step on int16 lanes (VMULLB / VMULLT to two int32
 *   accumulators); the input zero point folded into the bias; per 8 channels
 *   one block of constants [bias][m][(ls)][rs] in lane order (even channels,
 *   then odd). Stride-1 layers of at most RING_MAX_ROWS output rows copy
 *   their rows into a ring padded with the zero point (arena scratch), the
 *   others read the taps in place (nothing on the stack, no scratch): a
 *   row's interior pixels at fixed offsets, border pixels through a
 *   tap-pointer table whose padding taps point at a constant row of the zero
 *   point.
 * - `mve/dwconv/dm` (templates/kernels/dwconvdm_mve.c.hbs): any multiplier of
 *   one input channel, 4 output channels per VMLA.
 * - `mve/dwconv/c8dm` (dwconv_mve.c.hbs): any multiplier of several input
 *   channels: a ring of kH rows padded with the zero point (arena scratch,
 *   planned with `streaming.rowsCopied`) holds each input channel repeated
 *   into the output channels it feeds (VLDRB gather by a per-output-channel
 *   offset table), then the c8 loop over output channels.
 */
import type { WindowGeometry } from '../../../model/geometry.js';
import type { DepthwiseConv2DOp } from '../../../model/ir.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import { foldInputZeroPoint } from '../../requant.js';
import type { Layer, OpEmission } from '../../types.js';
import { clampArgs, cType, kernelDType, depthwiseVariants, im2colPlan, quantConv, type DwForm, type QuantConv } from '../quantConv.js';
import { mveFlags, mveRequant, type MveRequant } from './requant.js';

interface DwPlan {
  readonly g: WindowGeometry;
  readonly q: QuantConv;
  readonly rq: MveRequant;
  readonly bcast: boolean;
  /** A multiplier of several input channels (repeated into the row ring). */
  readonly repeat: boolean;
  /** Padded channel count (8 for c8, 4 for dm). */
  readonly cp: number;
}

/** c8 lane order: per 8 channels, the even ones then the odd ones (VMULLB / VMULLT halves); -1 past the channels. */
function laneOrder(oc: number, c8: number): number[] {
  return Array.from({ length: c8 }, (_, i) => {
    const c = (i & ~7) + ((i & 7) < 4 ? 2 * (i & 3) : 2 * (i & 3) + 1);
    return c < oc ? c : -1;
  });
}

function plan(layer: Layer<DepthwiseConv2DOp>, g: WindowGeometry, form: DwForm): DwPlan | null {
  const bcast = form === 'bcast';
  const lanes = bcast ? 4 : 8;
  const q = quantConv(layer.op, layer.ctx, g.outC, lanes, true);
  if (!q) return null;
  const order = bcast ? undefined : laneOrder(g.outC, q.rq.padded).map((c) => (c < 0 ? g.outC - 1 : c));
  return { g, q, rq: mveRequant(q.rq, order), bcast, repeat: form === 'repeat', cp: q.rq.padded };
}

function id(layer: Layer<DepthwiseConv2DOp>, p: DwPlan): KernelId {
  const { g } = p;
  return {
    op: 'dw',
    dtype: kernelDType(p.q.dtype),
    isa: 'mve',
    tile: p.bcast ? '4' : '8',
    flags: { ...mveFlags(p.rq), ...(g.depthMultiplier > 1 ? { dm: g.depthMultiplier } : {}) },
    window: { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: layer.op.padding },
    shape: `${g.inH}x${g.inW}x${g.inC}`,
  };
}

const taps = (g: WindowGeometry, stride: number) => {
  const out = [];
  for (let ky = 0; ky < g.kH; ky++) for (let kx = 0; kx < g.kW; kx++) out.push({ i: ky * g.kW + kx, ky, kx, woff: (ky * g.kW + kx) * stride });
  return out;
};

/**
 * Multiplier 1: the row ring (arena scratch, streaming with rowsCopied) for stride-1 layers of at most this many
 * output rows, the taps in place otherwise. In place needs no scratch but carries a second copy of the tap loop
 * (border pixels through a tap-pointer table): it costs code and, on wide layers of few channels, about 5% more
 * instructions (48x48x8), while the ring's scratch lands on the arena peak in stride-2 layers (their input is the
 * expansion that sets it: +7 KB on mobilenet_v2_0.35_96, +12 KB on v3_small) and in the wide first layers
 * (+1.2 KB on mobilenet_v1_0.25_96). At 24 rows: arena as before on every example model but
 * mobilenet_v1_0.25_96_int8 (+304 B), instructions 0.5-2.5% fewer, person_detect's code within 16 KB.
 */
const RING_MAX_ROWS = 24;

function emit(layer: Layer<DepthwiseConv2DOp>, p: DwPlan): OpEmission {
  const { ctx, op } = layer;
  const { g, q, rq, cp } = p;
  const { kH: kh, kW: kw, outC: oc } = g;
  const ntaps = kh * kw;
  const kernel = formatKernelId(id(layer, p));
  const common = {
    fn: kernel,
    t: cType(q.dtype),
    dtype: q.dtype,
    unsigned: q.dtype === 'uint8',
    padding: op.padding,
    ih: g.inH,
    iw: g.inW,
    oh: g.outH,
    ow: g.outW,
    kh,
    kw,
    sh: g.strideH,
    sw: g.strideW,
    pt: g.padTop,
    pl: g.padLeft,
    rows: Array.from({ length: kh }, (_, i) => i),
    left: rq.left,
    rn: rq.rn,
  };
  const call = (syms: string[], scratch: string[] = []) =>
    `${kernel}(${[ctx.arena(q.x.id, false), ...syms, String(q.rq.xZp), String(q.rq.yZp), ...clampArgs(q.rq), ...scratch, ctx.arena(q.y.id, true)].join(', ')});`;
  const macs = g.outH * g.outW * oc * ntaps;
  if (p.bcast) {
    const w16 = new Int16Array(ntaps * cp);
    for (let tp = 0; tp < ntaps; tp++) for (let c = 0; c < oc; c++) w16[tp * cp + c] = q.wData[tp * oc + c]! - q.wZp;
    const bias = new Int32Array(cp);
    bias.set(q.bias);
    const rqSyms = [ctx.table('mve_m', rq.m), ...(rq.left ? [ctx.table('mve_ls', rq.ls)] : []), ctx.table('mve_rs', rq.rs)];
    return {
      family: 'dwconvdm_mve',
      kernel,
      params: { ...common, oc, oc4: cp, taps: taps(g, cp) },
      call: call([ctx.table('mve_w', w16), ctx.table('mve_b', bias), ...rqSyms]),
      macs,
      streaming: { pixelBlock: 1 },
    };
  }
  const order = laneOrder(oc, cp);
  const folded = foldInputZeroPoint(q.bias, (c, tp) => q.wData[tp * oc + c]! - q.wZp, ntaps, oc, oc, q.rq.xZp);
  // Per 8 channels, one block of constants [bias 8][m 8][left shifts 8, if any][right shifts 8] (lane order)
  // and the weights [tap][8]: every load of a step at a small offset from two pointers.
  const rows = rq.left ? 4 : 3;
  const consts = new Int32Array(cp * rows);
  order.forEach((c, i) => {
    const base = (i >> 3) * 8 * rows + (i & 7);
    consts[base] = c < 0 ? 0 : folded[c]!;
    consts[base + 8] = rq.m[i]!;
    if (rq.left) consts[base + 16] = rq.ls[i]!;
    consts[base + 8 * (rows - 1)] = rq.rs[i]!;
  });
  // The row ring: kh padded rows of pw pixels (+ 16 bytes of slack for the last whole-vector store), in arena
  // scratch (it scales with the width and the channels); a multiplier of several input channels gathers into
  // it. Otherwise the taps read the input in place (no buffer), a border pixel's padding taps the zero point
  // from `zrow`, a constant (see RING_MAX_ROWS for the choice).
  const ring = p.repeat || (g.strideH === 1 && g.strideW === 1 && g.outH <= RING_MAX_ROWS);
  const pw = (g.outW - 1) * g.strideW + kw;
  const rowBytes = pw * oc + 16;
  const im = im2colPlan(g);
  const border = im.oyLo > 0 || im.oyHi < g.outH || im.oxLo > 0 || im.oxHi < g.outW;
  const zrow = q.dtype === 'uint8' ? new Uint8Array(cp).fill(q.rq.xZp) : new Int8Array(cp).fill(q.rq.xZp);
  const wg = new Int16Array(ntaps * cp);
  for (let c = 0; c < oc; c++) for (let tp = 0; tp < ntaps; tp++) wg[((c >> 3) * ntaps + tp) * 8 + (c & 7)] = q.wData[tp * oc + c]! - q.wZp;
  return {
    family: 'dwconv_mve',
    kernel,
    params: {
      ...common,
      c: oc,
      ic: g.inC,
      dm: g.depthMultiplier,
      repeat: p.repeat,
      c8: cp,
      tail: oc % 8 !== 0,
      vs: q.dtype === 'int8' ? 's8' : 'u8',
      ring,
      border: !ring && border,
      im,
      ntaps,
      pw,
      rowBytes,
      crow: 8 * rows,
      ntaps8: 8 * ntaps,
      xstep: g.strideW * oc,
      taps: taps(g, 8).map((tp) => ({ ...tp, xoff: tp.kx * oc, soff: (tp.ky * g.inW + tp.kx) * oc })),
    },
    call: call(
      [
        ctx.table('mve_w', wg),
        ctx.table('mve_q', consts),
        // repeat: per output channel (padded to 8), the input channel it reads (past the channels: the last)
        ...(p.repeat
          ? [
              ctx.table(
                'mve_off',
                Int16Array.from({ length: cp }, (_, c) => Math.floor(Math.min(c, oc - 1) / g.depthMultiplier)),
              ),
            ]
          : []),
        ...(!ring && border ? [ctx.table('mve_zrow', zrow)] : []),
      ],
      ring ? [ctx.scratch(cType(q.dtype), kh * rowBytes)] : [],
    ),
    macs,
    // a ring kernel reads its input only into the ring, an output row's rows before it writes the row
    streaming: { pixelBlock: 1, ...(ring ? { rowsCopied: true } : {}) },
  };
}

export const dwconvVariants = depthwiseVariants<DwPlan>('mve', 'c8', plan, id, emit);
