/**
 * LOGISTIC: TFLite Micro's int8 arithmetic (uint8: reference_ops) by hand on
 * edge values, generated C (a 256-entry table) = reference on every input
 * byte, a .tflite with LOGISTIC, a description with a logistic layer, and
 * properties over random input scales and zero points.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeModel } from '../../src/frontends/description/index.js';
import { importTflite } from '../../src/frontends/tflite/import.js';
import type { Op } from '../../src/model/ir.js';
import { logisticFixed } from '../../src/numerics/fixedpoint.js';
import { prepareLogistic } from '../../src/ops/logistic/index.js';
import { logisticValue } from '../../src/ops/logistic/reference.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';
import { bytesOf } from '../codegen/helpers.js';
import { buildTflite } from '../helpers/tfliteBuilder.js';
import { allBytes, asValues, COMPILERS, runOnC, unaryGraph } from './unary.js';

const sig = (x: number, y: number): Op => ({ kind: 'logistic', name: 'sig', inputs: [x], outputs: [y] });
const S8_OUT = [1 / 256, -128] as const;
const U8_OUT = [1 / 256, 0] as const;

describe('logistic: parameters and the fixed-point logistic', () => {
  it('input scale 1/16: real 2^23 → multiplier 2^30, left shift 24, radius floor(15 · 2^27 / 2^24) = 120', () => {
    expect(prepareLogistic(1 / 16, 0)).toEqual({ inputZeroPoint: 0, inputMultiplier: 2 ** 30, inputLeftShift: 24, inputRangeRadius: 120 });
    // scale 1: shift 28, radius 7; scale 1e-4: 1e-4 · 2^27 = 13421.77 → shift 14, radius 15 · 2^13 = 122880.
    expect(prepareLogistic(1, 3)).toMatchObject({ inputLeftShift: 28, inputRangeRadius: 7 });
    expect(prepareLogistic(1e-4, 3)).toMatchObject({ inputLeftShift: 14, inputRangeRadius: 122880 });
  });

  it('gemmlowp logistic: 0 → 1/2 exactly, ±1.0 (Q4.27) → 0.7311 / 0.2689, −x = 1 − x in raw units', () => {
    expect(logisticFixed(0)).toBe(2 ** 30);
    const p = logisticFixed(2 ** 27);
    expect(Math.abs(p / 2 ** 31 - 1 / (1 + Math.exp(-1)))).toBeLessThan(1e-6);
    expect(logisticFixed(-(2 ** 27))).toBe(2147483647 - p);
  });
});

describe('logistic: hand-computed TFLite values (reference and generated C)', () => {
  it('int8 input (1/16, 0): the radius, 1/2, ±1.0, and a value rounding up to 256', () => {
    const g = unaryGraph(sig, 'int8', [1, 8], [1 / 16, 0], S8_OUT);
    // 0 → 2^30 → RDBPOT 23 = 128 → 0; 16 (1.0) → 187.15 → 187 → 59; −16 → 68.85 → 69 → −59;
    // 119 (7.44) → 255.85 → 256 → 128 → 127; 120, 127 ≥ radius → 127; −120, −128 ≤ −radius → −128.
    const input = Int8Array.from([0, 16, -16, 119, 120, 127, -120, -128]);
    const want = [0, 59, -59, 127, 127, 127, -128, -128];
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_lut_s8_c_8');
    expect(asValues(r.output, 'int8')).toEqual(want);
  });

  it('uint8 input (1/16, 128) → (1/256, 0): the same values shifted, 256 clamped to 255', () => {
    const g = unaryGraph(sig, 'uint8', [1, 6], [1 / 16, 128], U8_OUT);
    const input = Uint8Array.from([128, 144, 112, 247, 255, 0]);
    const want = [128, 187, 69, 255, 255, 0];
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
    expect(asValues(runOnC(g, input).output, 'uint8')).toEqual(want);
  });

  it('input scale much larger (1: radius 7) and much smaller (1e-4: everything near 1/2) than 1/16', () => {
    // scale 1: 3 → 243.86 → 244 → 116; 6 → 255.37 → 255 → 127; −6 → 0.63 → 1 → −127; ±7 saturate.
    const big = prepareLogistic(1, 0);
    expect([3, 6, -6, 7, -7].map((x) => logisticValue(x, big, -128, 127))).toEqual([116, 127, -127, 127, -128]);
    // scale 4: shift 30, radius floor(15 · 2^27 / 2^30) = 1, so ±1 (±4.0) already saturate: −1 gives −128, not the real −123 (4.6 / 256).
    const huge = prepareLogistic(4, 0);
    expect(huge.inputRangeRadius).toBe(1);
    expect([-1, 0, 1].map((x) => logisticValue(x, huge, -128, 127))).toEqual([-128, 0, 127]);
    // scale 1e-4, zero point −128 (an extreme): 127 is 0.0255 → 129.63 → 130 → 2; −128 is 0.0 → 0.
    const small = prepareLogistic(1e-4, -128);
    expect([127, -128, 0].map((x) => logisticValue(x, small, -128, 127))).toEqual([2, 0, 1]);
  });

  it('an int8 output other than (1/256, −128) is refused, as TFLite refuses it', () => {
    expect(() => unaryGraph(sig, 'int8', [1, 4], [0.1, 0], [1 / 256, 0])).toThrow(/logistic.*1\/256.*-128/);
    expect(() => unaryGraph(sig, 'uint8', [1, 4], [0.1, 0], [1 / 128, 0])).toThrow(/logistic.*1\/256/);
  });

  it('float32: 1 / (1 + exp(−x)) with the cut-offs at −9 and 16.619 (reference and C within float tolerance)', () => {
    const g = unaryGraph(sig, 'float32', [1, 5]);
    const input = Float32Array.from([0, 1, -10, 17, -2.5]);
    const ref = [...runGraph(g, [input]).outputs[0]!];
    expect(ref[0]).toBe(0.5);
    expect(ref[3]).toBe(1);
    expect(ref[2]).toBe(Math.fround(Math.exp(-10)));
    expect(Math.abs(ref[1]! - 1 / (1 + Math.exp(-1)))).toBeLessThan(1e-7);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_logistic_f32_c_5');
    for (const [i, v] of asValues(r.output, 'float32').entries()) expect(Math.abs(v - ref[i]!)).toBeLessThan(1e-6);
  });
});

describe('logistic: generated C equals the reference on every input byte', () => {
  it.each([
    ['int8', S8_OUT, 2],
    ['uint8', U8_OUT, 2],
  ] as const)('random input scales and zero points, %s (%i builds)', (dtype, qOut, builds) => {
    let built = 0;
    fc.assert(
      fc.property(fc.double({ min: 0.001, max: 1, noNaN: true }).map(Math.fround), fc.integer({ min: 0, max: 255 }), (sIn, zp) => {
        const lo = dtype === 'int8' ? -128 : 0;
        const g = unaryGraph(sig, dtype, [1, 16, 16, 1], [sIn, zp + lo], qOut);
        const input = allBytes(dtype);
        const want = runGraph(g, [input]).outputs[0]!;
        expect([...runOnC(g, input, COMPILERS[built++ % COMPILERS.length]!).output]).toEqual([...bytesOf(want)]);
      }),
      { numRuns: builds, seed: 23 },
    );
    expect(built).toBe(builds);
  });
});

describe('logistic: properties over random input scales and zero points', () => {
  const arb = fc.record({ sIn: fc.double({ min: 1e-4, max: 2, noNaN: true }).map(Math.fround), zp: fc.integer({ min: -128, max: 127 }) });

  it('within 1 of the real logistic · 256, non-decreasing in x, and uint8 = int8 + 128', () => {
    fc.assert(
      fc.property(arb, ({ sIn, zp }) => {
        const p = prepareLogistic(sIn, zp);
        const u = prepareLogistic(sIn, zp + 128);
        let prev = -129;
        for (let x = -128; x < 128; x++) {
          const y = logisticValue(x, p, -128, 127);
          const ideal = Math.min(127, Math.round(256 / (1 + Math.exp(-sIn * (x - zp)))) - 128);
          expect(Math.abs(y - ideal), `x ${x}`).toBeLessThanOrEqual(1);
          expect(y).toBeGreaterThanOrEqual(prev);
          expect(logisticValue(x + 128, u, 0, 255)).toBe(y + 128);
          prev = y;
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe('logistic: frontends', () => {
  it('a .tflite with LOGISTIC (uint8) imports, runs and matches its C', () => {
    const spec = {
      tensors: [
        { name: 'x', shape: [1, 2, 2, 64], type: 'UINT8' as const, quant: { scale: [0.08], zeroPoint: [200] } },
        { name: 'y', shape: [1, 2, 2, 64], type: 'UINT8' as const, quant: { scale: [1 / 256], zeroPoint: [0] } },
      ],
      operators: [{ op: 'LOGISTIC', inputs: [0], outputs: [1] }],
      inputs: [0],
      outputs: [1],
    };
    const g = prepareGraph(importTflite(buildTflite(spec), 'sig.tflite'));
    expect(g.ops.map((o) => o.kind)).toEqual(['logistic']);
    const input = Uint8Array.from({ length: 256 }, (_, i) => i);
    const ref = runGraph(g, [input]).outputs[0]!;
    // 200 is 0.0; 0 is −16.0 (≤ −radius 187); 255 is 4.4 → 252.9 → 253.
    expect([ref[200], ref[0], ref[255]]).toEqual([128, 0, 253]);
    expect(asValues(runOnC(g, input).output, 'uint8')).toEqual([...ref]);
  });

  it('a description with a logistic layer: PTQ gives it the fixed (1/256, −128) output; C equals the reference', () => {
    const desc = {
      architecture: 'layers',
      dtype: 'int8',
      weights: { seed: 5 },
      input: { height: 4, width: 4, channels: 3 },
      layers: [{ op: 'conv', filters: 8, kernel: 3 }, { op: 'logistic' }, { op: 'mean' }],
    };
    const g = prepareGraph(describeModel(JSON.stringify(desc), 'signet.json'));
    expect(g.ops.map((o) => o.kind)).toEqual(['conv2d', 'logistic', 'mean']);
    expect(g.tensors[g.ops[1]!.outputs[0]!]!.quant).toMatchObject({ scale: [1 / 256], zeroPoint: [-128] });
    const rng = new Prng(8);
    const input = Int8Array.from({ length: 48 }, () => rng.int(-128, 127));
    const ref = runGraph(g, [input]);
    const r = runOnC(g, input);
    g.ops.forEach((op, i) => {
      expect([...r.layers.get(i)!], `layer ${i} (${op.name})`).toEqual([...bytesOf(ref.values.get(op.outputs[0]!)!)]);
    });
  });
});
