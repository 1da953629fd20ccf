import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  INT32_MAX,
  INT32_MIN,
  activationRange,
  calculateInputRadius,
  expOnNegativeValues,
  floatActivationRange,
  frexp,
  getReciprocal,
  multiplyByQuantizedMultiplier,
  prepareSoftmax,
  quantizeMultiplier,
  quantizeMultiplierGreaterThanOne,
  rescale,
  roundHalfAwayFromZero,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  saturatingRoundingMultiplyByPOT,
} from '../../src/numerics/fixedpoint.js';

// ---- BigInt oracles (test-only) ----
function srdhmOracle(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number(BigInt.asIntN(32, (ab + nudge) / (1n << 31n))); // BigInt division truncates
}
function rdbpotOracle(x: number, e: number): number {
  if (e === 0) return x;
  const X = BigInt(x);
  const mag = X < 0n ? -X : X;
  const q = (mag + (1n << BigInt(e - 1))) >> BigInt(e); // half away from zero
  return Number(X < 0n ? -q : q);
}
function mbqmOracle(x: number, m: number, s: number): number {
  const left = s > 0 ? s : 0;
  const right = s > 0 ? 0 : -s;
  const shifted = Number(BigInt.asIntN(32, BigInt(x) << BigInt(left)));
  return rdbpotOracle(srdhmOracle(shifted, m), right);
}

const int32 = fc.oneof(
  fc.integer({ min: INT32_MIN, max: INT32_MAX }),
  fc.constantFrom(INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX, INT32_MAX - 1, 1 << 30, -(1 << 30)),
);

describe('roundHalfAwayFromZero / frexp', () => {
  it('rounds ties away from zero', () => {
    expect([2.5, -2.5, 0.5, -0.5, 1.4999, -1.5].map(roundHalfAwayFromZero)).toEqual([3, -3, 1, -1, 1, -2]);
  });
  it('frexp splits into [0.5, 1) fraction and exponent', () => {
    expect(frexp(0.5)).toEqual({ frac: 0.5, exp: 0 });
    expect(frexp(1)).toEqual({ frac: 0.5, exp: 1 });
    expect(frexp(0.75)).toEqual({ frac: 0.75, exp: 0 });
    expect(frexp(-6)).toEqual({ frac: -0.75, exp: 3 });
    expect(frexp(5e-324)).toEqual({ frac: 0.5, exp: -1073 });
  });
});

describe('quantizeMultiplier', () => {
  it('matches the documented TFLite examples', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 1073741824, shift: 0 });
    expect(quantizeMultiplier(0.25)).toEqual({ multiplier: 1073741824, shift: -1 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 1073741824, shift: 1 });
    expect(quantizeMultiplier(0.75)).toEqual({ multiplier: 1610612736, shift: 0 });
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 1610612736, shift: 2 });
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
  });
  it('carries q == 2^31 into the shift', () => {
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 1073741824, shift: 1 });
  });
  it('flushes tiny multipliers (shift < -31) and saturates huge ones (shift > 30)', () => {
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 1073741824, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(2 ** 29)).toEqual({ multiplier: 1073741824, shift: 30 });
    expect(quantizeMultiplier(2 ** 30)).toEqual({ multiplier: INT32_MAX, shift: 30 });
  });
  it('reconstructs the real value to 2^-31 relative precision', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-8, max: 1e8, noNaN: true }), (r) => {
        const { multiplier, shift } = quantizeMultiplier(r);
        expect(multiplier).toBeGreaterThanOrEqual(1 << 30);
        expect(multiplier).toBeLessThanOrEqual(INT32_MAX);
        expect(Math.abs(multiplier * 2 ** (shift - 31) - r) / r).toBeLessThanOrEqual(2 ** -31);
      }),
    );
  });
  it('greater-than-one variant rejects multipliers <= 1', () => {
    expect(quantizeMultiplierGreaterThanOne(6.5)).toEqual({ multiplier: 1744830464, shift: 3 });
    expect(() => quantizeMultiplierGreaterThanOne(0.5)).toThrow();
  });
});

describe('SRDHM / RDBPOT / MBQM against BigInt oracles', () => {
  it('SRDHM known values, including the INT32_MIN saturation and negative ties', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX)).toBe(-INT32_MAX);
    expect(saturatingRoundingDoublingHighMul(100, 1 << 30)).toBe(50);
    expect(saturatingRoundingDoublingHighMul(-3, 1 << 30)).toBe(-1); // -1.5 → -1 (gemmlowp nudge)
    expect(saturatingRoundingDoublingHighMul(3, 1 << 30)).toBe(2);
  });
  it('SRDHM equals the oracle over full int32', () => {
    fc.assert(
      fc.property(int32, int32, (a, b) => saturatingRoundingDoublingHighMul(a, b) === srdhmOracle(a, b)),
      {
        numRuns: 20000,
      },
    );
  });
  it('RDBPOT known values', () => {
    expect(roundingDivideByPOT(5, 1)).toBe(3);
    expect(roundingDivideByPOT(-5, 1)).toBe(-3);
    expect(roundingDivideByPOT(-13, 1)).toBe(-7);
    expect(roundingDivideByPOT(-6, 2)).toBe(-2);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
    expect(roundingDivideByPOT(7, 0)).toBe(7);
  });
  it('RDBPOT equals the oracle over full int32 and all exponents', () => {
    fc.assert(
      fc.property(int32, fc.integer({ min: 0, max: 31 }), (x, e) => roundingDivideByPOT(x, e) === rdbpotOracle(x, e)),
      {
        numRuns: 20000,
      },
    );
  });
  it('MBQM known values', () => {
    expect(multiplyByQuantizedMultiplier(100, 1 << 30, 0)).toBe(50);
    expect(multiplyByQuantizedMultiplier(100, 1 << 30, -1)).toBe(25);
    expect(multiplyByQuantizedMultiplier(100, 1 << 30, 1)).toBe(100);
    expect(multiplyByQuantizedMultiplier(-27, 1 << 30, -1)).toBe(-7);
  });
  it('MBQM equals the oracle over full int32 multipliers and shifts -31..30', () => {
    fc.assert(
      fc.property(int32, int32, fc.integer({ min: -31, max: 30 }), (x, m, s) => multiplyByQuantizedMultiplier(x, m, s) === mbqmOracle(x, m, s)),
      { numRuns: 20000 },
    );
  });
  it('MBQM with realistic accumulators and multipliers', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(1 << 24), max: 1 << 24 }), fc.double({ min: 1e-6, max: 4, noNaN: true }), (acc, real) => {
        const { multiplier, shift } = quantizeMultiplier(real);
        const got = multiplyByQuantizedMultiplier(acc, multiplier, shift);
        expect(got).toBe(mbqmOracle(acc, multiplier, shift));
        expect(Math.abs(got - acc * real)).toBeLessThanOrEqual(1 + Math.abs(acc * real) * 2 ** -29);
      }),
    );
  });
  it('saturating multiply by POT saturates like gemmlowp', () => {
    expect(saturatingRoundingMultiplyByPOT(1 << 29, 1)).toBe(1 << 30);
    expect(saturatingRoundingMultiplyByPOT(1 << 30, 1)).toBe(INT32_MAX);
    expect(saturatingRoundingMultiplyByPOT(-(1 << 30), 1)).toBe(INT32_MIN);
    expect(saturatingRoundingMultiplyByPOT(-(1 << 30) + 1, 1)).toBe(-2147483646);
    expect(saturatingRoundingMultiplyByPOT(-5, -1)).toBe(-3);
    expect(rescale(INT32_MAX, 0, 12)).toBe(1 << 19);
  });
});

describe('activation ranges', () => {
  it('quantized ranges follow CalculateActivationRangeQuantized', () => {
    expect(activationRange('none', 0.1, 3, 'int8')).toEqual([-128, 127]);
    expect(activationRange('relu', 0.5, 5, 'int8')).toEqual([5, 127]);
    expect(activationRange('relu6', 0.1, -128, 'int8')).toEqual([-128, -68]);
    expect(activationRange('relu6', Math.fround(6 / 255), 0, 'uint8')).toEqual([0, 255]);
    expect(activationRange('relu6', 0.05, 10, 'uint8')).toEqual([10, 130]);
    expect(activationRange('relu_n1_to_1', 1 / 128, 0, 'int8')).toEqual([-128, 127]);
    expect(activationRange('relu_n1_to_1', 1 / 64, -10, 'int8')).toEqual([-74, 54]);
    expect(activationRange('relu', 0.1, -200, 'int8')).toEqual([-128, 127]);
  });
  it('float ranges', () => {
    expect(floatActivationRange('none')).toEqual([-Infinity, Infinity]);
    expect(floatActivationRange('relu')).toEqual([0, Infinity]);
    expect(floatActivationRange('relu6')).toEqual([0, 6]);
    expect(floatActivationRange('relu_n1_to_1')).toEqual([-1, 1]);
  });
});

describe('softmax fixed-point pieces', () => {
  it('prepareSoftmax for a power-of-two input scale', () => {
    // 1 · 2^-4 · 2^26 = 2^22 → (2^30, 23); radius floor(31 · 2^26 / 2^23) = 248.
    expect(prepareSoftmax(1, 0.0625)).toEqual({ inputMultiplier: 1 << 30, inputLeftShift: 23, diffMin: -248 });
    expect(calculateInputRadius(5, 23)).toBe(248);
  });
  it('prepareSoftmax for a general scale matches QuantizeMultiplier of beta·s·2^26', () => {
    const s = Math.fround(0.1);
    const q = prepareSoftmax(1, s);
    const { multiplier, shift } = quantizeMultiplier(s * 2 ** 26);
    expect(q.inputMultiplier).toBe(multiplier);
    expect(q.inputLeftShift).toBe(shift);
    expect(shift).toBe(23);
    expect(q.diffMin).toBe(-Math.floor((31 * 2 ** 26) / 2 ** 23));
  });
  it('exp_on_negative_values approximates exp over [-32, 0]', () => {
    expect(expOnNegativeValues(0)).toBe(INT32_MAX);
    for (let v = -31.9; v < 0; v += 0.173) {
      const raw = Math.round(v * 2 ** 26);
      const got = expOnNegativeValues(raw) / 2 ** 31;
      expect(Math.abs(got - Math.exp(raw / 2 ** 26))).toBeLessThan(2e-8 + 1e-6 * Math.exp(v));
    }
  });
  it('GetReciprocal approximates 1/x with numBitsOverUnit', () => {
    for (const x of [1, 1.25, 1.5, 2, 3.7, 10, 100.5, 2047]) {
      const raw = Math.round(x * 2 ** 19); // Q12.19
      const { value, numBitsOverUnit } = getReciprocal(raw, 12);
      const recip = value / 2 ** 31 / 2 ** numBitsOverUnit;
      expect(Math.abs(recip - 1 / x) * x).toBeLessThan(1e-6);
    }
    expect(getReciprocal(1 << 21, 12).numBitsOverUnit).toBe(2);
  });
});
