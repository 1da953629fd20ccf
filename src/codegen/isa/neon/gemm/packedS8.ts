/**
 * int8 pointwise 1×1 convolution on aarch64 without dot product (rpi4):
 * variant `neon/gemm/s8-packed` (`mobilec_pw_s8_neon_t4x16_...`).
 *
 * The multiply is SMULL + SMLAL2 (two int8 products per int16 lane: safe
 * because |w| ≤ 127 and |x| ≤ 128) and SADALP into int32: 3 instructions
 * per 16 MACs. The point of the layout is that the SADALP lanes come out as
 * output channels, so no horizontal sums are needed at the end:
 *  - each 4-input-channel step of a pixel is packed (TBL, into arena scratch,
 *    once per block of 4 pixels) as (k0 k1)×4 | (k2 k3)×4;
 *  - weights are packed at compile time per 4 output channels as
 *    (c0k0 c0k1 c1k0 c1k1 c2k0 c2k1 c3k0 c3k1 | the same for k2, k3);
 *  - SMULL gives lane (c, j) = x[kj]·w[c][kj], SMLAL2 adds the k2/k3 half,
 *    SADALP adds lane pairs: one int32 per output channel.
 * Tile: 4 pixels × 16 channels (v16–v31), per step 2 LD1 (x4 registers) and
 * 48 multiply/accumulate instructions — 50 per 256 MACs.
 * uint8 layers run the same tile on their int8 form (u8.ts): `neon/gemm/u8-packed`.
 */
import { formatKernelId } from '../../../kernelId.js';
import type { SimdVariant } from '../../../types.js';
import { ceil, requantArgs, requantFlags, requantForms } from '../shared.js';
import { offsetTiles, packedS8Operands, packedS8Plan, u8Flags, type U8AsS8 } from './u8.js';
import { channelTiles, GEMM_OPS, gemmEmission, gemmId, gemmPlan, type GemmLayer, type GemmOp, type GemmPlan } from './shape.js';

export const S8_PACKED_PIXELS = 4;
export const S8_PACKED_CHANNELS = 16;

/** Byte i of a packed 4-input-channel step: which of k0..k3 it holds. */
const stepLane = (i: number) => (i < 8 ? i & 1 : 2 + (i & 1));

/** Weights `w[oc][k]` in the read order: [cout/16][K/4][4 groups][16 bytes]. */
export function packS8Weights(w: (oc: number, k: number) => number, K: number, cout: number): Int8Array {
  const out = new Int8Array(cout * K);
  let i = 0;
  for (let b = 0; b < cout; b += 16)
    for (let s = 0; s < K; s += 4) for (let c = 0; c < 4; c++) for (let j = 0; j < 16; j++) out[i++] = w(b + 4 * c + ((j & 7) >> 1), s + stepLane(j));
  return out;
}

/** TBL indices that turn 16 input channels into the 4 packed steps (one 16-byte vector each); `perm`: position i reads channel perm[i]. */
export function packS8Indices(perm: readonly number[] | null = null): Int8Array {
  const idx = new Int8Array(64);
  for (let s = 0; s < 4; s++) for (let j = 0; j < 16; j++) idx[16 * s + j] = perm ? perm[4 * s + stepLane(j)]! : 4 * s + stepLane(j);
  return idx;
}

/** Steps of 4 input channels per loop iteration (K % 16 == 0, so the steps are a multiple of 4). */
const unrollFor = (steps: number) => (steps <= 8 ? steps : steps % 16 === 0 ? 16 : steps % 8 === 0 ? 8 : 4);

interface PackedPlan extends GemmPlan {
  /** uint8 layers: the int8 form (u8.ts). */
  readonly u8: U8AsS8 | null;
}

const id = (l: GemmLayer, p: PackedPlan) =>
  gemmId(p, 'neon', `${S8_PACKED_PIXELS}x${S8_PACKED_CHANNELS}`, {
    ...requantFlags(requantForms(l.op, l.ctx, p.cout)),
    ...u8Flags(p.u8),
  });

/**
 * The packed kernel for int8 layers (`neon/gemm/s8-packed`) or for uint8 layers through u8.ts
 * (`neon/gemm/u8-packed`, `mobilec_pw_u8_neon_t4x16_rn_[wzp_]w8_...`): the pixel packing XORs 0x80
 * into every input and, with `wzp`, sums each pixel (S_p); the tile then adds d_c·S_p before the
 * epilogue, which narrows to uint8.
 */
function packedVariant(u8: boolean): SimdVariant<PackedPlan, GemmOp> {
  return {
    key: u8 ? 'neon/gemm/u8-packed' : 'neon/gemm/s8-packed',
    isa: 'neon',
    ops: GEMM_OPS,
    applies(l) {
      const p = gemmPlan(l, false);
      if (!p?.aarch64 || p.K % 16 !== 0) return null;
      return packedS8Plan(p, u8, ceil(p.cout, S8_PACKED_CHANNELS), 'permute16');
    },
    id,
    emit(l, p) {
      const { ctx, op } = l;
      const { K, cout, npix } = p;
      // Channels padded to a whole tile: zero weights, and the last tile stores through a local buffer.
      const coutPad = ceil(cout, S8_PACKED_CHANNELS);
      const { W, bias: b } = packedS8Operands(p, coutPad);
      const q = requantArgs(op, ctx, cout, S8_PACKED_CHANNELS);
      const kernel = formatKernelId(id(l, p));
      const full = npix >= S8_PACKED_PIXELS;
      const tail = npix % S8_PACKED_PIXELS !== 0;
      const wzp = p.u8?.anyD ?? false;
      const args = [
        ctx.arena(p.xT.id, false),
        ctx.table(
          'nw',
          packS8Weights((oc, k) => (oc < cout ? W(oc, k) : 0), K, coutPad),
        ),
        ctx.table('nbias', b),
        ctx.table('nidx', packS8Indices(p.u8?.perm ?? null)),
        ...(wzp ? [ctx.table('nd', p.u8!.d), ctx.table('ndm', offsetTiles(p.u8!.d, S8_PACKED_CHANNELS))] : []),
        ...q.args,
        ctx.scratch('int8_t', (full ? S8_PACKED_PIXELS : 1) * K * 4),
        ctx.arena(p.yT.id, true),
      ];
      const params = {
        ...channelTiles(cout, S8_PACKED_CHANNELS),
        blockW: S8_PACKED_CHANNELS * K,
        // the tiles (templates/partials/neon/gemm/s8_packed_tile.hbs, q16_epilogue.hbs)
        unroll: unrollFor(K / 4),
        ls: q.ls,
        rn: q.rn,
        cmin: q.clamp.min,
        cmax: q.clamp.max,
        tile4: `${kernel}_tile4`,
        tile1: `${kernel}_tile1`,
        tile4d: `${kernel}_tile4d`,
        tile1d: `${kernel}_tile1d`,
        full,
        tail,
        // uint8: the input XOR 0x80 in the packing, uint8 narrowing; wzp: pixel sums and d_c·S_p
        u8,
        wzp,
        t: u8 ? 'uint8_t' : 'int8_t',
        dt: u8 ? 'u8' : 's8',
      };
      // Each block of 4 pixels (or one) is read (packed) in full before any of its outputs is written.
      return gemmEmission(p, 'pw_packed_s8_neon', kernel, params, args, S8_PACKED_PIXELS);
    },
  };
}

/** int8 pointwise / FC on rpi4 with packed 4-pixel blocks: aarch64 without dot product, K % 16 == 0. */
export const packedS8Variant = packedVariant(false);
/** uint8 (one weight zero point) likewise, as int8 (u8.ts): K % 16 == 0, no −128 pair a permutation cannot avoid. */
export const packedU8Variant = packedVariant(true);
