/**
 * The register-blocked GEMM tiles of pointwise 1×1 convolution and fully
 * connected (family pw_neon): P pixels × 4·VB channels in C intrinsics, with
 * an aarch64 assembly tile for whole 4-pixel blocks where it pays. Four
 * multiply modes, one variant each (and per ISA tag): float32; int16-widened
 * weights (any 8-bit weights, uint8 activations); int8 SMULL pairs; SDOT —
 * and SDOT on uint8 layers through their int8 form (u8.ts, `neondot/gemm/u8-sdot`).
 */
import type { KernelId, KernelIsa } from '../../../kernelId.js';
import { formatKernelId } from '../../../kernelId.js';
import type { SimdVariant } from '../../../types.js';
import { cType, floatActRange, zeroPoint } from '../../../ops/common.js';
import { foldInputZeroPoint, requantArgs, requantForms, requantFlags, ceil, neonIsa } from '../shared.js';
import { u8AsS8, u8Flags, type U8AsS8 } from './u8.js';
import { GEMM_OPS, gemmEmission, gemmId, gemmPlan, type GemmLayer, type GemmMode, type GemmOp, type GemmPlan } from './shape.js';

/** Pixels per chunk of the pointwise loop (a multiple of the tile height 4 and 2). */
const PW_CHUNK = 32;

interface TilePlan extends GemmPlan {
  readonly P: number;
  readonly VB: number;
  /** uint8 on the SDOT tile: the layer's int8 form (u8.ts; W is its w'). */
  readonly u8: U8AsS8 | null;
}

/** Weights re-packed in the tile's read order: per channel block, per input channel (or SDOT group, or 16-input chunk). */
function pack(p: TilePlan, NB: number, VT: number, Kp: number): number[] {
  const { K, cout, mode, W } = p;
  const w = (oc: number, k: number) => (oc < cout && k < K ? W(oc, k) : 0);
  const blocks: [number, number][] = [];
  for (let b = 0; b < NB; b++) blocks.push([b * 4 * p.VB, p.VB]);
  if (VT) blocks.push([NB * 4 * p.VB, VT]);
  const packed: number[] = [];
  for (const [oc0, vq] of blocks) {
    if (mode === 'f32' || mode === 's16') {
      for (let k = 0; k < K; k++) for (let j = 0; j < 4 * vq; j++) packed.push(w(oc0 + j, k));
    } else if (mode === 'sdot') {
      for (let grp = 0; grp < Kp / 4; grp++)
        for (let i = 0; i < vq; i++) for (let l = 0; l < 4; l++) for (let t = 0; t < 4; t++) packed.push(w(oc0 + 4 * i + l, 4 * grp + t));
    } else {
      for (let c = 0; c < Kp / 16; c++) for (let l = 0; l < 4; l++) for (let t = 0; t < 16; t++) packed.push(w(oc0 + l, 16 * c + t));
    }
  }
  return packed;
}

/**
 * `u8`: uint8 layers (one weight zero point) on the SDOT tile through u8.ts (`neondot/gemm/u8-sdot`,
 * `mobilec_pw_u8_neondot_t4x4_rn_[wzp_]w8_...`): rpi5 layers UDOT does not take (K % 16 != 0). Each loaded
 * 16 inputs are XORed with 0x80 (the K % 16 tail padded with 0x80, so 0 after it); with `wzp` one more SDOT
 * per 16 inputs against ones sums x' per pixel (S_p, exact in int32) and d_c·S_p is added per register
 * before the epilogue. SDOT sums four int8 products in int32: no pair constraint (u8.ts `exact`).
 */
function tileVariant(isa: KernelIsa, mode: GemmMode, u8 = false): SimdVariant<TilePlan, GemmOp> {
  const dot = isa === 'neondot';
  // The requantization forms (and, for SDOT, the clamps kept) are part of the name: kernels dedupe by name.
  const id = (l: GemmLayer, p: TilePlan): KernelId => {
    const q = p.quant ? requantForms(l.op, l.ctx, p.cout) : null;
    const flags = {
      ...(q ? requantFlags({ ls: q.ls, rn: q.rn, clamp: mode === 'sdot' ? q.clamp : undefined }) : {}),
      ...(mode === 's16' ? { w16: true as const } : mode === 's8' ? { w8: true as const } : {}),
      ...u8Flags(p.u8),
    };
    return gemmId(p, isa, `${p.P}x${p.VB}`, flags);
  };
  return {
    key: u8 ? `${isa}/gemm/u8-${mode}` : `${isa}/gemm/${mode}`,
    isa,
    ops: GEMM_OPS,
    applies(l) {
      const p = gemmPlan(l, dot);
      if (!p || neonIsa(l.ctx, dot && mode === 'sdot') !== isa) return null;
      const P = p.aarch64 ? 4 : 2;
      const VB = mode === 's8' ? 1 : p.aarch64 ? 4 : mode === 'f32' ? 4 : 2;
      if (u8) {
        const t = p.dtype === 'uint8' && p.aarch64 ? u8AsS8(p, 4 * Math.ceil(p.cout / 4), 'exact') : null;
        return t ? { ...p, mode, W: t.W, P, VB, u8: t } : null;
      }
      return p.mode === mode ? { ...p, P, VB, u8: null } : null;
    },
    id,
    emit(l, p) {
      const { ctx, op } = l;
      const { K, cout, npix, P, VB, dtype, quant } = p;
      const Q = Math.ceil(cout / 4);
      const NB = Math.floor(Math.floor(cout / 4) / VB);
      const VT = Q - NB * VB;
      const Kp = mode === 's8' || mode === 'sdot' ? ceil(K, 16) : K;
      const packed = pack(p, NB, VT, Kp);
      const padded = 4 * Q;
      const biasSym = p.u8
        ? ctx.table('nbias', p.u8.bias)
        : quant
          ? ctx.table('nbias', foldInputZeroPoint(p.bv, p.W, K, cout, padded, zeroPoint(p.xT)))
          : ctx.table(
              'nbias',
              Float32Array.from({ length: padded }, (_, i) => (i < cout ? p.bv[i]! : 0)),
            );
      const wSym =
        mode === 'f32'
          ? ctx.table('nw', Float32Array.from(packed))
          : mode === 's16'
            ? ctx.table('nw', Int16Array.from(packed))
            : ctx.table('nw', Int8Array.from(packed));
      const wzp = p.u8?.anyD ?? false;
      const args = [ctx.arena(p.xT.id, false), wSym, biasSym, ...(wzp ? [ctx.table('nd', p.u8!.d)] : [])];
      const q = quant ? requantArgs(op, ctx, cout, 4) : null;
      args.push(...(q ? q.args : floatActRange(op.activation)));
      args.push(ctx.arena(p.yT.id, true));
      const kernel = formatKernelId(id(l, p));
      const blockW = mode === 'f32' || mode === 's16' ? K * 4 * VB : mode === 'sdot' ? Kp * 4 * VB : Kp * 4;
      // Full 4-pixel tiles of full channel blocks run an assembly tile on aarch64
      // (templates/partials/neon/gemm/<mode>_asm.hbs).
      const asm =
        !p.u8 &&
        p.aarch64 &&
        P === 4 &&
        NB > 0 &&
        npix >= 4 &&
        ((mode === 'f32' && VB === 4 && K % 8 === 0) || (mode === 's8' && K % 16 === 0) || (mode === 'sdot' && VB === 4 && K % 16 === 0));
      // Pixels in chunks (row-major), every channel block of a chunk before the next: streams in place.
      const chunk = Math.min(npix, PW_CHUNK);
      const params = {
        mode,
        dtype,
        quant,
        t: cType(dtype),
        w: mode === 'f32' ? 'float' : mode === 's16' ? 'int16_t' : 'int8_t',
        b: quant ? 'int32_t' : 'float',
        p: P,
        vb: VB,
        nb: NB,
        vt: VT,
        tailValid: cout - NB * 4 * VB,
        blockOc: 4 * VB,
        blockW,
        asm,
        asmFn: `${kernel}_asm`,
        ls: q?.ls ? 1 : 0,
        rn: q?.rn ?? false,
        // the SDOT tile's clamps: only those the activation range needs
        cmin: q?.clamp.min ?? true,
        cmax: q?.clamp.max ?? true,
        isU8: dtype === 'uint8' ? 1 : 0,
        chunk,
        int8: dtype === 'int8',
        // uint8 on SDOT (u8.ts): inputs XOR 0x80, uint8 narrowing; wzp: d_c·S_p
        u8sdot: p.u8 !== null,
        wzp,
      };
      return gemmEmission(p, 'pw_neon', kernel, params, args, chunk);
    },
  };
}

/** The tile variants, by ISA tag. */
export const tileVariants = {
  neon: (['f32', 's8', 's16'] as const).map((m) => tileVariant('neon', m)),
  neon32: (['f32', 's16'] as const).map((m) => tileVariant('neon32', m)),
  neondot: [tileVariant('neondot', 'sdot')],
  /** uint8 on the SDOT tile (rpi5, after UDOT). */
  neondotU8: tileVariant('neondot', 'sdot', true),
};
