/**
 * The DSP epilogue's constants: re-encodings of the one requantization table
 * (requant.ts) for the two forms of templates/partials/dsp/requant.hbs.
 * The two cheap forms take right shifts only (e >= 1) and multipliers >= 0;
 * the total form (`mobilec_dsp_requant_any`) takes every channel the
 * requantize pass can produce, so a DSP layer never falls back to C for its
 * requantization.
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

/**
 * The total form (`mobilec_dsp_requant_any`): per channel {m, ls, e, zp}
 * with ls = max(shift, 0), e = max(-shift, 0): TFLite's
 * MultiplyByQuantizedMultiplier step by step (acc * 2^ls wrapping, SRDHM as
 * a 64-bit product, RoundingDivideByPOT by e), then the zero point added
 * with saturation. Any shift in [-31, 30], any multiplier but -2^31.
 */
export function totalRequant(t: RequantTable): Int32Array {
  const out = new Int32Array(4 * t.padded);
  for (let c = 0; c < t.padded; c++) {
    const s = t.shift[c]!;
    out[4 * c] = t.multiplier[c]!;
    out[4 * c + 1] = Math.max(s, 0);
    out[4 * c + 2] = Math.max(-s, 0);
    out[4 * c + 3] = t.yZp;
  }
  return out;
}

/** The epilogue forms of a DSP kernel, cheapest first. */
export type DspRequantForm = 'smmlar' | 'x64' | 'any';

/** The epilogue of a DSP kernel: its constants, its form, and whether the accumulators are doubled (the SMMLAR form). */
export interface DspRequant {
  readonly consts: Int32Array;
  readonly form: DspRequantForm;
  readonly dbl: boolean;
}

/**
 * The fast form when `smmlar` allows it and the bound holds, else the
 * general one, else the total one: never null. Reads the tuning switch
 * `dsp.smmlar` through its caller (false: no SMMLAR form).
 */
export function dspRequant(t: RequantTable, smmlar: boolean, bound: (c: number) => number): DspRequant {
  const fast = smmlar ? smmlarRequant(t, bound) : null;
  if (fast) return { consts: fast, form: 'smmlar', dbl: true };
  const general = generalRequant(t);
  if (general) return { consts: general, form: 'x64', dbl: false };
  return { consts: totalRequant(t), form: 'any', dbl: false };
}
