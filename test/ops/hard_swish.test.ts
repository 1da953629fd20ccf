/**
 * HARD_SWISH: TFLite's int16 fixed-point arithmetic computed by hand on edge
 * values, generated C (a 256-entry table) = reference on every input byte,
 * a .tflite with HARD_SWISH, a description with a hard_swish layer, and
 * properties over random scales and zero points.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeModel } from '../../src/frontends/description/index.js';
import { importTflite } from '../../src/frontends/tflite/import.js';
import type { Op } from '../../src/model/ir.js';
import {
  roundingDivideByPOT16,
  saturatingDoublingHighMul16,
  saturatingLeftShift16,
  saturatingRoundingDoublingHighMul16,
  downScaleInt32ToInt16Multiplier,
} from '../../src/numerics/fixedpoint.js';
import { prepareHardSwish } from '../../src/ops/hard_swish/index.js';
import { hardSwishValue } from '../../src/ops/hard_swish/reference.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';
import { bytesOf } from '../codegen/helpers.js';
import { buildTflite } from '../helpers/tfliteBuilder.js';
import { allBytes, asValues, COMPILERS, runOnC, unaryGraph } from './unary.js';

const hs = (x: number, y: number): Op => ({ kind: 'hard_swish', name: 'hs', inputs: [x], outputs: [y] });

describe('hard_swish: the int16 primitives', () => {
  it('rounding and truncating doubling high multiplies, saturating shifts, the int16 multiplier', () => {
    // 512 · 16384 / 2^15 = 256.0; −256 · 16384 / 2^15 = −128 exactly; −1.5 rounds toward zero in SRDHM (nudge 1 − 2^14).
    expect([saturatingRoundingDoublingHighMul16(512, 16384), saturatingRoundingDoublingHighMul16(-256, 16384)]).toEqual([256, -128]);
    expect([saturatingRoundingDoublingHighMul16(-3, 16384), saturatingRoundingDoublingHighMul16(3, 16384)]).toEqual([-1, 2]);
    expect(saturatingRoundingDoublingHighMul16(-32768, -32768)).toBe(32767);
    // SDHM truncates toward zero: 27307 · 256 / 2^15 = 213.3 → 213; 10923 · −128 / 2^15 = −42.7 → −42.
    expect([saturatingDoublingHighMul16(27307, 256), saturatingDoublingHighMul16(10923, -128), saturatingDoublingHighMul16(-32768, -32768)]).toEqual([
      213, -42, 32767,
    ]);
    // RDBPOT: halves away from zero (±1.5 → ±2), −47/32 → −1; shifts of 16 or more see gemmlowp's int16 mask −1.
    expect([roundingDivideByPOT16(48, 5), roundingDivideByPOT16(-48, 5), roundingDivideByPOT16(-47, 5)]).toEqual([2, -2, -1]);
    expect([roundingDivideByPOT16(0, 16), roundingDivideByPOT16(300, 20), roundingDivideByPOT16(-300, 20)]).toEqual([1, 1, -1]);
    expect([saturatingLeftShift16(16256, 5), saturatingLeftShift16(-16384, 5), saturatingLeftShift16(512, 5)]).toEqual([32767, -32768, 16384]);
    expect([downScaleInt32ToInt16Multiplier(1 << 30), downScaleInt32ToInt16Multiplier(1431655808), downScaleInt32ToInt16Multiplier(2147483647)]).toEqual([
      16384, 21845, 32767,
    ]);
  });

  it("HardSwishPrepare's parameters: int8 (0.5, 0) → (0.25, 0)", () => {
    // hires = 0.5 / 128 = 2^-8: output 2^-8 / 0.25 = 2^-6 → (2^30, −5) → 16384; reluish 2^-8 / (3 / 2^15) = fround(128 / 3) → (1431655808, 6) → 21845.
    expect(prepareHardSwish(0.5, 0, 0.25, 0)).toEqual({
      inputZeroPoint: 0,
      outputZeroPoint: 0,
      reluishMultiplier: 21845,
      reluishExponent: 6,
      outputMultiplier: 16384,
      outputExponent: -5,
    });
  });
});

describe('hard_swish: hand-computed TFLite values (reference and generated C)', () => {
  it('int8 (0.5, 0) → (0.25, 0): inside the ramp, the negative dip, both saturations', () => {
    const g = unaryGraph(hs, 'int8', [1, 2, 2, 2], [0.5, 0], [0.25, 0]);
    // x = 4 (2.0): hires 512, preshift 256, reluish SLS(512, 5) = 16384 → SRDHM 10923 → ×2 21846 → 27307; SDHM 213 → RDBPOT(213, 5) = 7 (ideal 6.67).
    // x = −2 (−1.0): hires −256, preshift −128, reluish −8192 → −5461 → −10922 → 10923; SDHM −42 → RDBPOT(−42, 5) = −1 (−1.3125).
    // x = −128 (−64): reluish saturates at −32768 → 0, output 0. x = 127 (63.5): reluish 32767, SDHM(32767, 8128) = 8127 → 254 → 127.
    // x = 0 → 0; x = 1 (0.5): hires 128, preshift 64, reluish SLS(128,5)=4096 → 2731 → 5462 → 19115; SDHM 37 → RDBPOT 1 (ideal 1.17).
    // x = −6 (−3.0): reluish −24576 → −16384 → −32768 → 0 → 0; x = 12 (6.0): 6 · 6 / 6 = 6 → 24.
    const input = Int8Array.from([4, -2, -128, 127, 0, 1, -6, 12]);
    const want = [7, -1, 0, 127, 0, 1, 0, 24];
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_lut_s8_c_2x2x2');
    expect(asValues(r.output, 'int8')).toEqual(want);
    // Elementwise: the output runs in place over the input (one 16-byte block for both).
    expect([r.project.arena.offsets.get(g.inputs[0]!), r.project.arena.offsets.get(g.outputs[0]!), r.project.arena.bytes]).toEqual([0, 0, 16]);
  });

  it('uint8 zero points at the extremes: input 255, output 255 and 0', () => {
    // (0.5, 255) → (0.25, 255): x = 255 is 0.0 → 255; x = 253 is −1.0 → −1 + 255 = 254; x = 0 (−127.5) → 0 + 255.
    const hi = unaryGraph(hs, 'uint8', [1, 3], [0.5, 255], [0.25, 255]);
    expect([...runGraph(hi, [Uint8Array.from([255, 253, 0])]).outputs[0]!]).toEqual([255, 254, 255]);
    // (0.5, 0) → (0.25, 0): every input is ≥ 0.0, so the output is the ramp then x itself, saturating at 255 (x = 127: 254, x = 128: 256 → 255).
    const lo = unaryGraph(hs, 'uint8', [1, 5], [0.5, 0], [0.25, 0]);
    expect([...runGraph(lo, [Uint8Array.from([0, 4, 12, 127, 128])]).outputs[0]!]).toEqual([0, 7, 24, 254, 255]);
  });

  it('input scale much larger than the output scale is refused as TFLite refuses it (output exponent > 0)', () => {
    expect(() => unaryGraph(hs, 'int8', [1, 4], [1, 0], [1 / 256, 0])).toThrow(/hard_swish.*output exponent/);
  });

  it('input scale much smaller than the output scale: right shifts past 15 bits', () => {
    // sIn = 2^-10, sOut = 2^4: output multiplier 2^-21 → exponent −20 (gemmlowp's int16 mask −1: ±1 for every value, 0 for 0).
    const p = prepareHardSwish(2 ** -10, 0, 16, 0);
    expect(p.outputExponent).toBe(-20);
    expect([-128, -1, 0, 1, 127].map((x) => hardSwishValue(x, p, -128, 127))).toEqual([-1, -1, 1, 1, 1]);
  });

  it('float32: x · relu6(x + 3) / 6 rounded at each step (reference and C)', () => {
    const g = unaryGraph(hs, 'float32', [1, 6]);
    const input = Float32Array.from([-4, -3, -1.5, 0.1, 2.9, 7]);
    const f = Math.fround;
    // −4 · 0 is −0 in float arithmetic, as in TFLite.
    const want = [-0, -0, f(f(-1.5 * 1.5) / 6), f(f(f(0.1) * f(f(0.1) + 3)) / 6), f(f(f(2.9) * f(f(2.9) + 3)) / 6), 7];
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_hardswish_f32_c_6');
    expect(asValues(r.output, 'float32')).toEqual(want);
  });
});

describe('hard_swish: generated C equals the reference on every input byte', () => {
  const caseArb = fc.record({
    sIn: fc.double({ min: 0.001, max: 2, noNaN: true }).map(Math.fround),
    ratio: fc.double({ min: 1 / 100, max: 20, noNaN: true }),
    zpIn: fc.integer({ min: 0, max: 255 }),
    zpOut: fc.integer({ min: 0, max: 255 }),
    extra: fc.integer({ min: 0, max: 7 }),
  });
  it.each([
    ['int8', 2],
    ['uint8', 2],
  ] as const)('random scales and zero points, %s (%i builds, 256 + a tail of values each)', (dtype, builds) => {
    let built = 0;
    fc.assert(
      fc.property(caseArb, (k) => {
        const lo = dtype === 'int8' ? -128 : 0;
        const n = 256 + k.extra;
        const g = unaryGraph(hs, dtype, [1, n], [k.sIn, k.zpIn + lo], [Math.fround(k.sIn * k.ratio), k.zpOut + lo]);
        const bytes = allBytes(dtype);
        const input = dtype === 'int8' ? Int8Array.from({ length: n }, (_, i) => bytes[i % 256]!) : Uint8Array.from({ length: n }, (_, i) => bytes[i % 256]!);
        const want = runGraph(g, [input]).outputs[0]!;
        const r = runOnC(g, input, COMPILERS[built++ % COMPILERS.length]!);
        expect([...r.output]).toEqual([...bytesOf(want)]);
      }),
      { numRuns: builds, seed: 17 },
    );
    expect(built).toBe(builds);
  });
});

describe('hard_swish: properties over random scales and zero points', () => {
  const arb = fc.record({
    sIn: fc.double({ min: 0.001, max: 1, noNaN: true }).map(Math.fround),
    ratio: fc.double({ min: 1 / 100, max: 10, noNaN: true }),
    zpIn: fc.integer({ min: -128, max: 127 }),
    zpOut: fc.integer({ min: -128, max: 127 }),
  });

  it('every output within 1 of the real hard swish rounded to the output scale', () => {
    fc.assert(
      fc.property(arb, ({ sIn, ratio, zpIn, zpOut }) => {
        const sOut = Math.fround(sIn * ratio);
        const p = prepareHardSwish(sIn, zpIn, sOut, zpOut);
        for (let x = -128; x < 128; x++) {
          const r = sIn * (x - zpIn);
          const ideal = Math.max(-128, Math.min(127, Math.round((r * Math.min(6, Math.max(0, r + 3))) / 6 / sOut) + zpOut));
          expect(Math.abs(hardSwishValue(x, p, -128, 127) - ideal), `x ${x}`).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 200, seed: 5 },
    );
  });

  it('uint8 is int8 shifted by 128 (input, zero points and output)', () => {
    fc.assert(
      fc.property(arb, ({ sIn, ratio, zpIn, zpOut }) => {
        const sOut = Math.fround(sIn * ratio);
        const s8 = prepareHardSwish(sIn, zpIn, sOut, zpOut);
        const u8 = prepareHardSwish(sIn, zpIn + 128, sOut, zpOut + 128);
        for (let x = -128; x < 128; x++) expect(hardSwishValue(x + 128, u8, 0, 255)).toBe(hardSwishValue(x, s8, -128, 127) + 128);
      }),
      { numRuns: 100, seed: 6 },
    );
  });
});

describe('hard_swish: frontends', () => {
  it('a .tflite with HARD_SWISH (int8) imports, runs and matches its C', () => {
    const spec = {
      tensors: [
        { name: 'x', shape: [1, 4, 4, 3], type: 'INT8' as const, quant: { scale: [0.05], zeroPoint: [10] } },
        { name: 'y', shape: [1, 4, 4, 3], type: 'INT8' as const, quant: { scale: [0.03], zeroPoint: [-100] } },
      ],
      operators: [{ op: 'HARD_SWISH', inputs: [0], outputs: [1] }],
      inputs: [0],
      outputs: [1],
    };
    const g = prepareGraph(importTflite(buildTflite(spec), 'hs.tflite'));
    expect(g.ops.map((o) => o.kind)).toEqual(['hard_swish']);
    const input = Int8Array.from({ length: 48 }, (_, i) => ((i * 53) % 256) - 128);
    const ref = runGraph(g, [input]).outputs[0]!;
    // Within 1 of the real function (the arithmetic's error bound, asserted above), and the C equal to it.
    input.forEach((x, i) => {
      const r = 0.05 * (x - 10);
      expect(Math.abs(ref[i]! - Math.max(-128, Math.min(127, Math.round((r * Math.min(6, Math.max(0, r + 3))) / 6 / 0.03) - 100)))).toBeLessThanOrEqual(1);
    });
    expect(asValues(runOnC(g, input).output, 'int8')).toEqual([...ref]);
  });

  it('a description with a hard_swish layer (int8 by post-training quantization) runs the same in C', () => {
    const desc = {
      architecture: 'layers',
      dtype: 'int8',
      weights: { seed: 3 },
      input: { height: 6, width: 6, channels: 3 },
      layers: [{ op: 'conv', filters: 8, kernel: 3 }, { op: 'hard_swish' }, { op: 'mean' }, { op: 'fc', units: 4 }],
    };
    const g = prepareGraph(describeModel(JSON.stringify(desc), 'hsnet.json'));
    expect(g.ops.map((o) => o.kind)).toEqual(['conv2d', 'hard_swish', 'mean', 'fully_connected']);
    // PTQ gives the hard swish its own calibrated output range (a minimum near −0.375, not the conv's).
    const hsOut = g.tensors[g.ops[1]!.outputs[0]!]!.quant!;
    const convOut = g.tensors[g.ops[0]!.outputs[0]!]!.quant!;
    expect(hsOut.scale[0]).not.toBe(convOut.scale[0]);
    const rng = new Prng(4);
    const input = Int8Array.from({ length: 108 }, () => rng.int(-128, 127));
    const ref = runGraph(g, [input]);
    const r = runOnC(g, input);
    g.ops.forEach((op, i) => {
      expect([...r.layers.get(i)!], `layer ${i} (${op.name})`).toEqual([...bytesOf(ref.values.get(op.outputs[0]!)!)]);
    });
  });
});
