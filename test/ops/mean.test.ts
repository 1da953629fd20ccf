/** MEAN over H x W: hand-computed results, generated C = reference on random shapes and quantizations, a .tflite with MEAN, a description with a mean layer. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeModel } from '../../src/frontends/description/index.js';
import { importTflite } from '../../src/frontends/tflite/import.js';
import type { Graph } from '../../src/model/ir.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';
import { GraphBuilder, asFloat32, bytesOf, q } from '../codegen/helpers.js';
import { intData } from '../codegen/graphs.js';
import { buildTflite, type ModelSpec } from '../helpers/tfliteBuilder.js';

import { COMPILERS, prepare, runOnC } from './helpers.js';

type QDType = 'int8' | 'uint8';

function meanGraph(
  shape: [number, number, number, number],
  dtype: 'float32' | QDType,
  keepDims: boolean,
  qIn?: [number, number],
  qOut?: [number, number],
  axes = [1, 2],
): Graph {
  const b = new GraphBuilder();
  const [n, , , c] = shape;
  const x = b.tensor('x', shape, dtype, qIn && { quant: q(...qIn) });
  const y = b.tensor('y', keepDims ? [n, 1, 1, c] : [n, c], dtype, qOut && { quant: q(...qOut) });
  b.op({ kind: 'mean', name: 'mean', inputs: [x], outputs: [y], keepDims, axes });
  return prepare(b.build('mean', [x], [y]));
}

describe('mean: hand-computed results (reference and generated C)', () => {
  it('int8 (0.5, -1) → (0.25, 3): sum − zp, ×2, divided by 4 rounding half away from zero', () => {
    const g = meanGraph([1, 2, 2, 3], 'int8', true, [0.5, -1], [0.25, 3]);
    // channel 0: Σ(x + 1) = 8 → 16 / 4 = 4 → 7; channel 1: 19 → 38 / 4 = 9.5 → 10 → 13; channel 2: −5 → −10 / 4 = −2.5 → −3 → 0.
    const input = Int8Array.from([1, -1, -3, 2, -1, -2, 4, 10, -2, -3, 7, -2]);
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual([7, 13, 0]);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_mean_s8_c_1x2x2x3');
    expect([...new Int8Array(r.output.buffer)]).toEqual([7, 13, 0]);
  });

  it("uint8 (0.5, 11) → (0.4, 12): TFLite's uint8 formula, raw sum × 0.625 (the element count in the multiplier) + 12 − round(11 · 0.5 / 0.4)", () => {
    const g = meanGraph([1, 1, 2, 1], 'uint8', true, [0.5, 11], [0.4, 12]);
    // MBQM(13 + 18, 0.625) = 19; offset 12 − trunc(13.75 + 0.5) = −2 → 17 (the real mean, 17.625, would round to 18).
    expect([...runGraph(g, [Uint8Array.from([13, 18])]).outputs[0]!]).toEqual([17]);
    expect([...runOnC(g, Uint8Array.from([13, 18])).output]).toEqual([17]);
  });

  it("int8 (0.3, 5) → (0.7, −2): keep_dims true takes the 4-D integer path, keep_dims false QuantizedMeanOrSum's float path", () => {
    const input = Int8Array.from([10, 4, 6, 4]);
    // Σx = 24. Direct: MBQM(24 − 20, 0.3 / 0.7) = round(1.71) = 2, (2 + 2) / 4 = 1, − 2 = −1.
    const direct = meanGraph([1, 2, 2, 1], 'int8', true, [0.3, 5], [0.7, -2]);
    expect(direct.ops[0]!.kind === 'mean' && direct.ops[0]!.meanQuant!.path).toBe('direct');
    expect([...runGraph(direct, [input]).outputs[0]!]).toEqual([-1]);
    expect([...new Int8Array(runOnC(direct, input).output.buffer)]).toEqual([-1]);
    // Float: 24 / 4 = 6, 6 · fround(0.3 / 0.7) + fround(−5 · 0.42857143) = 0.43 → 0, − 2 = −2.
    const float = meanGraph([1, 2, 2, 1], 'int8', false, [0.3, 5], [0.7, -2]);
    expect(float.ops[0]!.kind === 'mean' && float.ops[0]!.meanQuant!.path).toBe('float');
    expect([...runGraph(float, [input]).outputs[0]!]).toEqual([-2]);
    expect([...new Int8Array(runOnC(float, input).output.buffer)]).toEqual([-2]);
    // Negative axes are not TFLite's 4-D special case either.
    const negative = meanGraph([1, 2, 2, 1], 'int8', true, [0.3, 5], [0.7, -2], [-3, -2]);
    expect(negative.ops[0]!.kind === 'mean' && negative.ops[0]!.meanQuant!.path).toBe('float');
  });

  it('int8 with equal input and output quantization, keep_dims false: Σx / (H·W) truncated toward zero', () => {
    const g = meanGraph([1, 2, 2, 2], 'int8', false, [0.1, 3], [0.1, 3]);
    const input = Int8Array.from([10, -10, 4, -4, 6, -6, 5, -5]);
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual([6, -6]);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_mean_s8_c_avg_1x2x2x2');
    expect([...new Int8Array(r.output.buffer)]).toEqual([6, -6]);
  });

  it('float32, keep_dims false: [1, 2, 1, 2] → [1, 2]', () => {
    const g = meanGraph([1, 2, 1, 2], 'float32', false);
    const input = Float32Array.from([1.5, -2, 2.5, 4]);
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual([2, 1]);
    expect([...asFloat32(runOnC(g, input).output)]).toEqual([2, 1]);
  });
});

describe('mean: generated C equals the reference bit for bit', () => {
  // Output scales near the input's and data spread around the input zero point keep most means inside the
  // output range, where the multiplier, the rounding and the zero points all show; the spread reaches the clamps.
  const caseArb = fc.record({
    shape: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 24 })),
    keepDims: fc.boolean(),
    sIn: fc.double({ min: 0.002, max: 2, noNaN: true }).map(Math.fround),
    ratio: fc.double({ min: 0.3, max: 3, noNaN: true }),
    zpIn: fc.integer({ min: 0, max: 255 }),
    zpOut: fc.integer({ min: 40, max: 215 }),
    spread: fc.integer({ min: 5, max: 255 }),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  });

  it.each([
    ['int8', 3],
    ['uint8', 3],
    ['float32', 2],
  ] as const)('random shapes and quantizations, %s (%i builds, every batch and channel compared)', (dtype, builds) => {
    let built = 0;
    fc.assert(
      fc.property(caseArb, (k) => {
        const lo = dtype === 'int8' ? -128 : 0;
        const quant = dtype !== 'float32';
        const sOut = Math.fround(k.sIn * k.ratio);
        const g = meanGraph(k.shape, dtype, k.keepDims, quant ? [k.sIn, k.zpIn + lo] : undefined, quant ? [sOut, k.zpOut + lo] : undefined);
        const n = k.shape.reduce((a, b) => a * b, 1);
        const rng = new Prng(k.seed);
        const near = () => Math.min(255, Math.max(0, k.zpIn + rng.int(-k.spread, k.spread))) + lo;
        const input =
          dtype === 'int8'
            ? Int8Array.from({ length: n }, near)
            : dtype === 'uint8'
              ? Uint8Array.from({ length: n }, near)
              : Float32Array.from({ length: n }, () => rng.uniform(-100, 100));
        const want = runGraph(g, [input]).outputs[0]!;
        const r = runOnC(g, input, COMPILERS[built++ % COMPILERS.length]!);
        expect([...r.output]).toEqual([...bytesOf(want)]);
      }),
      { numRuns: builds, seed: 11 },
    );
    expect(built).toBe(builds);
  });
});

describe('mean: frontends', () => {
  it('a .tflite with MEAN (axes [-2, -3], keep_dims false, int8) imports, runs and matches its C', () => {
    const spec: ModelSpec = {
      tensors: [
        { name: 'x', shape: [1, 3, 4, 2], type: 'INT8', quant: { scale: [0.1], zeroPoint: [-5] } },
        { name: 'axes', shape: [2], type: 'INT32', data: Int32Array.from([-2, -3]) },
        { name: 'y', shape: [1, 2], type: 'INT8', quant: { scale: [0.05], zeroPoint: [2] } },
      ],
      operators: [{ op: 'MEAN', inputs: [0, 1], outputs: [2], options: { kind: 'reducer', keepDims: false } }],
      inputs: [0],
      outputs: [2],
    };
    const g = prepareGraph(importTflite(buildTflite(spec), 'mean.tflite'));
    expect(g.ops.map((o) => o.kind)).toEqual(['mean']);
    expect(g.ops[0]!.kind === 'mean' && g.ops[0]!.meanQuant!.path).toBe('float');
    const input = Int8Array.from({ length: 24 }, (_, i) => ((i * 37) % 200) - 100);
    // channel 0: Σ(x + 5) over the even indices, channel 1 over the odd ones; the mean × 2 (0.1 / 0.05) rounded, + 2.
    const sums = [0, 1].map((c) => input.filter((_, i) => i % 2 === c).reduce((s, v) => s + v + 5, 0));
    const want = sums.map((s) => Math.max(-128, Math.min(127, Math.sign(s) * Math.floor((Math.abs(2 * s) + 6) / 12) + 2)));
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
    expect([...new Int8Array(runOnC(g, input).output.buffer)]).toEqual(want);

    const bad = { ...spec, tensors: spec.tensors.map((t) => (t.name === 'axes' ? { ...t, data: Int32Array.from([1, 3]) } : t)) };
    expect(() => importTflite(buildTflite(bad), 'bad.tflite')).toThrow(
      /^bad\.tflite: operator 0 \(MEAN\): axes \[1, 3\] of a 4-D input are not supported; supported: the mean over H and W \(axes \[1, 2\]\) of a 4-D NHWC input$/,
    );
  });

  it('a description with a mean layer (int8 by post-training quantization) runs the same in C', () => {
    const desc = {
      architecture: 'layers',
      dtype: 'int8',
      weights: { seed: 3 },
      input: { height: 6, width: 6, channels: 3 },
      layers: [{ op: 'conv', filters: 8, kernel: 3, activation: 'relu6' }, { op: 'mean' }, { op: 'fc', units: 4 }],
    };
    const g = prepareGraph(describeModel(JSON.stringify(desc), 'meannet.json'));
    expect(g.ops.map((o) => o.kind)).toEqual(['conv2d', 'mean', 'fully_connected']);
    const xT = g.tensors[g.inputs[0]!]!;
    const input = intData(
      Int8Array,
      new Prng(4),
      xT.shape.reduce((a, b) => a * b, 1),
      -128,
      127,
    );
    const ref = runGraph(g, [input]);
    const r = runOnC(g, input);
    g.ops.forEach((op, i) => {
      expect([...r.layers.get(i)!], `layer ${i} (${op.name})`).toEqual([...bytesOf(ref.values.get(op.outputs[0]!)!)]);
    });
  });
});
