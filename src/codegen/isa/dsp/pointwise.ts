/**
 * DSP pointwise family (templates/kernels/pointwise_dsp.c.hbs): 1x1
 * convolutions, fully connected layers (a pointwise product over the batch
 * rows) and k x k convolutions through an im2col window, on SMLAD dual
 * 16-bit multiply-accumulates. Weights re-packed as [oc pairs][ic/4][2]
 * words, ic zero-padded to 4 (uint8: padded with the weight zero point).
 *
 * Variants, in preference order:
 * - `dsp/pointwise/px3`: 1x1 / FC, 3 pixels x 2 channels per block, the whole
 *   loop in assembly. Weights of small layers (WIDE_BYTES) stored widened as
 *   int16 w - w_zp (flag `w16`, any dtype and weight zero point); else int8
 *   weights without a zero point as they are, and uint8 weights as int8
 *   w - 128 (flag `w8`) running the int8 loop, the difference
 *   (128 - w_zp) * sum(x - x_zp) added per pixel (proof at `u8Offset`).
 *   When the pixels do not divide by 3, the last block of a layer long enough
 *   for it runs its 1 or 2 pixels' steps alone (`tail`). Tuning switch
 *   `dsp.px3` (default true): false leaves these layers to `px2`.
 * - `dsp/pointwise/px1`: one pixel (a one-row FC, a 1x1 conv on a 1x1 map) of 3+ outputs:
 *   4 output channels per block, weights re-packed as 4-channel words, UXTAB16
 *   minus the weight zero point where there is one (uint8; int8 biased by 128)
 *   else SXTB16: 19 instructions per 16 MACs, the loop in assembly.
 * - `dsp/pointwise/px2`: 1x1 / FC, 2 pixels x 2 channels per block (int8 with
 *   a weight zero point past WIDE_BYTES, two pixels).
 * - `dsp/pointwise/im2col`: any other conv2d over im2col windows: 3 x 2 blocks as
 *   `px3` where that applies (`dsp.px3`; int8 without a weight zero point, or
 *   weights stored widened), else 2 x 2 blocks; interior windows widened straight from the input,
 *   border ones from a padded copy (templates/partials/dsp/im2col_widen.hbs).
 * Every variant reads `dsp.smmlar` (default true; dsp/requant.ts): false
 * forces the exact 64-bit epilogue (flag `x64`). Every requantization
 * table is taken, its epilogue form chosen per channel (dsp/requant.ts):
 * one form for the whole layer when its channels agree, else one branch
 * per channel on the class word of its constants (flag `mix`).
 */
import type { WindowGeometry } from '../../../model/geometry.js';
import { formatKernelId, type KernelId } from '../../kernelId.js';
import type { Layer, OpEmission, SimdVariant } from '../../types.js';
import { cType, flagSwitch, im2colPlan, im2colWords, isPointwise, kernelDType, layerGeometry, paddingOf, quantConv, type QuantConv } from '../quantConv.js';
import { DSP_REQUANT_FN, dspBlockParams, dspRequant, needsRequantAny, type DspRequant } from './requant.js';
import { dspArgs, dspFlags, inputSpan, negPair } from './shared.js';
import { windowParams } from '../../ops/common.js';

interface PwPlan {
  readonly g: WindowGeometry;
  readonly q: QuantConv;
  readonly rq: DspRequant;
  /** A k x k window (im2col), not a 1x1 / FC. */
  readonly conv: boolean;
  readonly px3: boolean;
  /** One pixel, 4 output channels per block. */
  readonly px1: boolean;
  /** Weights stored widened (int16 w - w_zp, doubled when the epilogue is), flag `w16`: the 3x2 block of small layers. */
  readonly wide: boolean;
  /** uint8 weights stored as int8 w - 128 on the 3x2 block, with the per-pixel correction (flag `w8`). */
  readonly w8: boolean;
}

/**
 * The widened weights of a 3x2 layer at most this many bytes (twice its
 * bytes): the loop then reads int16 pairs (17 instructions per 24 MACs, no
 * SXTB16; 20 with byte weights) for a flash cost of one copy of the weights.
 * By shape: the layers of many pixels per weight (early pointwise layers,
 * stems) take it, the 16 KB+ layers of the deep end keep bytes.
 */
const WIDE_BYTES = 8192;

/**
 * The uint8 3x2 block (`w8`): exactness. The reference accumulator of
 * output channel o at pixel p is, in int32,
 *
 *   A = bias_o + sum_i (w_i - wz) (x_i - xz),   w_i, wz, x_i, xz in [0, 255].
 *
 * With w'_i = w_i - 128 in [-128, 127] (stored as int8, SXTB16 in the loop
 * exactly as int8 weights) and d = 128 - wz in [-127, 128]:
 *
 *   (w_i - wz) = w'_i + d, so A = bias_o + sum_i w'_i (x_i - xz) + d * S_p,
 *   S_p = sum_i (x_i - xz) = U_p - K xz,  U_p = sum_i x_i  (USADA8 while widening).
 *
 * The kernel computes, every step wrapping modulo 2^32 (SMLAD's sum and the
 * C int32 additions and products are 32-bit; uint32 arithmetic in C):
 *   bias'_o = s (bias_o - d K xz)  (the table),  c_p = s d U_p,
 *   acc = bias'_o + c_p + sum_i w'_i * s (x_i - xz)  (the SMLADs),
 * with s = 2 on a doubled kernel (input widened doubled, bias doubled), else 1.
 * Every product fits its lanes: x_i - xz in [-255, 255] (doubled [-510, 510])
 * is an int16 lane, w'_i an int16 lane after SXTB16, each product below 2^17
 * in magnitude; U_p <= 255 * 512 < 2^17, |s d U_p| < 2^25, |s d K xz| < 2^26.
 * So acc = s A (mod 2^32): the same residue as the 2x2 block's accumulator.
 * The epilogue forms read it as int32: the doubled forms are taken only when
 * the bound B of |A| (from the weights, the bias and the input range, not
 * from this decomposition) gives 2B < 2^31, so acc = 2A exactly; the 64-bit
 * forms take A modulo 2^32 as the reference's int32 accumulator holds it.
 * Padded input channels (K up to a multiple of 4) have w' = 0 (their widened
 * x - xz times 0) and read x = 0 (tail bytes are zero: nothing in U_p); the
 * padded output channel of an odd count is never stored.
 */
export function u8Offset(wZp: number): number {
  return 128 - wZp;
}

type Shape = 'px3' | 'px1' | 'px2' | 'im2col';

/** The plan of a layer for a variant of the given block shape, or null. */
function plan(layer: Layer, shape: Shape): PwPlan | null {
  const { op, ctx } = layer;
  const g = layerGeometry(layer);
  if (!g) return null;
  const conv = !isPointwise(g);
  if (conv !== (shape === 'im2col')) return null;
  // One pixel of at least 3 output channels (2 or fewer: the 2x2 block wastes no more, at 15 instructions a step).
  if (shape === 'px1' && (g.outH * g.outW !== 1 || g.outC < 3)) return null;
  const q = quantConv(op, ctx, g.outC, shape === 'px1' ? 4 : 2, true);
  if (!q) return null;
  const K = g.kH * g.kW * g.inC;
  // Up to 512 input channels: the widened block (6 bytes per channel) and the loop's end pointer must stay
  // within an immediate offset of sp (the assembly has no register left for a base); and not for one pixel (FC).
  // Weights: widened when small (WIDE_BYTES; w - wZp as int16, any dtype and zero point), else bytes: int8
  // without a zero point as they are, uint8 1x1 / FC as w - 128 with the per-pixel correction (w8, see
  // u8Offset); the others (int8 with a zero point, large uint8 im2col convs) take the 2x2 block's unsigned widening.
  const ic4 = Math.ceil(K / 4) * 4;
  const wideFits = Math.ceil(g.outC / 2) * 2 * ic4 * 2 <= WIDE_BYTES;
  const w8 = q.dtype === 'uint8' && !conv;
  const px3 = (wideFits || (q.dtype === 'int8' && q.wZp === 0) || w8) && flagSwitch(ctx, 'dsp.px3', true) && ic4 <= 512 && g.outH * g.outW >= 3;
  if (shape === 'px3' && !px3) return null;
  const span = inputSpan(q);
  const rq = dspRequant(q.rq, flagSwitch(ctx, 'dsp.smmlar', true), (o) => {
    let s = Math.abs(q.bias[o]!);
    for (let i = 0; i < K; i++) s += Math.abs(q.wData[o * K + i]! - q.wZp) * span;
    return s;
  });
  const isPx3 = shape === 'px3' || (shape === 'im2col' && px3);
  const wide = isPx3 && wideFits;
  return { g, q, rq, conv, px3: isPx3, px1: shape === 'px1', wide, w8: isPx3 && w8 && !wide };
}

function id(layer: Layer, p: PwPlan): KernelId {
  const { g, q } = p;
  const op = layer.op.kind === 'fully_connected' ? 'fc' : p.conv ? 'conv' : 'pw';
  return {
    op,
    dtype: kernelDType(q.dtype),
    isa: 'dsp',
    tile: p.px3 ? '3x2' : p.px1 ? '1x4' : '2x2',
    flags: {
      ...dspFlags(q.rq, p.rq),
      ...(q.dtype === 'int8' && q.wZp !== 0 ? { wzp: true as const } : {}),
      ...(p.wide ? { w16: true as const } : {}),
      ...(p.w8 ? { w8: true as const } : {}),
    },
    window: p.conv ? { kH: g.kH, kW: g.kW, sH: g.strideH, sW: g.strideW, padding: paddingOf(layer.op) } : undefined,
    shape: `${g.inH}x${g.inW}x${g.inC}_${g.outC}`,
  };
}

/** The most bytes of working buffer a pointwise kernel keeps on the stack; more go to arena scratch. */
const XQ_STACK_BYTES = 256;

function emit(layer: Layer, p: PwPlan): OpEmission {
  const { ctx, op } = layer;
  const { g, q, conv, px3, px1, w8, wide } = p;
  const { dbl } = p.rq;
  const s = dbl ? 2 : 1;
  const ic = g.kH * g.kW * g.inC;
  const oc = g.outC;
  const npix = g.outH * g.outW;
  const ic4 = Math.ceil(ic / 4) * 4;
  // channels padded to the block's: pairs, or quads on the one-pixel block
  const oc2 = Math.ceil(oc / (px1 ? 4 : 2)) * (px1 ? 4 : 2);
  // Weights with a zero point are stored unsigned and widened with it subtracted (UXTAB16): uint8 as they
  // are, int8 biased by 128 (w + 128 with zero point wZp + 128, the same w - wZp). On the uint8 3x2 block
  // (w8) they are stored as int8 w - 128 (the byte w ^ 0x80), padded with 0, and no zero point is subtracted.
  const wUnsigned = !w8 && !wide && (q.dtype === 'uint8' || q.wZp !== 0);
  const bias8 = q.dtype === 'int8' && wUnsigned ? 128 : w8 ? -128 : 0;
  const wZpStored = q.wZp + bias8;
  // A layer on the 3x2 block whose weights are small (WIDE_BYTES) keeps them widened: int16 pairs w - wZp
  // (doubled when dbl, the input then not), no SXTB16 in the loop. |w - wZp| <= 255 (uint8), 128 (int8).
  const packed = new Uint8Array(oc2 * ic4).fill(wUnsigned ? wZpStored : 0);
  const widened = new Int16Array(wide ? oc2 * ic4 : 0);
  for (let o = 0; o < oc; o++) {
    for (let i = 0; i < ic; i++) {
      // word k of channel pair j: [oc 2j: ic 4k..4k+3][oc 2j+1: same]; px1: of channel quad j, 4 such words
      const at = px1 ? ((o >> 2) * (ic4 / 4) + (i >> 2)) * 16 + (o & 3) * 4 + (i & 3) : ((o >> 1) * (ic4 / 4) + (i >> 2)) * 8 + (o & 1) * 4 + (i & 3);
      packed[at] = (q.wData[o * ic + i]! + bias8) & 0xff;
      // widened: per channel pair and 4 inputs, [oc 2j: i, i+2][oc 2j: i+1, i+3][oc 2j+1: same] (SXTB16's order)
      if (wide) widened[((o >> 1) * (ic4 / 4) + (i >> 2)) * 8 + (o & 1) * 4 + (i & 1) * 2 + ((i >> 1) & 1)] = (q.wData[o * ic + i]! - q.wZp) * s;
    }
  }
  const bias = new Int32Array(oc2);
  // w8: the bias holds s (b - d K xz) (u8Offset; |d K xz| < 2^26, the sum wraps as the accumulator does)
  const d = w8 ? u8Offset(q.wZp) : 0;
  for (let o = 0; o < oc; o++) bias[o] = s * (q.bias[o]! - d * ic * q.rq.xZp);
  const wSym = ctx.table('dsp_w', new Int32Array(wide ? widened.buffer : packed.buffer));
  const bSym = ctx.table('dsp_b', bias);
  const rqSym = ctx.table('dsp_rq', p.rq.consts);
  // The 3x2 loop unrolled by 2 steps, by 4 for the layers of 500K MACs or more, where the loop test
  // (MACs / 32 instructions saved) pays for the ~160 bytes of code (4 everywhere costs ~1.5 KB).
  const steps4 = ic4 / 4;
  // A window of up to 8 steps (a stem, a narrow pointwise layer) is unrolled whole: the loop runs once.
  const unroll3 = steps4 <= 8 ? steps4 : steps4 % 4 === 0 && npix * ic * oc >= 500_000 ? 4 : steps4 % 2 === 0 ? 2 : 1;
  // The 3x2 block's last block, when the pixels do not divide by 3, runs only its npix % 3 pixels' steps
  // where that pays: it saves steps x 10 instructions (of 20 or 17 per step; 5 with two pixels) per channel
  // pair once, for a test (and register moves, ~10 instructions measured) in every block's channel pairs.
  const rest = npix % 3;
  const tail = px3 && rest !== 0 && steps4 * (rest === 1 ? 10 : 5) > 10 * Math.ceil(npix / 3) ? rest : 0;
  // The one-pixel loop unrolled by 4 steps (2, 1 when the steps do not divide).
  const unroll1 = steps4 % 4 === 0 ? 4 : steps4 % 2 === 0 ? 2 : 1;
  const kernel = formatKernelId(id(layer, p));
  const zps = [negPair(q.rq.xZp), ...(conv ? [String(q.rq.xZp)] : []), ...(wUnsigned ? [negPair(wZpStored)] : []), ...(w8 ? [String(s * d)] : [])];
  // The widened block (and an im2col layer's border patch) in arena scratch when it passes XQ_STACK_BYTES, else on
  // the stack: the kernel's frame stays small whatever the channels.
  const xqw = px1 ? ic4 / 2 : px3 ? (ic4 / 4) * 6 : ic4;
  const xqBytes = 4 * xqw + (conv ? ic4 : 0);
  const xqArg = xqBytes > XQ_STACK_BYTES;
  const args = [
    ctx.arena(q.x.id, false),
    wSym,
    bSym,
    rqSym,
    ...zps,
    ...dspArgs(q),
    ctx.arena(q.y.id, true),
    ...(xqArg ? [ctx.scratch('int32_t', xqBytes)] : []),
  ];
  return {
    family: 'pointwise_dsp',
    kernel,
    params: {
      fn: kernel,
      t: cType(q.dtype),
      dtype: q.dtype,
      sat: q.rq.saturating,
      conv,
      cin: g.inC,
      ...windowParams(g),
      padding: paddingOf(op),
      im: conv ? im2colPlan(g) : undefined,
      // interior windows are widened straight from the input (the input doubled unless the weights are)
      words: conv ? im2colWords(g, ic4 / 4) : undefined,
      xdbl: !wide && dbl,
      npix,
      ic,
      oc,
      ic4,
      oc2,
      dbl: dbl ? 1 : 0,
      anyRq: needsRequantAny(p.rq.form),
      rqfn: DSP_REQUANT_FN[p.rq.form],
      ...dspBlockParams(p.rq.form),
      steps: steps4 % 2 === 0 ? ic4 / 8 : steps4,
      unroll: steps4 % 2 === 0 ? 2 : 1,
      wUnsigned,
      w8,
      unsigned: q.dtype === 'uint8',
      px3,
      tail,
      px1,
      steps1: ic4 / 4 / unroll1,
      unroll1,
      wide,
      unroll3,
      xqArg,
      xqw,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * ic * oc,
    // Each pixel block's windows are read whole (widened) before any of its outputs is written.
    streaming: { pixelBlock: px3 ? 3 : px1 ? 1 : 2 },
  };
}

const variant = (shape: Shape): SimdVariant<PwPlan> => ({
  key: `dsp/pointwise/${shape}`,
  isa: 'dsp',
  ops: shape === 'im2col' ? ['conv2d'] : ['conv2d', 'fully_connected'],
  applies: (layer) => plan(layer, shape),
  id,
  emit,
});

export const pointwiseVariants: readonly SimdVariant<PwPlan>[] = [variant('px3'), variant('px1'), variant('px2'), variant('im2col')];
