/**
 * int8 pointwise 1×1 convolution and fully connected on 32-bit ARM NEON
 * (rpi-armv7): `pw_int8_s8_packed_neon32_2x16`, in C intrinsics
 * (templates/kernels/pw_packed_s8_neon32.c.hbs).
 *
 * The same packed layout as the aarch64 tile (packedS8.ts): a
 * 4-input-channel step of a pixel is (k0 k1)×4 | (k2 k3)×4 in a d-register
 * pair, weights per 4 output channels (c0k0 c0k1 … c3k0 c3k1 | the same for
 * k2, k3), so VMULL.S8 + VMLAL.S8 + VPADAL.S16 leave one int32 lane per
 * output channel: 3 instructions per 16 MACs, no horizontal sums.
 *  - weights: packS8Weights, each 32 bytes byte-interleaved at compile time
 *    (vld4Order) so one post-incremented VLD4.8 brings two channel groups;
 *  - pixels: a block of 2 rows is packed once into arena scratch as
 *    [K/4][2][4] (VZIP.32 of the rows, 8 bytes per step); one VLD4.16 to all
 *    lanes then yields the step of both pixels as 4 d registers. A single
 *    row is already 2 steps per 8 bytes and is read in place.
 * Tile: 2 pixels × 16 channels (8 q accumulators, 2 q of weights, 2 of
 * pixels, one product), per step 3 loads and 24 multiply/accumulate
 * instructions: 110 instructions per 4 steps (512 MACs) with the loop,
 * checked in the -O3 assembly (no spills). A last odd pixel (and a fully
 * connected layer's single row) runs the 1-pixel tile on the same weights.
 * Any K: steps of 4 input channels, the last one zero-padded; any cout: the
 * last 16-channel tile zero-padded and stored through a local buffer.
 * Requantization: mobilec_neon_mbqm (bit-exact), zero point and clamps in
 * int16 / int8 (equal to the int32 order, see the template).
 */
import type { Conv2DOp, FullyConnectedOp } from '../../../model/ir.js';
import type { EmitContext, OpEmission } from '../../types.js';
import { zeroPoint } from '../../ops/common.js';
import { clampTag, packS8Weights, tileRequant } from './packedS8.js';
import { foldInputZeroPoint, ceil, common } from './shared.js';

export const S8V7_PIXELS = 2;
export const S8V7_CHANNELS = 16;

/**
 * Each 32 bytes as VLD4.8 wants them for four consecutive d registers of 8
 * bytes: memory byte 4i + j holds byte 8j + i.
 */
export function vld4Order(a: Int8Array): Int8Array {
  const out = new Int8Array(a.length);
  for (let c = 0; c < a.length; c += 32) for (let i = 0; i < 8; i++) for (let j = 0; j < 4; j++) out[c + 4 * i + j] = a[c + 8 * j + i]!;
  return out;
}

interface GemmShape {
  readonly K: number;
  readonly cout: number;
  readonly npix: number;
  readonly family: 'pw' | 'fc';
  readonly shape: string;
}

/** int8 pointwise / FC on armv7 with packed 2-pixel blocks: int8 weights without -128, any K and cout. */
export function selectPackedS8v7(op: Conv2DOp | FullyConnectedOp, ctx: EmitContext, gs: GemmShape, W: (oc: number, k: number) => number, bias: Float64Array): OpEmission {
  const { K, cout, npix } = gs;
  const xT = ctx.tensor(op.inputs[0]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const xZp = zeroPoint(xT);
  // Input channels padded to whole steps and output channels to whole tiles, with zero weights.
  const Kp = ceil(K, 4);
  const coutPad = ceil(cout, S8V7_CHANNELS);
  const b = foldInputZeroPoint(bias, W, K, cout, coutPad, xZp);
  // Only the int8 clamps the activation range needs (part of the name: kernels dedupe by name).
  const { q, clamp } = tileRequant(op, ctx, yT, cout, coutPad);
  const kernel = `mobilec_${gs.family}_int8_s8_packed_neon32_${S8V7_PIXELS}x${S8V7_CHANNELS}${q.hasLsh ? '_lsh' : ''}${clampTag(clamp)}_${gs.shape}`;
  const full = npix >= S8V7_PIXELS;
  const args = [
    ctx.arena(xT.id, false),
    ctx.table('nw', vld4Order(packS8Weights((oc, k) => (oc < cout && k < K ? W(oc, k) : 0), Kp, coutPad))),
    ctx.table('nbias', b),
    ...q.args,
    // Packed 2-pixel blocks ([K/4][2][4], written 16 bytes per 8 channels), or the last row zero-padded to 8 bytes.
    full ? ctx.scratch('int8_t', 2 * ceil(K, 8)) : K % 8 ? ctx.scratch('int8_t', ceil(K, 8)) : '(int8_t *)0',
    ctx.arena(yT.id, true),
  ];
  return {
    family: 'pw_packed_s8_neon32',
    kernel,
    params: {
      common: common(),
      fn: kernel,
      family: gs.family === 'pw' ? 'pointwise 1x1' : 'fully connected',
      npix,
      k: K,
      steps: Kp / 4,
      kTail: K % 8,
      kPad8: ceil(K, 8),
      cout,
      nb: Math.floor(cout / S8V7_CHANNELS),
      tailC: cout % S8V7_CHANNELS,
      c0Tail: cout - (cout % S8V7_CHANNELS),
      blockW: S8V7_CHANNELS * Kp,
      hasLsh: q.hasLsh ? 1 : 0,
      clampMin: clamp.min ? 1 : 0,
      clampMax: clamp.max ? 1 : 0,
      full,
      tail: npix % S8V7_PIXELS !== 0,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: npix * cout * K,
    // Each block of 2 pixels (or the last one) is read (packed) in full before any of its outputs is written;
    // the planner keeps a block's outputs clear of its own input rows, which every channel tile reads.
    ...(gs.family === 'pw' ? { streaming: { pixelBlock: S8V7_PIXELS } } : {}),
  };
}
