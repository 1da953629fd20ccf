/**
 * int8 pointwise 1×1 convolution and fully connected on 32-bit ARM NEON
 * (rpi-armv7): variant `neon32/gemm/s8-packed` (`mobilec_pw_s8_neon32_t2x16_...`), in C intrinsics
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
import { formatKernelId } from '../../../kernelId.js';
import type { SimdVariant } from '../../../types.js';
import { packS8Weights } from './packedS8.js';
import { ceil, requantArgs, requantFlags, requantForms } from '../shared.js';
import { offsetTiles, packedS8Operands, packedS8Plan, u8Flags, type U8AsS8 } from './u8.js';
import { channelTiles, GEMM_OPS, gemmEmission, gemmId, gemmPlan, type GemmLayer, type GemmOp, type GemmPlan } from './shape.js';
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

interface PackedV7Plan extends GemmPlan {
  /** uint8 layers: the int8 form (u8.ts), input channels in their natural pairs (the packing cannot permute). */
  readonly u8: U8AsS8 | null;
}

// Every requantization form runs the same intrinsics (mobilec_neon_mbqm): `rn` is not part of the name.
const id = (l: GemmLayer, p: PackedV7Plan) => {
  const { ls, clamp } = requantForms(l.op, l.ctx, p.cout);
  return gemmId(p, 'neon32', `${S8V7_PIXELS}x${S8V7_CHANNELS}`, {
    ...requantFlags({ ls, rn: false, clamp }),
    ...u8Flags(p.u8),
  });
};

/**
 * The packed armv7 kernel for int8 layers (`neon32/gemm/s8-packed`) or uint8 ones through u8.ts
 * (`neon32/gemm/u8-packed`, `mobilec_pw_u8_neon32_t2x16_[wzp_]w8_...`): every pixel row is packed
 * (XOR 0x80, the last one too) and, with `wzp`, summed; the tile adds d_c·S_p before requantizing
 * and narrows to uint8.
 */
function packedV7Variant(u8: boolean): SimdVariant<PackedV7Plan, GemmOp> {
  return {
    key: u8 ? 'neon32/gemm/u8-packed' : 'neon32/gemm/s8-packed',
    isa: 'neon32',
    ops: GEMM_OPS,
    applies(l) {
      const p = gemmPlan(l, false);
      if (!p || p.aarch64) return null;
      return packedS8Plan(p, u8, ceil(p.cout, S8V7_CHANNELS), 'natural');
    },
    id,
    emit(l, p) {
      const { ctx, op } = l;
      const { K, cout, npix } = p;
      // Input channels padded to whole steps and output channels to whole tiles, with zero weights.
      const Kp = ceil(K, 4);
      const coutPad = ceil(cout, S8V7_CHANNELS);
      const { W, bias: b } = packedS8Operands(p, coutPad);
      // Only the int8 clamps the activation range needs (part of the name: kernels dedupe by name).
      const q = requantArgs(op, ctx, cout, S8V7_CHANNELS);
      const kernel = formatKernelId(id(l, p));
      const full = npix >= S8V7_PIXELS;
      const wzp = p.u8?.anyD ?? false;
      const args = [
        ctx.arena(p.xT.id, false),
        ctx.table('nw', vld4Order(packS8Weights((oc, k) => (oc < cout && k < K ? W(oc, k) : 0), Kp, coutPad))),
        ctx.table('nbias', b),
        ...(wzp ? [ctx.table('nd', p.u8!.d), ctx.table('ndm', offsetTiles(p.u8!.d, S8V7_CHANNELS))] : []),
        ...q.args,
        // Packed 2-pixel blocks ([K/4][2][4], written 16 bytes per 8 channels), or the last row zero-padded to
        // 8 bytes (uint8: every last row, XOR 0x80).
        full ? ctx.scratch('int8_t', 2 * ceil(K, 8)) : K % 8 || u8 ? ctx.scratch('int8_t', ceil(K, 8)) : '(int8_t *)0',
        ctx.arena(p.yT.id, true),
      ];
      const params = {
        steps: Kp / 4,
        kTail: K % 8,
        kPad8: ceil(K, 8),
        ...channelTiles(cout, S8V7_CHANNELS),
        blockW: S8V7_CHANNELS * Kp,
        hasLsh: q.ls ? 1 : 0,
        clampMin: q.clamp.min ? 1 : 0,
        clampMax: q.clamp.max ? 1 : 0,
        full,
        tail: npix % S8V7_PIXELS !== 0,
        u8,
        wzp,
        t: u8 ? 'uint8_t' : 'int8_t',
      };
      // Each block of 2 pixels (or the last one) is read (packed) in full before any of its outputs is written;
      // the planner keeps a block's outputs clear of its own input rows, which every channel tile reads.
      return gemmEmission(p, 'pw_packed_s8_neon32', kernel, params, args, S8V7_PIXELS);
    },
  };
}

/** int8 pointwise / FC on armv7 with packed 2-pixel blocks: int8 weights without -128, any K and cout. */
export const packedS8v7Variant = packedV7Variant(false);
/** uint8 (one weight zero point) likewise, as int8 (u8.ts): no −128 pair in the natural order. */
export const packedU8v7Variant = packedV7Variant(true);
