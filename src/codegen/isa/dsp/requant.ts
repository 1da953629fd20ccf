/**
 * The DSP epilogue's constants: re-encodings of the one requantization table
 * (requant.ts) for the two forms of templates/partials/dsp/requant.hbs.
 * Both take right shifts only (e >= 1) and multipliers >= 0: a table outside
 * that keeps the generic C.
 */
import type { RequantTable } from '../../requant.js';

/** The 64-bit headroom of the general form's constant: K + acc * m - [acc < 0] * 2^31 never wraps. */
const K_MIN = -(1n << 62n);
const K_MAX = (1n << 63n) - 1n - ((1n << 31n) - 1n) ** 2n;

/** The right shift e of padded channel c when both forms take it, else null. */
function rightShift(t: RequantTable, c: number, maxE: number): number | null {
  const e = -t.shift[c]!;
  return e >= 1 && e <= maxE && t.multiplier[c]! >= 0 ? e : null;
}

/**
 * The general form (`mobilec_dsp_requant`, a 64-bit SMLAL): per channel
 * {m, K low, K high, e - 1} with K = 2^30 + 2^(30+e) + zp * 2^(31+e), for
 * right shifts e in [1, 24] whose K leaves the 64-bit sum room for any
 * int32 product (-2^62 <= K <= 2^63 - 1 - (2^31 - 1)^2: not so for e = 24
 * with an output zero point above 127, where the sum used to wrap); null
 * when a channel has another shift.
 */
export function generalRequant(t: RequantTable): Int32Array | null {
  const out = new Int32Array(4 * t.padded);
  for (let c = 0; c < t.padded; c++) {
    const e = rightShift(t, c, 24);
    if (e === null) return null;
    const k = (1n << 30n) + (1n << BigInt(30 + e)) + (BigInt(t.yZp) << BigInt(31 + e));
    if (k < K_MIN || k > K_MAX) return null;
    out[4 * c] = t.multiplier[c]!;
    out[4 * c + 1] = Number(BigInt.asIntN(32, k));
    out[4 * c + 2] = Number(BigInt.asIntN(32, k >> 32n));
    out[4 * c + 3] = e - 1;
  }
  return out;
}

/**
 * The fast form (`mobilec_dsp_requant2`, one SMMLAR on a doubled
 * accumulator): per channel {m, 2^(e-1) + zp * 2^e, e, 0}, when every
 * channel has e in [1, 30] and an accumulator bound B(c) (from the weights,
 * the bias and the input range) with 2B < 2^31 and
 * B + |2^(e-1) + zp * 2^e| + 2 < 2^31; else null. `bound` takes real channels.
 */
export function smmlarRequant(t: RequantTable, bound: (c: number) => number): Int32Array | null {
  const out = new Int32Array(4 * t.padded);
  for (let c = 0; c < t.padded; c++) {
    const e = rightShift(t, c, 30);
    if (e === null) return null;
    const rnd = 2 ** (e - 1) + t.yZp * 2 ** e;
    const b = bound(Math.min(c, t.channels - 1));
    if (2 * b >= 2 ** 31 || b + Math.abs(rnd) + 2 >= 2 ** 31) return null;
    out[4 * c] = t.multiplier[c]!;
    out[4 * c + 1] = rnd;
    out[4 * c + 2] = e;
  }
  return out;
}

/** The epilogue of a DSP kernel: its constants, and whether the accumulators are doubled (the SMMLAR form). */
export interface DspRequant {
  readonly consts: Int32Array;
  readonly dbl: boolean;
}

/**
 * The fast form when `smmlar` allows it and the bound holds, else the
 * general one, else null. Reads the tuning switch `dsp.smmlar` through its
 * caller (false: the general form everywhere).
 */
export function dspRequant(t: RequantTable, smmlar: boolean, bound: (c: number) => number): DspRequant | null {
  const fast = smmlar ? smmlarRequant(t, bound) : null;
  if (fast) return { consts: fast, dbl: true };
  const general = generalRequant(t);
  return general ? { consts: general, dbl: false } : null;
}
