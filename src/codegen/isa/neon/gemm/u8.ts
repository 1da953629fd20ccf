/**
 * uint8 GEMM layers (per-tensor weight zero point zw, input zero point zx) on
 * the int8 kernels: the compile-time transform they share (neon/gemm/u8-packed
 * on rpi4, neon32/gemm/u8-packed on rpi-armv7, neondot/gemm/u8-sdot on rpi5
 * where UDOT does not take the layer).
 *
 * Arithmetic. With x' = x − 128 (x XOR 0x80 read as int8, applied where the
 * kernel packs its input) and x'z = zx − 128, and per output channel c an
 * offset o_c with w' = w − o_c ∈ [−128, 127] and d_c = o_c − zw:
 *   Σ_k (x_k − zx)(w_ck − zw) = Σ_k (x'_k − x'z)(w'_ck + d_c)
 *     = Σ_k x'_k·w'_ck + d_c·S_p − x'z·Σ_k w'_ck − K·x'z·d_c,   S_p = Σ_k x'_k.
 * The last two terms are per channel: folded into the bias at compile time.
 * d_c·S_p is per pixel and channel: S_p is summed while a pixel block is
 * packed and added with one MLA by element per accumulator register, only
 * when some d_c ≠ 0 (the name then carries `wzp`). Every step is int32
 * arithmetic modulo 2^32, so the accumulator equals the reference's.
 *
 * Ranges. o_c is chosen in [max_c − 127, min_c + 127] (zw itself when it lies
 * there, so d_c = 0): then w' ∈ [−127, 127], and the int8 kernels' int16 pair
 * sums x'·w' + x''·w'' are within ±(128·127 + 128·127) = ±32512. A channel
 * whose range is 255 (holds 0 and 255) forces o_c = 128 and w' = −128 where
 * w = 0: a pair sums to 128·128 + 128·128 = 32768 (int16 overflow) only when
 * both its weights are −128 for the same channel (every other pair is at most
 * 16384 + 16256 = 32640 and at least −2·16256). The kernels pair input k with
 * k ^ 2 within each step of 4 (SMULL + SMLAL2 halves), so such pairs are
 * avoided by permuting the input channels within every group of 16 (one
 * permutation per layer: free on aarch64, where it goes into the TBL indices
 * of the pixel packing and the weight order); without such a permutation (or
 * where the kernel cannot permute) the layer keeps the int16-widened tile.
 * SDOT sums four int8 products straight into int32 (|sum| ≤ 4·128·128): any
 * int8, −128 included, so the SDOT tile takes every channel (`exact`).
 * S_p: |S_p| ≤ 128·K; in int16 SADALP lanes (the packing on rpi4 and armv7)
 * each lane holds 2 inputs per 16, so |lane| ≤ 256·K/16 ≤ 32768 for
 * K ≤ 2048 (U8_SUM_MAX_K: only −32768 reaches the bound, which fits); the
 * SDOT tile sums in int32. Scale: d_c·S_p ≤ 255·128·K, and the folded bias
 * terms, are all int32 modulo 2^32 like the reference accumulator.
 */
import { foldInputZeroPoint, wrap } from '../shared.js';
import { zeroPoint } from '../../../ops/common.js';
import type { GemmPlan } from './shape.js';

/** A uint8 layer as an int8 one. */
export interface U8AsS8 {
  /** w'[oc][k] = stored weight − o_c ∈ [−128, 127], input channels in kernel order (permuted within groups of 16). */
  readonly W: (oc: number, k: number) => number;
  /** Kernel position i (of 16) reads input channel perm[i] of its group; null: the identity. */
  readonly perm: readonly number[] | null;
  /** d_c = o_c − zw per channel, padded with zeros to coutPad. */
  readonly d: Int32Array;
  /** Some d_c ≠ 0: the kernel sums its pixels and adds d_c·S_p. */
  readonly anyD: boolean;
  /** The bias with every per-channel term folded (padded to coutPad). */
  readonly bias: Int32Array;
}

/** Pair partner of kernel position i within a step of 4 (SMULL adds k0·k2 and k1·k3 lane pairs with SMLAL2). */
const partner = (i: number) => i ^ 2;

/** Largest K whose S_p, summed in int16 lanes by SADALP (two x' per lane per 16 inputs), cannot overflow: 128 · 2 · 128 = 32768. */
export const U8_SUM_MAX_K = 2048;

/**
 * A perfect matching of the 16 positions avoiding `conflict` (backtracking; 16 vertices), as a permutation
 * putting each matched pair on partner positions; the identity when it has no conflicting pair.
 */
function pairPermutation(conflict: boolean[][]): number[] | null {
  const id = Array.from({ length: 16 }, (_, i) => i);
  if (id.every((i) => !conflict[i]![partner(i)])) return id;
  const mate = new Array<number>(16).fill(-1);
  const solve = (): boolean => {
    const a = mate.indexOf(-1);
    if (a < 0) return true;
    for (let b = a + 1; b < 16; b++) {
      if (mate[b] !== -1 || conflict[a]![b]) continue;
      mate[a] = b;
      mate[b] = a;
      if (solve()) return true;
      mate[a] = -1;
      mate[b] = -1;
    }
    return false;
  };
  if (!solve()) return null;
  // slots (0,2) (1,3) (4,6) (5,7) ... take the pairs in order
  const perm = new Array<number>(16);
  const slots = [0, 1, 4, 5, 8, 9, 12, 13];
  let s = 0;
  for (let a = 0; a < 16; a++) {
    if (mate[a]! < a) continue;
    perm[slots[s]!] = a;
    perm[partner(slots[s]!)] = mate[a]!;
    s++;
  }
  return perm;
}

/**
 * How a kernel multiplies: `permute16`, int16 pairs (k, k ^ 2 of each step of 4) after a permutation of the
 * inputs within each 16 (K % 16 == 0); `natural`, the same pairs without a permutation; `exact`, no pairs
 * (SDOT sums four int8 products in int32: exact for any int8, −128 included).
 */
export type U8Pairs = 'permute16' | 'natural' | 'exact';

/**
 * The transform of a uint8 layer with one weight zero point, or null: another dtype, per-channel zero
 * points, or a −128 pair the kernel's pairing cannot avoid.
 */
export function u8AsS8(p: GemmPlan, coutPad: number, pairs: U8Pairs): U8AsS8 | null {
  if (p.dtype !== 'uint8' || !p.quant) return null;
  const { K, cout } = p;
  const wZp = p.wv.wZp;
  const raw = (oc: number, k: number) => p.W(oc, k) + wZp;
  const d = new Int32Array(coutPad);
  const off = new Int32Array(cout);
  for (let c = 0; c < cout; c++) {
    let mn = 255;
    let mx = 0;
    for (let k = 0; k < K; k++) {
      const v = raw(c, k);
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    // o_c ∈ [mx − 127, mn + 127] (w' ∈ [−127, 127]); a range of 255 leaves only 128 (w' ∈ [−128, 127])
    const lo = mx - 127;
    const hi = Math.max(lo, mn + 127);
    off[c] = Math.min(Math.max(wZp, lo), hi);
    d[c] = off[c]! - wZp;
  }
  const w1 = (oc: number, k: number) => raw(oc, k) - off[oc]!;
  // −128 pairs: positions a, b of a group of 16 (or of the whole row without permuting) both −128 for one channel
  let perm: number[] | null = null;
  if (pairs === 'permute16') {
    if (K % 16 !== 0) return null;
    const conflict = Array.from({ length: 16 }, () => new Array<boolean>(16).fill(false));
    for (let c = 0; c < cout; c++)
      for (let g = 0; g < K; g += 16) {
        const neg = [];
        for (let i = 0; i < 16; i++) if (w1(c, g + i) === -128) neg.push(i);
        for (const a of neg) for (const b of neg) if (a !== b) conflict[a]![b] = true;
      }
    perm = pairPermutation(conflict);
    if (!perm) return null;
    if (perm.every((v, i) => v === i)) perm = null;
  } else if (pairs === 'natural') {
    for (let c = 0; c < cout; c++) for (let k = 0; k + 2 < K; k++) if ((k & 2) === 0 && w1(c, k) === -128 && w1(c, k + 2) === -128) return null;
  }
  const W = perm ? (oc: number, k: number) => w1(oc, k - (k % 16) + perm![k % 16]!) : w1;
  const xZp1 = zeroPoint(p.xT) - 128;
  const bias = foldInputZeroPoint(p.bv, w1, K, cout, coutPad, xZp1);
  for (let c = 0; c < cout; c++) bias[c] = wrap(bias[c]! - Math.imul(Math.imul(K, xZp1), d[c]!));
  return { W, perm, d, anyD: d.some((v) => v !== 0), bias };
}

/** Per channel tile of `width` (d is padded to whole tiles): 1 where some d_c ≠ 0, so that the tile adds d_c·S_p. */
export function offsetTiles(d: Int32Array, width: number): Uint8Array {
  return Uint8Array.from({ length: d.length / width }, (_, b) => (d.subarray(width * b, width * (b + 1)).some((v) => v !== 0) ? 1 : 0));
}

/** Kernel-name flags of a layer's int8 form: `w8`, and `wzp` when some channel adds d_c·S_p. */
export const u8Flags = (u8: U8AsS8 | null) => (u8 ? { ...(u8.anyD ? { wzp: true as const } : {}), w8: true as const } : {});

/** A packed int8 kernel's plan: an int8 layer as it is (`u8: false`), a uint8 layer through its int8 form (null where none applies). */
export function packedS8Plan(p: GemmPlan, u8: boolean, coutPad: number, pairs: U8Pairs): (GemmPlan & { readonly u8: U8AsS8 | null }) | null {
  if (!u8) return p.mode === 's8' ? { ...p, u8: null } : null;
  const t = p.dtype === 'uint8' ? u8AsS8(p, coutPad, pairs) : null;
  return t && (!t.anyD || p.K <= U8_SUM_MAX_K) ? { ...p, u8: t } : null;
}

/** The weights and folded bias a packed int8 kernel multiplies: the layer's own, or its int8 form's. */
export function packedS8Operands(p: GemmPlan & { readonly u8: U8AsS8 | null }, coutPad: number) {
  return p.u8 ? { W: p.u8.W, bias: p.u8.bias } : { W: p.W, bias: foldInputZeroPoint(p.bv, p.W, p.K, p.cout, coutPad, zeroPoint(p.xT)) };
}
