/**
 * The DSP epilogue's constants: re-encodings of the one requantization table
 * (requant.ts) for the forms of templates/partials/dsp/requant.hbs and
 * dsp/requant_any.hbs, chosen per channel. Four int32 words per channel:
 *
 * - doubled kernels (accumulator a = 2x, every |x| bounded below 2^30):
 *   (a) a right shift e in [1, 30]: one SMMLAR and a shift, {m, rnd, e, 0};
 *   (b) shift 0 or a left shift ls with B 2^(ls+1) < 2^31: one SMMLAR on
 *   a << ls, {m, zp, ls, 1}; (c) anything else: the total form on a >> 1,
 *   {m, zp, shift, -1}.
 * - 64-bit kernels: SMLAL for right shifts e in [1, 24] with headroom,
 *   {m, K lo, K hi, e - 1}; the total form for the rest, {m, zp, shift, -1}
 *   (or {m, ls, e, zp} when it is the whole layer's only form).
 *
 * A layer whose channels are all of one class emits that class only; a mix
 * branches per channel on word 3 (flag `mix`). Every channel the
 * requantize pass can produce gets a form, so a DSP layer never falls back
 * to C for its requantization.
 */
import type { RequantTable } from '../../requant.js';

/** The 64-bit headroom of the general form's constant: K + acc * m - [acc < 0] * 2^31 never wraps. */
const K_MIN = -(1n << 62n);
const K_MAX = (1n << 63n) - 1n - ((1n << 31n) - 1n) ** 2n;
const P31 = 2 ** 31;

/** The right shift e of padded channel c when the right-shift forms take it, else null. */
function rightShift(t: RequantTable, c: number, maxE: number): number | null {
  const e = -t.shift[c]!;
  return e >= 1 && e <= maxE && t.multiplier[c]! >= 0 ? e : null;
}

/** The SMLAL words {m, K lo, K hi, e - 1} of channel c (K = 2^30 + 2^(30+e) + zp 2^(31+e)), or null. */
function smlalWords(t: RequantTable, c: number): number[] | null {
  const e = rightShift(t, c, 24);
  if (e === null) return null;
  const k = (1n << 30n) + (1n << BigInt(30 + e)) + (BigInt(t.yZp) << BigInt(31 + e));
  if (k < K_MIN || k > K_MAX) return null;
  return [t.multiplier[c]!, Number(BigInt.asIntN(32, k)), Number(BigInt.asIntN(32, k >> 32n)), e - 1];
}

/** The words {m, 2^(e-1) + zp 2^e, e, 0} of a right-shift channel c of a doubled kernel (class a), or null. */
function smmlarWords(t: RequantTable, c: number, b: number): number[] | null {
  const e = rightShift(t, c, 30);
  if (e === null) return null;
  const rnd = 2 ** (e - 1) + t.yZp * 2 ** e;
  if (2 * b >= P31 || b + Math.abs(rnd) + 2 >= P31) return null;
  return [t.multiplier[c]!, rnd, e, 0];
}

/**
 * The words {m, zp, ls, 1} of a channel c with shift ls >= 0 in a doubled
 * kernel (class b), or null: SMMLAR(a << ls, m, zp) is zp + SRDHM(x 2^ls, m)
 * when |a 2^ls| = |x| 2^(ls+1) < 2^31 (then |SRDHM| < 2^30 and the zero
 * point cannot overflow either).
 */
function leftWords(t: RequantTable, c: number, b: number): number[] | null {
  const ls = t.shift[c]!;
  if (ls < 0 || ls > 30 || t.multiplier[c]! < 0 || b * 2 ** (ls + 1) >= P31 || 2 ** 30 + 1 + Math.abs(t.yZp) >= P31) return null;
  return [t.multiplier[c]!, t.yZp, ls, 1];
}

/** The total words {m, zp, shift, -1} of a channel of a mixed kernel. */
const totalWords = (t: RequantTable, c: number): number[] => [t.multiplier[c]!, t.yZp, t.shift[c]!, -1];

/** Per channel words from `words`, or null when one channel has none. */
function perChannel(t: RequantTable, words: (c: number) => number[] | null): Int32Array | null {
  const out = new Int32Array(4 * t.padded);
  for (let c = 0; c < t.padded; c++) {
    const w = words(c);
    if (!w) return null;
    out.set(w, 4 * c);
  }
  return out;
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
  return perChannel(t, (c) => smlalWords(t, c));
}

/** The accumulator bound of padded channel c (`bound` takes real channels). */
const boundOf = (t: RequantTable, bound: (c: number) => number, c: number) => bound(Math.min(c, t.channels - 1));

/**
 * The fast form (`mobilec_dsp_requant2`, one SMMLAR on a doubled
 * accumulator): per channel {m, 2^(e-1) + zp * 2^e, e, 0}, when every
 * channel has e in [1, 30] and an accumulator bound B(c) (from the weights,
 * the bias and the input range) with 2B < 2^31 and
 * B + |2^(e-1) + zp * 2^e| + 2 < 2^31; else null. `bound` takes real channels.
 */
export function smmlarRequant(t: RequantTable, bound: (c: number) => number): Int32Array | null {
  return perChannel(t, (c) => smmlarWords(t, c, boundOf(t, bound, c)));
}

/**
 * The fast form for shift 0 and left shifts (`mobilec_dsp_requant2l`, one
 * SMMLAR on the doubled accumulator shifted left): per channel
 * {m, zp, ls, 1} when every channel has a shift ls in [0, 30], m >= 0 and
 * B(c) 2^(ls+1) < 2^31; else null.
 */
export function leftRequant(t: RequantTable, bound: (c: number) => number): Int32Array | null {
  return perChannel(t, (c) => leftWords(t, c, boundOf(t, bound, c)));
}

/**
 * The per-channel form of a doubled kernel (`mobilec_dsp_requant_mix`):
 * class (a) words where they apply, else class (b), else the total words
 * {m, zp, shift, -1} on a >> 1; null when some channel's doubled
 * accumulator could wrap (2B >= 2^31) or no channel takes a fast class.
 */
export function mixRequant(t: RequantTable, bound: (c: number) => number): Int32Array | null {
  let fast = 0;
  const out = perChannel(t, (c) => {
    const b = boundOf(t, bound, c);
    if (2 * b >= P31) return null;
    const w = smmlarWords(t, c, b) ?? leftWords(t, c, b);
    if (w) fast++;
    return w ?? totalWords(t, c);
  });
  return out && fast > 0 ? out : null;
}

/**
 * The per-channel form of a 64-bit kernel (`mobilec_dsp_requant_mix64`):
 * SMLAL words where they apply, else the total words {m, zp, shift, -1};
 * null when no channel takes SMLAL.
 */
export function mix64Requant(t: RequantTable): Int32Array | null {
  let fast = 0;
  const out = perChannel(t, (c) => {
    const w = smlalWords(t, c);
    if (w) fast++;
    return w ?? totalWords(t, c);
  });
  return fast > 0 ? out : null;
}

/**
 * The total form (`mobilec_dsp_requant_any`): per channel {m, ls, e, zp}
 * with ls = max(shift, 0), e = max(-shift, 0): TFLite's
 * MultiplyByQuantizedMultiplier step by step (acc * 2^ls wrapping, SRDHM as
 * a 64-bit product, RoundingDivideByPOT by e), then the zero point added
 * with saturation. Any shift in [-31, 30], any multiplier but -2^31.
 */
export function totalRequant(t: RequantTable): Int32Array {
  return perChannel(t, (c) => {
    const s = t.shift[c]!;
    return [t.multiplier[c]!, Math.max(s, 0), Math.max(-s, 0), t.yZp];
  })!;
}

/**
 * The epilogue forms of a DSP kernel: `smmlar` (every channel class a),
 * `left` (every channel class b), `mix` (doubled, per channel a / b / total),
 * `x64` (every channel SMLAL), `mix64` (per channel SMLAL / total), `any`
 * (every channel total).
 */
export type DspRequantForm = 'smmlar' | 'left' | 'mix' | 'x64' | 'mix64' | 'any';

/** The epilogue of a DSP kernel: its constants, its form, and whether the accumulators are doubled (the SMMLAR forms). */
export interface DspRequant {
  readonly consts: Int32Array;
  readonly form: DspRequantForm;
  readonly dbl: boolean;
}

/** The C function of each form (dsp/requant, dsp/requant_any). */
export const DSP_REQUANT_FN: Readonly<Record<DspRequantForm, string>> = {
  smmlar: 'mobilec_dsp_requant2',
  left: 'mobilec_dsp_requant2l',
  mix: 'mobilec_dsp_requant_mix',
  x64: 'mobilec_dsp_requant',
  mix64: 'mobilec_dsp_requant_mix64',
  any: 'mobilec_dsp_requant_any',
};

/**
 * The per-block test of a mixed form: C params `blk` (the flag's name),
 * `blkTest` (its comparison of the OR of the block's class words: all of the
 * cheap right-shift class) and the block dispatcher as `rqfn`; {} otherwise.
 */
export function dspBlockParams(form: DspRequantForm): Record<string, string> {
  if (form === 'mix') return { blk: 'fast', blkTest: '== 0', rqfn: 'mobilec_dsp_requant_mix_blk' };
  if (form === 'mix64') return { blk: 'fast', blkTest: '>= 0', rqfn: 'mobilec_dsp_requant_mix64_blk' };
  return {};
}

/** Whether a form's code is in dsp/requant_any (all but the two right-shift forms of dsp/requant). */
export const needsRequantAny = (form: DspRequantForm): boolean => form !== 'smmlar' && form !== 'x64';

/**
 * The cheapest form that takes every channel, never null: with `smmlar`
 * (the tuning switch `dsp.smmlar`, read by the caller; false: no SMMLAR
 * form) every channel of class a, every one of class b, a mix of a and b;
 * then every channel SMLAL; then (with `smmlar`) a doubled mix with total
 * channels; then SMLAL / total per channel; then the total form alone.
 */
export function dspRequant(t: RequantTable, smmlar: boolean, bound: (c: number) => number): DspRequant {
  const fast = smmlar ? smmlarRequant(t, bound) : null;
  if (fast) return { consts: fast, form: 'smmlar', dbl: true };
  const left = smmlar ? leftRequant(t, bound) : null;
  if (left) return { consts: left, form: 'left', dbl: true };
  const mix = smmlar ? mixRequant(t, bound) : null;
  const total = (w: Int32Array) => w.some((v, i) => i % 4 === 3 && v < 0);
  if (mix && !total(mix)) return { consts: mix, form: 'mix', dbl: true };
  const general = generalRequant(t);
  if (general) return { consts: general, form: 'x64', dbl: false };
  if (mix) return { consts: mix, form: 'mix', dbl: true };
  const mix64 = mix64Requant(t);
  if (mix64) return { consts: mix64, form: 'mix64', dbl: false };
  return { consts: totalRequant(t), form: 'any', dbl: false };
}
