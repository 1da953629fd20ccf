/**
 * Standalone RELU / RELU6 / RELU_N1_TO_1: TFLite's quantized ReluX (rescale
 * to the output quantization, then clamp) by hand, the fusion rule (fused only
 * when exact), generated C (a 256-entry table) = reference on every input
 * byte, a .tflite with CONV_2D + RELU, a description with relu / relu6 layers,
 * and properties over random scales and zero points.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeModel } from '../../src/frontends/description/index.js';
import { importTflite } from '../../src/frontends/tflite/import.js';
import type { Activation, Op } from '../../src/model/ir.js';
import { prepareRelu } from '../../src/ops/activation/index.js';
import { reluQuant } from '../../src/ops/activation/reference.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';
import { bytesOf } from '../codegen/helpers.js';
import { buildTflite, type ModelSpec } from '../helpers/tfliteBuilder.js';
import { allBytes, asValues, COMPILERS, runOnC, unaryGraph } from './unary.js';

const act =
  (activation: Activation) =>
  (x: number, y: number): Op => ({ kind: 'activation', name: activation, inputs: [x], outputs: [y], activation });

describe('relu: hand-computed TFLite values (reference and generated C)', () => {
  it('int8 relu and relu6 (0.1, −28) → (0.05, −128): ×2 then the clamp', () => {
    // 0.1f / 0.05f = 2 → (2^30, 2). relu: [−128, 127]; relu6: max −128 + round(6 / 0.05) = −8.
    // −28 → 0 → −128; −100 → −144 − 128 → −128; 0 → 56 − 128 = −72; 30 → 116 − 128 = −12; 35 → −2 (relu6: −8); 127 → 182 → 127 (relu6: −8).
    const input = Int8Array.from([-28, -100, 0, 30, 35, 127]);
    const relu = unaryGraph(act('relu'), 'int8', [1, 6], [0.1, -28], [0.05, -128]);
    expect([...runGraph(relu, [input]).outputs[0]!]).toEqual([-128, -128, -72, -12, -2, 127]);
    const relu6 = unaryGraph(act('relu6'), 'int8', [1, 6], [0.1, -28], [0.05, -128]);
    expect([...runGraph(relu6, [input]).outputs[0]!]).toEqual([-128, -128, -72, -12, -8, -8]);
    const r = runOnC(relu6, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_lut_s8_c_6');
    expect(asValues(r.output, 'int8')).toEqual([-128, -128, -72, -12, -8, -8]);
  });

  it('relu_n1_to_1, uint8 (0.1, 128) → (0.025, 128), ratio 4 and 1/4: negative halves round away from zero', () => {
    // ×4: 120 → −32 + 128 = 96, clamp [128 − 40, 128 + 40] = [88, 168]: 120 → 96; 100 → −112 → 88; 140 → 176 → 168.
    const up = unaryGraph(act('relu_n1_to_1'), 'uint8', [1, 3], [0.1, 128], [0.025, 128]);
    expect([...runGraph(up, [Uint8Array.from([120, 100, 140])]).outputs[0]!]).toEqual([96, 88, 168]);
    // ×1/4 = (2^30, −1): −6 → SRDHM −3 → RDBPOT(−3, 1) = −2 (−1.5 away from zero); +6 → 2; −5 → −1.25 → −1; clamp [128 − 10, 128 + 10]: 0 → −32 → 118.
    const down = unaryGraph(act('relu_n1_to_1'), 'uint8', [1, 4], [0.025, 128], [0.1, 128]);
    const input = Uint8Array.from([122, 134, 123, 0]);
    expect([...runGraph(down, [input]).outputs[0]!]).toEqual([126, 130, 127, 118]);
    expect(asValues(runOnC(down, input).output, 'uint8')).toEqual([126, 130, 127, 118]);
  });

  it('zero points at the extremes: an int8 output zero point of 127 leaves relu only 127; uint8 input zero point 255', () => {
    const top = unaryGraph(act('relu'), 'int8', [1, 3], [0.1, 0], [0.1, 127]);
    expect([...runGraph(top, [Int8Array.from([-128, 0, 127])]).outputs[0]!]).toEqual([127, 127, 127]);
    // (1, 255) → (0.5, 0): every input ≤ 0.0, relu gives 0 everywhere.
    const u = unaryGraph(act('relu'), 'uint8', [1, 3], [1, 255], [0.5, 0]);
    expect([...runGraph(u, [Uint8Array.from([0, 200, 255])]).outputs[0]!]).toEqual([0, 0, 0]);
  });

  it('input scale much larger (×1000: shift 10, saturation) and much smaller (×1/1000) than the output', () => {
    const big = prepareRelu('relu', 'int8', 1, 0, 0.001, -128);
    expect([0, 1, -1].map((x) => reluQuant(Int8Array.of(x), big, new Int8Array(1))[0])).toEqual([-128, 127, -128]);
    // 127 · 0.001 = 0.127 → 0; 500 would be needed for 1.
    const small = prepareRelu('relu6', 'int8', 0.001, 0, 1, 0);
    expect([127, -128, 0].map((x) => reluQuant(Int8Array.of(x), small, new Int8Array(1))[0])).toEqual([0, 0, 0]);
  });

  it('float32 relu and relu6 (reference and C)', () => {
    const input = Float32Array.from([-1, 0, 3.5, 7]);
    const g = unaryGraph(act('relu6'), 'float32', [1, 4]);
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual([0, 0, 3.5, 6]);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_act_f32_c_relu6_4');
    expect(asValues(r.output, 'float32')).toEqual([0, 0, 3.5, 6]);
  });
});

describe('relu: generated C equals the reference on every input byte', () => {
  const arb = fc.record({
    activation: fc.constantFrom<Activation>('relu', 'relu6', 'relu_n1_to_1'),
    sIn: fc.double({ min: 0.001, max: 1, noNaN: true }).map(Math.fround),
    ratio: fc.double({ min: 0.05, max: 20, noNaN: true }),
    zpIn: fc.integer({ min: 0, max: 255 }),
    zpOut: fc.integer({ min: 0, max: 255 }),
  });
  it.each([
    ['int8', 2],
    ['uint8', 2],
  ] as const)('random activations, scales and zero points, %s (%i builds)', (dtype, builds) => {
    let built = 0;
    fc.assert(
      fc.property(arb, (k) => {
        const lo = dtype === 'int8' ? -128 : 0;
        const g = unaryGraph(act(k.activation), dtype, [1, 256], [k.sIn, k.zpIn + lo], [Math.fround(k.sIn * k.ratio), k.zpOut + lo]);
        const input = allBytes(dtype);
        const want = runGraph(g, [input]).outputs[0]!;
        expect([...runOnC(g, input, COMPILERS[built++ % COMPILERS.length]!).output]).toEqual([...bytesOf(want)]);
      }),
      { numRuns: builds, seed: 29 },
    );
    expect(built).toBe(builds);
  });
});

describe('relu: properties over random scales and zero points', () => {
  const arb = fc.record({
    activation: fc.constantFrom<Activation>('relu', 'relu6', 'relu_n1_to_1'),
    sIn: fc.double({ min: 0.001, max: 1, noNaN: true }).map(Math.fround),
    sOut: fc.double({ min: 0.001, max: 1, noNaN: true }).map(Math.fround),
    zpIn: fc.integer({ min: -128, max: 127 }),
    zpOut: fc.integer({ min: -128, max: 127 }),
  });

  it('within 1 of the real activation on the output scale; equal quantization is the plain clamp; uint8 = int8 + 128', () => {
    fc.assert(
      fc.property(arb, ({ activation, sIn, sOut, zpIn, zpOut }) => {
        const p = prepareRelu(activation, 'int8', sIn, zpIn, sOut, zpOut);
        const same = prepareRelu(activation, 'int8', sIn, zpIn, sIn, zpIn);
        const u = prepareRelu(activation, 'uint8', sIn, zpIn + 128, sOut, zpOut + 128);
        const [lo, hi] = activation === 'relu' ? [0, Infinity] : activation === 'relu6' ? [0, 6] : [-1, 1];
        const x = allBytes('int8');
        const y = reluQuant(x, p, new Int8Array(256));
        const ySame = reluQuant(x, same, new Int8Array(256));
        const yU = reluQuant(allBytes('uint8'), u, new Uint8Array(256));
        for (let i = 0; i < 256; i++) {
          const real = Math.min(hi, Math.max(lo, sIn * (x[i]! - zpIn)));
          const ideal = Math.max(-128, Math.min(127, Math.round(real / sOut) + zpOut));
          expect(Math.abs(y[i]! - ideal), `x ${x[i]}`).toBeLessThanOrEqual(1);
          expect(ySame[i]).toBe(Math.max(same.actMin, Math.min(same.actMax, x[i]!)));
          expect(yU[i]).toBe(y[i]! + 128);
        }
      }),
      { numRuns: 200, seed: 31 },
    );
  });
});

describe('relu: fusion and frontends', () => {
  const spec = (reluOut: readonly [number, number]): ModelSpec => ({
    tensors: [
      { name: 'x', shape: [1, 2, 2, 2], type: 'INT8', quant: { scale: [0.1], zeroPoint: [0] } },
      { name: 'w', shape: [3, 1, 1, 2], type: 'INT8', data: Int8Array.from([50, -30, -70, 20, 127, -128]), quant: { scale: [0.02], zeroPoint: [0] } },
      { name: 'b', shape: [3], type: 'INT32', data: Int32Array.from([100, -200, 0]), quant: { scale: [0.002], zeroPoint: [0] } },
      { name: 'c', shape: [1, 2, 2, 3], type: 'INT8', quant: { scale: [0.05], zeroPoint: [-10] } },
      { name: 'y', shape: [1, 2, 2, 3], type: 'INT8', quant: { scale: [reluOut[0]], zeroPoint: [reluOut[1]] } },
    ],
    operators: [
      { op: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], options: { kind: 'conv2d', padding: 'valid' } },
      { op: 'RELU', inputs: [3], outputs: [4] },
    ],
    inputs: [0],
    outputs: [4],
  });
  const input = Int8Array.from([100, -50, 20, 127, -128, 0, 64, -64]);

  it('CONV_2D + RELU with a different output quantization stays two layers (TFLite rounds twice), and the C matches', () => {
    const g = prepareGraph(importTflite(buildTflite(spec([0.03, -128])), 'relu.tflite'));
    expect(g.ops.map((o) => o.kind)).toEqual(['conv2d', 'activation']);
    const ref = runGraph(g, [input]);
    const conv = ref.values.get(g.ops[0]!.outputs[0]!)!;
    // relu: (0.05, −10) → (0.03, −128), each value MBQM(c + 10, 5/3) − 128 clamped below at −128.
    const p = prepareRelu('relu', 'int8', 0.05, -10, 0.03, -128);
    expect([...ref.outputs[0]!]).toEqual([...reluQuant(conv as Int8Array, p, new Int8Array(12))]);
    const r = runOnC(g, input);
    expect(r.project.layers[1]!.kernel).toBe('mobilec_lut_s8_c_2x2x3');
    expect(asValues(r.output, 'int8')).toEqual([...ref.outputs[0]!]);
  });

  it('CONV_2D + RELU with equal quantization fuses (exact: the clamp of the same values)', () => {
    const g = prepareGraph(importTflite(buildTflite(spec([0.05, -10])), 'relu.tflite'));
    expect(g.ops.map((o) => o.kind)).toEqual(['conv2d']);
    expect(g.ops[0]!.kind === 'conv2d' && g.ops[0]!.activation).toBe('relu');
  });

  it('a description with relu and relu6 layers after a mean (nothing to fuse into): PTQ, C equals the reference', () => {
    const desc = {
      architecture: 'layers',
      dtype: 'int8',
      weights: { seed: 7 },
      input: { height: 4, width: 4, channels: 4 },
      layers: [{ op: 'conv', filters: 8, kernel: 3 }, { op: 'mean' }, { op: 'relu6' }, { op: 'fc', units: 6 }, { op: 'relu' }],
    };
    const g = prepareGraph(describeModel(JSON.stringify(desc), 'relunet.json'));
    expect(g.ops.map((o) => o.kind)).toEqual(['conv2d', 'mean', 'activation', 'fully_connected']);
    const rng = new Prng(9);
    const x = Int8Array.from({ length: 64 }, () => rng.int(-128, 127));
    const ref = runGraph(g, [x]);
    const r = runOnC(g, x);
    g.ops.forEach((op, i) => {
      expect([...r.layers.get(i)!], `layer ${i} (${op.name})`).toEqual([...bytesOf(ref.values.get(op.outputs[0]!)!)]);
    });
  });
});
