/**
 * Integer fixed-point arithmetic shared by the reference interpreter and the
 * requantize pass: TensorFlow Lite's QuantizeMultiplier and the gemmlowp
 * primitives its reference kernels use ("double rounding" variant), see
 * docs/NUMERICS.md.
 *
 * Every function takes and returns int32 values held in JS numbers and wraps
 * or saturates exactly as the C does. No BigInt: 64-bit products are formed
 * from 16-bit halves with exact double arithmetic.
 */
import type { Activation, SoftmaxQuant } from '../model/ir.js';
import { internalError } from '../model/errors.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;

const TWO_POW_31 = 2147483648;

/** C `round` / `std::round`: ties away from zero. */
export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const frexpView = new DataView(new ArrayBuffer(8));

/** C `frexp`: x = frac * 2^exp with |frac| in [0.5, 1) (frac = 0 for x = 0). */
export function frexp(x: number): { frac: number; exp: number } {
  if (x === 0 || !Number.isFinite(x)) return { frac: x, exp: 0 };
  let bias = 0;
  let v = x;
  if (Math.abs(v) < 2.2250738585072014e-308) {
    // Subnormal: scale into the normal range first.
    v *= 2 ** 64;
    bias = -64;
  }
  frexpView.setFloat64(0, v);
  const hi = frexpView.getUint32(0);
  const biasedExp = (hi >>> 20) & 0x7ff;
  const exp = biasedExp - 1022;
  // Force the exponent field to 1022 so |frac| lands in [0.5, 1).
  frexpView.setUint32(0, (hi & 0x800fffff) | (1022 << 20));
  return { frac: frexpView.getFloat64(0), exp: exp + bias };
}

/**
 * TFLite QuantizeMultiplier: real ≈ multiplier · 2^(shift − 31), multiplier a
 * Q0.31 int32. shift > 0 is a left shift. Tiny values (shift < −31) flush to
 * (0, 0); huge ones (shift > 30) saturate to (2^31 − 1, 30).
 */
export function quantizeMultiplier(real: number): { multiplier: number; shift: number } {
  if (real === 0) return { multiplier: 0, shift: 0 };
  if (!Number.isFinite(real)) throw internalError(`quantizeMultiplier: non-finite multiplier ${real}`);
  const { frac, exp } = frexp(real);
  let shift = exp;
  let q = roundHalfAwayFromZero(frac * TWO_POW_31);
  if (Math.abs(q) === TWO_POW_31) {
    q /= 2;
    shift += 1;
  }
  if (shift < -31) return { multiplier: 0, shift: 0 };
  if (shift > 30) return { multiplier: INT32_MAX, shift: 30 };
  return { multiplier: q, shift };
}

/** TFLite QuantizeMultiplierGreaterThanOne: requires real > 1, so shift ≥ 0. */
export function quantizeMultiplierGreaterThanOne(real: number): { multiplier: number; shift: number } {
  if (!(real > 1)) throw internalError(`quantizeMultiplierGreaterThanOne: multiplier ${real} is not > 1`);
  const r = quantizeMultiplier(real);
  if (r.shift < 0) throw internalError(`quantizeMultiplierGreaterThanOne: negative shift for ${real}`);
  return r;
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul for int32 (ARM VQRDMULH):
 * trunc((a·b + nudge) / 2^31) computed exactly, INT32_MIN² → INT32_MAX.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // b = bh·2^16 + bl, bl in [0, 65535]; both partial products are exact.
  const bl = b & 0xffff;
  const bh = (b - bl) / 65536;
  const p1 = a * bh; // |p1| < 2^46
  const p0 = a * bl; // |p0| < 2^47
  const negative = a < 0 !== b < 0 && a !== 0 && b !== 0;
  const nudge = negative ? 1 - (1 << 30) : 1 << 30;
  // p1·2^16 = h1·2^31 + l1·2^16 with l1 in [0, 2^15).
  const h1 = Math.floor(p1 / 32768);
  const l1 = p1 - h1 * 32768;
  const r = l1 * 65536 + p0 + nudge; // exact: |r| < 2^48
  const rq = Math.floor(r / TWO_POW_31);
  let q = h1 + rq; // floor((a·b + nudge) / 2^31)
  // C division truncates toward zero: the sum is negative iff a·b < 0.
  if (negative && r - rq * TWO_POW_31 !== 0) q += 1;
  return q | 0;
}

/** gemmlowp RoundingDivideByPOT: rounding arithmetic right shift, 0 ≤ e ≤ 31. */
export function roundingDivideByPOT(x: number, e: number): number {
  const mask = e === 31 ? 0x7fffffff : (1 << e) - 1;
  const rem = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return ((x >> e) + (rem > threshold ? 1 : 0)) | 0;
}

/** gemmlowp SaturatingRoundingMultiplyByPOT: saturating left shift (e > 0) or rounding right shift (e < 0). */
export function saturatingRoundingMultiplyByPOT(x: number, e: number): number {
  if (e === 0) return x | 0;
  if (e < 0) return roundingDivideByPOT(x, -e);
  const threshold = e >= 31 ? 0 : (1 << (31 - e)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (x << e) | 0;
}

/**
 * TFLite MultiplyByQuantizedMultiplier (double rounding):
 * RDBPOT(SRDHM(x · 2^max(s,0), m), max(−s, 0)); the left shift wraps like int32.
 */
export function multiplyByQuantizedMultiplier(x: number, m: number, s: number): number {
  const left = s > 0 ? s : 0;
  const right = s > 0 ? 0 : -s;
  const shifted = left === 0 ? x : Math.imul(x, 1 << left);
  return roundingDivideByPOT(saturatingRoundingDoublingHighMul(shifted, m), right);
}

/** TFLite MultiplyByQuantizedMultiplierGreaterThanOne: SRDHM(x · 2^leftShift, m). */
export function multiplyByQuantizedMultiplierGreaterThanOne(x: number, m: number, leftShift: number): number {
  return saturatingRoundingDoublingHighMul(leftShift === 0 ? x : Math.imul(x, 1 << leftShift), m);
}

/** TFLite CalculateActivationRangeQuantized (quantize(f) = zp + round(fround(f / scale))). */
export function activationRange(activation: Activation, scale: number, zeroPoint: number, dtype: 'int8' | 'uint8'): [number, number] {
  const qmin = dtype === 'int8' ? -128 : 0;
  const qmax = dtype === 'int8' ? 127 : 255;
  const q = (f: number): number => zeroPoint + roundHalfAwayFromZero(Math.fround(Math.fround(f) / Math.fround(scale)));
  switch (activation) {
    case 'none':
      return [qmin, qmax];
    case 'relu':
      return [Math.max(qmin, q(0)), qmax];
    case 'relu6':
      return [Math.max(qmin, q(0)), Math.min(qmax, q(6))];
    case 'relu_n1_to_1':
      return [Math.max(qmin, q(-1)), Math.min(qmax, q(1))];
  }
}

/** The clamp a float activation applies. */
export function floatActivationRange(activation: Activation): [number, number] {
  switch (activation) {
    case 'none':
      return [-Infinity, Infinity];
    case 'relu':
      return [0, Infinity];
    case 'relu6':
      return [0, 6];
    case 'relu_n1_to_1':
      return [-1, 1];
  }
}

// ---------------------------------------------------------------------------
// Softmax (TFLite reference_ops::Softmax for int8/uint8, gemmlowp fixed point)

/** Integer bits of the scaled input difference fed to exp. */
export const SOFTMAX_SCALED_DIFF_INTEGER_BITS = 5;
/** Integer bits of the sum-of-exps accumulator. */
export const SOFTMAX_ACCUMULATION_INTEGER_BITS = 12;

/** TFLite CalculateInputRadius (total signed bits 31). */
export function calculateInputRadius(inputIntegerBits: number, inputLeftShift: number): number {
  const maxInputRescaled = (((1 << inputIntegerBits) - 1) * 2 ** (31 - inputIntegerBits)) / 2 ** inputLeftShift;
  return Math.floor(maxInputRescaled);
}

/**
 * TFLite PreprocessSoftmaxScaling(beta, inputScale, 5) (both rounded to
 * float32 as TFLite stores them; double-rounding
 * variant: cap 2^31 − 1) and diffMin = −CalculateInputRadius(5, leftShift).
 */
export function prepareSoftmax(beta: number, inputScale: number): SoftmaxQuant {
  const bits = SOFTMAX_SCALED_DIFF_INTEGER_BITS;
  // TFLite passes the float32 beta and scale, widened to double.
  const real = Math.min(Math.fround(beta) * Math.fround(inputScale) * (1 << (31 - bits)), TWO_POW_31 - 1);
  const { multiplier, shift } = quantizeMultiplierGreaterThanOne(real);
  return {
    inputMultiplier: multiplier,
    inputLeftShift: shift,
    diffMin: -calculateInputRadius(bits, shift),
  };
}

/** gemmlowp Rescale<dst>(FixedPoint<int32, src>) on the raw value. */
export function rescale(x: number, srcIntegerBits: number, dstIntegerBits: number): number {
  return saturatingRoundingMultiplyByPOT(x, srcIntegerBits - dstIntegerBits);
}

/** gemmlowp RoundingHalfSum for int32: (a + b ± 1) / 2, truncating. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b; // exact in double
  const sign = sum >= 0 ? 1 : -1;
  return Math.trunc((sum + sign) / 2) | 0;
}

/** exp(x) for x in [−1/4, 0), Q0.31 in and out (gemmlowp Taylor series around −1/8). */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const constantTerm = 1895147668; // exp(-1/8)
  const constant1Over3 = 715827883;
  const x = (a + (1 << 28)) | 0;
  const x2 = saturatingRoundingDoublingHighMul(x, x);
  const x3 = saturatingRoundingDoublingHighMul(x2, x);
  const x4 = saturatingRoundingDoublingHighMul(x2, x2);
  const x4Over4 = roundingDivideByPOT(x4, 2);
  const poly = roundingDivideByPOT((saturatingRoundingDoublingHighMul((x4Over4 + x3) | 0, constant1Over3) + x2) | 0, 1);
  return (constantTerm + saturatingRoundingDoublingHighMul(constantTerm, (x + poly) | 0)) | 0;
}

/** exp(−2^k) in Q0.31 for k = −2..4 (gemmlowp barrel-shifter constants). */
const EXP_BARREL: readonly (readonly [number, number])[] = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];

/**
 * gemmlowp exp_on_negative_values: `a` is the raw value of a
 * FixedPoint<int32, integerBits> ≤ 0; returns the raw Q0.31 of exp(a).
 */
export function expOnNegativeValues(a: number, integerBits = SOFTMAX_SCALED_DIFF_INTEGER_BITS): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 1 << (fractionalBits - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusQuarter = ((a & mask) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusQuarter, integerBits, 0));
  const remainder = (aModQuarterMinusQuarter - a) | 0;
  for (const [exponent, multiplier] of EXP_BARREL) {
    if (integerBits > exponent) {
      const shiftAmount = fractionalBits + exponent;
      if ((remainder & (1 << shiftAmount)) !== 0) {
        result = saturatingRoundingDoublingHighMul(result, multiplier);
      }
    }
  }
  if (integerBits > 5) {
    const clamp = -(1 << (36 - integerBits)); // −32.0
    if (a < clamp) result = 0;
  }
  if (a === 0) result = INT32_MAX;
  return result;
}

/** gemmlowp one_over_one_plus_x_for_x_in_0_1: Q0.31 in and out (Newton-Raphson). */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX);
  const constant48Over17 = 1515870810; // Q2.29
  const constantNeg32Over17 = -1010580540; // Q2.29
  const f2One = 1 << 29;
  let x = (constant48Over17 + saturatingRoundingDoublingHighMul(halfDenominator, constantNeg32Over17)) | 0;
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = saturatingRoundingDoublingHighMul(halfDenominator, x);
    const oneMinus = (f2One - halfDenominatorTimesX) | 0;
    // x · oneMinus is Q4.27; Rescale<2> brings it back to Q2.29.
    x = (x + rescale(saturatingRoundingDoublingHighMul(x, oneMinus), 4, 2)) | 0;
  }
  // ExactMulByPot<-1> makes x a Q1.30 raw; Rescale<0> from 1 integer bit.
  return rescale(x, 1, 0);
}

/**
 * TFLite GetReciprocal: for x a FixedPoint<int32, integerBits> raw > 0,
 * value is the Q0.31 raw of 1 / (x / 2^numBitsOverUnit).
 */
export function getReciprocal(x: number, integerBits: number): { value: number; numBitsOverUnit: number } {
  const headroomPlusOne = Math.clz32(x);
  const numBitsOverUnit = integerBits - headroomPlusOne;
  const shiftedSumMinusOne = ((x << headroomPlusOne) - INT32_MIN) | 0;
  return { value: oneOverOnePlusXForXIn01(shiftedSumMinusOne), numBitsOverUnit };
}

/**
 * One row of TFLite's quantized softmax (int8 or uint8 in and out, 8-bit
 * output, scale 1/256): reads input[start .. start+depth), writes output at
 * the same indices. outMin/outMax are the output dtype's range.
 */
export function softmaxQuantizedRow(
  input: ArrayLike<number>,
  output: { [i: number]: number },
  start: number,
  depth: number,
  quant: SoftmaxQuant,
  outMin: number,
  outMax: number,
  inMin: number,
): void {
  const { inputMultiplier, inputLeftShift, diffMin } = quant;
  let maxInRow = inMin;
  for (let c = 0; c < depth; c++) {
    const v = input[start + c]!;
    if (v > maxInRow) maxInRow = v;
  }
  let sumOfExps = 0;
  for (let c = 0; c < depth; c++) {
    const diff = input[start + c]! - maxInRow;
    if (diff >= diffMin) {
      const scaled = multiplyByQuantizedMultiplierGreaterThanOne(diff, inputMultiplier, inputLeftShift);
      const e = expOnNegativeValues(scaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS);
      sumOfExps = (sumOfExps + rescale(e, 0, SOFTMAX_ACCUMULATION_INTEGER_BITS)) | 0;
    }
  }
  const { value: shiftedScale, numBitsOverUnit } = getReciprocal(sumOfExps, SOFTMAX_ACCUMULATION_INTEGER_BITS);
  // TFLite aborts (TFLITE_CHECK) when exponent > 31, which happens once the
  // sum of exps reaches 2^28 in Q12.19, i.e. at least 512 entries tie with the
  // row maximum. Every output is then below 1/512 and the rounded shift of a
  // non-negative int32 by 32 or more is exactly 0, so we define it as 0 (the
  // generated C must do the same) instead of aborting.
  const exponent = numBitsOverUnit + 31 - 8;
  if (exponent < 0) throw internalError(`softmax: reciprocal exponent ${exponent} out of range`);
  for (let c = 0; c < depth; c++) {
    const diff = input[start + c]! - maxInRow;
    if (diff >= diffMin) {
      const scaled = multiplyByQuantizedMultiplierGreaterThanOne(diff, inputMultiplier, inputLeftShift);
      const e = expOnNegativeValues(scaled, SOFTMAX_SCALED_DIFF_INTEGER_BITS);
      const unsat = exponent > 31 ? 0 : roundingDivideByPOT(saturatingRoundingDoublingHighMul(shiftedScale, e), exponent);
      const shifted = (unsat + outMin) | 0;
      output[start + c] = shifted < outMin ? outMin : shifted > outMax ? outMax : shifted;
    } else {
      output[start + c] = outMin;
    }
  }
}

// ---------------------------------------------------------------------------
// int16 gemmlowp primitives (TFLite's quantized HARD_SWISH) and logistic (LOGISTIC)

/** C's conversion to int16_t: the low 16 bits, sign-extended. */
export function toInt16(x: number): number {
  return (x << 16) >> 16;
}

/** gemmlowp SaturatingRoundingDoublingHighMul for int16: (a·b + nudge) / 2^15 truncated, (−2^15)² → 2^15 − 1. */
export function saturatingRoundingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  const ab = a * b; // |ab| ≤ 2^30: exact
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return toInt16(Math.trunc((ab + nudge) / 32768));
}

/** TFLite SaturatingDoublingHighMul (int16, SQDMULH): a·b / 2^15 truncated toward zero, (−2^15)² → 2^15 − 1. */
export function saturatingDoublingHighMul16(a: number, b: number): number {
  if (a === -32768 && b === -32768) return 32767;
  return toInt16(Math.trunc((a * b) / 32768));
}

/**
 * gemmlowp RoundingDivideByPOT on an int16 value, 0 ≤ e ≤ 31: the mask
 * (2^e − 1) is converted to int16 as gemmlowp's Dup<int16_t> does, so for
 * e ≥ 16 it is −1 (and the result is 1 for x ≥ 0, −1 for x < 0).
 */
export function roundingDivideByPOT16(x: number, e: number): number {
  const mask = toInt16(e >= 31 ? 0x7fffffff : (1 << e) - 1);
  const rem = x & mask;
  const threshold = toInt16((mask >> 1) + (x < 0 ? 1 : 0));
  return toInt16((x >> e) + (rem > threshold ? 1 : 0));
}

/** TFLite SaturatingLeftShift (int16): value · 2^amount saturated to int16. */
export function saturatingLeftShift16(x: number, amount: number): number {
  const r = x * 2 ** amount;
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** TFLite DownScaleInt32ToInt16Multiplier: the int32 multiplier (≥ 0) rounded to its high 16 bits, saturating. */
export function downScaleInt32ToInt16Multiplier(m: number): number {
  if (m < 0) throw internalError(`downScaleInt32ToInt16Multiplier: negative multiplier ${m}`);
  if (m >= INT32_MAX - (1 << 15)) return 32767;
  return (m + (1 << 15)) >> 16;
}

/** Integer bits of LOGISTIC's rescaled input (TFLite kInputIntegerBits). */
export const LOGISTIC_INPUT_INTEGER_BITS = 4;

/** gemmlowp logistic of a FixedPoint<int32, integerBits> raw value; returns the Q0.31 raw result. */
export function logisticFixed(a: number, integerBits = LOGISTIC_INPUT_INTEGER_BITS): number {
  if (a === 0) return 1 << 30; // one half
  const abs = a > 0 ? a : -a | 0;
  // logistic_on_positive_values: 1 / (1 + exp(−|a|)).
  const positive = oneOverOnePlusXForXIn01(expOnNegativeValues(-abs | 0, integerBits));
  return a > 0 ? positive : (INT32_MAX - positive) | 0;
}
