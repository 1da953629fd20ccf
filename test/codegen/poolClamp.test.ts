/**
 * poolClamp (src/codegen/isa/pooling.ts): the 8-bit bounds a SIMD pool clamps
 * with in 8-bit lanes give, for every input code, what the reference's clamp
 * stored as the dtype gives, for any ordered clamp (inside, overlapping or
 * outside the dtype's range); an unordered clamp is an internal error.
 */
import { describe, expect, it } from 'vitest';
import { poolClamp } from '../../src/codegen/isa/pooling.js';
import { clamp } from '../../src/reference/kernels/common.js';

describe('poolClamp', () => {
  it.each(['int8', 'uint8'] as const)('%s: bounds within the range, equal to the reference clamp stored as the dtype', (dtype) => {
    const [qmin, qmax] = dtype === 'int8' ? [-128, 127] : [0, 255];
    const store = (v: number) => (dtype === 'int8' ? new Int8Array([v])[0]! : new Uint8Array([v])[0]!);
    const bounds = [-400, -300, -129, -128, -127, -1, 0, 1, 5, 100, 126, 127, 128, 200, 254, 255, 256, 257, 300, 600];
    let pairs = 0;
    const wrong: string[] = [];
    for (const lo of bounds) {
      for (const hi of bounds) {
        if (lo > hi) continue;
        const [a, b] = poolClamp(lo, hi, dtype);
        if (!(a >= qmin && b <= qmax && a <= b)) wrong.push(`[${lo}, ${hi}] -> [${a}, ${b}]`);
        for (let m = qmin; m <= qmax; m++) if (clamp(m, a, b) !== store(clamp(m, lo, hi))) wrong.push(`m ${m} [${lo}, ${hi}] -> [${a}, ${b}]`);
        pairs++;
      }
    }
    expect(wrong).toEqual([]);
    expect(pairs).toBe(210);
    expect(poolClamp(-6, 40, dtype)).toEqual([Math.max(-6, qmin), 40]);
    expect(poolClamp(300, 400, dtype)).toEqual([store(300), store(300)]);
  });

  it('an unordered clamp is an internal error', () => {
    expect(() => poolClamp(10, 9, 'int8')).toThrow(/not ordered/);
  });
});
