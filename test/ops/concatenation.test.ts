/** CONCATENATION on the channel axis: hand-computed ConcatenationWithScaling values, generated C = reference on random cases, a .tflite with CONCATENATION. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { importTflite } from '../../src/frontends/tflite/import.js';
import type { DType, Graph, TensorData } from '../../src/model/ir.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';
import { GraphBuilder, asFloat32, bytesOf, q } from '../codegen/helpers.js';
import { intData } from '../codegen/graphs.js';
import { buildTflite, type ModelSpec } from '../helpers/tfliteBuilder.js';

import { COMPILERS, prepare, runOnC } from './helpers.js';

type QP = [number, number];

/** Input 0 is the graph input ([...outer, c0]); inputs 1.. are constants. */
function concatGraph(dtype: DType, outerShape: number[], inputs: { c: number; q?: QP; data?: TensorData }[], qOut?: QP, axis = -1): Graph {
  const b = new GraphBuilder();
  const ids = inputs.map((k, i) => b.tensor(`x${i}`, [...outerShape, k.c], dtype, { ...(k.q && { quant: q(...k.q) }), ...(i > 0 && { data: k.data! }) }));
  const total = inputs.reduce((a, k) => a + k.c, 0);
  const y = b.tensor('y', [...outerShape, total], dtype, qOut && { quant: q(...qOut) });
  b.op({ kind: 'concatenation', name: 'concat', inputs: ids, outputs: [y], axis });
  return prepare(b.build('concat', [ids[0]!], [y]));
}

const outOf = (dtype: DType, d: Uint8Array): number[] =>
  dtype === 'int8' ? [...new Int8Array(d.buffer, d.byteOffset, d.length)] : dtype === 'uint8' ? [...d] : [...asFloat32(d)];

function expectBoth(g: Graph, input: TensorData, want: number[], dtype: DType): string {
  expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
  const r = runOnC(g, input);
  expect(outOf(dtype, r.output)).toEqual(want);
  return r.project.layers[0]!.kernel!;
}

describe('concatenation: hand-computed values (reference and generated C)', () => {
  it('uint8: input 0 quantized like the output is copied; input 1 (0.25, 10) → (0.5, 128) rescaled, halves away from zero', () => {
    // scale = 0.25 · (1 / 0.5) = 0.5, bias = −10 · 0.5 = −5: 13 → 1.5 → 2 → 130; 11 → 0.5 → 1 → 129; 9 → −0.5 → −1 → 127;
    // 7 → −1.5 → −2 → 126; 255 → 122.5 → 123 → 251; 0 → −5 → 123.
    const g = concatGraph(
      'uint8',
      [1, 2],
      [
        { c: 1, q: [0.5, 128] },
        { c: 3, q: [0.25, 10], data: Uint8Array.from([13, 11, 9, 7, 255, 0]) },
      ],
      [0.5, 128],
    );
    const op = g.ops[0]!;
    expect(op.kind === 'concatenation' && op.concatQuant!.inputs.map((p) => p.copy)).toEqual([true, false]);
    const kernel = expectBoth(g, Uint8Array.from([0, 255]), [0, 130, 129, 127, 255, 126, 251, 123], 'uint8');
    expect(kernel).toBe('mobilec_concat_u8_c_2_1x3');
  });

  it('int8 with very different scales (1000 → 0.001: ×10^6) saturates both ways; an extreme zero point (−128 → 127)', () => {
    const g = concatGraph(
      'int8',
      [1, 1, 1],
      [
        { c: 3, q: [1000, 0] },
        { c: 3, q: [0.5, -128], data: Int8Array.from([-128, 127, 0]) },
      ],
      [0.001, 0],
    );
    // Input 1: (x + 128) · 500, all ≥ 0: −128 → 0; 127 → 127500 → 127; 0 → 64000 → 127.
    expectBoth(g, Int8Array.from([1, -1, 0]), [127, -128, 0, 0, 127, 127], 'int8');
    const h = concatGraph(
      'int8',
      [2],
      [
        { c: 1, q: [0.25, -128] },
        { c: 1, q: [0.25, -128], data: Int8Array.from([-128, 127]) },
      ],
      [0.5, 127],
    );
    // scale 0.5, bias 64: −128 → 0 → 127 (clamped); 127 → 127.5 + 64 = 191.5 → 192 + 127 → 127; −100 → 14 + 64 = 78 → 205 → 127.
    expectBoth(h, Int8Array.from([-128, -100]), [127, 127, 127, 127], 'int8');
  });

  it('int8 rescale into a negative output zero point: (0.5, 3) → (0.25, −100)', () => {
    // scale 2, bias −6: −128 → −262 → −362 → −128; 3 → 0 → −100; 20 → 34 → −66; 80 → 154 → 54.
    const g = concatGraph('int8', [1, 4], [{ c: 1, q: [0.5, 3] }], [0.25, -100]);
    expectBoth(g, Int8Array.from([-128, 3, 20, 80]), [-128, -100, -66, 54], 'int8');
  });

  it('float32, three inputs on [1, 2, 1, c]', () => {
    const g = concatGraph('float32', [1, 2, 1], [{ c: 1 }, { c: 2, data: Float32Array.from([1, 2, 3, 4]) }, { c: 1, data: Float32Array.from([-1, -2]) }]);
    expectBoth(g, Float32Array.from([0.5, 1.5]), [0.5, 1, 2, -1, 1.5, 3, 4, -2], 'float32');
  });

  it('refuses another axis', () => {
    expect(() => concatGraph('float32', [1, 2], [{ c: 1 }, { c: 1, data: Float32Array.from([1, 2]) }], undefined, 1)).toThrow(
      /axis 1 is not supported \(supported: the last axis, -1 or 2\)/,
    );
  });
});

describe('concatenation: generated C equals the reference bit for bit', () => {
  const caseArb = fc.record({
    outer: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    inputs: fc.array(
      fc.record({
        c: fc.integer({ min: 1, max: 9 }),
        same: fc.boolean(),
        s: fc.double({ min: 0.01, max: 2, noNaN: true }).map(Math.fround),
        zp: fc.integer({ min: 0, max: 255 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    sOut: fc.double({ min: 0.01, max: 2, noNaN: true }).map(Math.fround),
    zpOut: fc.integer({ min: 0, max: 255 }),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  });

  it.each([
    ['int8', 4],
    ['uint8', 4],
    ['float32', 2],
  ] as const)('random channel splits and quantizations, %s (%i builds)', (dtype, builds) => {
    let built = 0;
    fc.assert(
      fc.property(caseArb, (k) => {
        const lo = dtype === 'int8' ? -128 : 0;
        const quant = dtype !== 'float32';
        const rng = new Prng(k.seed);
        const outer = [1, ...k.outer];
        const n = (c: number) => outer.reduce((a, b) => a * b, c);
        const data = (m: number) =>
          dtype === 'int8'
            ? intData(Int8Array, rng, m, -128, 127)
            : dtype === 'uint8'
              ? intData(Uint8Array, rng, m, 0, 255)
              : Float32Array.from({ length: m }, () => rng.uniform(-8, 8));
        const qOut: QP = [k.sOut, k.zpOut + lo];
        const inputs = k.inputs.map((i, idx) => ({
          c: i.c,
          ...(quant && { q: (i.same ? qOut : [i.s, i.zp + lo]) as QP }),
          ...(idx > 0 && { data: data(n(i.c)) }),
        }));
        const g = concatGraph(dtype, outer, inputs, quant ? qOut : undefined);
        const input = data(n(k.inputs[0]!.c));
        const want = runGraph(g, [input]).outputs[0]!;
        const r = runOnC(g, input, COMPILERS[built++ % COMPILERS.length]!);
        expect([...r.output]).toEqual([...bytesOf(want)]);
      }),
      { numRuns: builds, seed: 5 },
    );
    expect(built).toBe(builds);
  });
});

describe('concatenation: TFLite import', () => {
  it('a .tflite with CONCATENATION (axis −1, uint8, a constant second input) imports, runs and matches its C; axis 1 is refused', () => {
    const spec: ModelSpec = {
      tensors: [
        { name: 'x', shape: [1, 1, 2, 2], type: 'UINT8', quant: { scale: [0.5], zeroPoint: [128] } },
        { name: 'c', shape: [1, 1, 2, 1], type: 'UINT8', data: Uint8Array.from([13, 9]), quant: { scale: [0.25], zeroPoint: [10] } },
        { name: 'y', shape: [1, 1, 2, 3], type: 'UINT8', quant: { scale: [0.5], zeroPoint: [128] } },
      ],
      operators: [{ op: 'CONCATENATION', inputs: [0, 1], outputs: [2], options: { kind: 'concatenation', axis: -1 } }],
      inputs: [0],
      outputs: [2],
    };
    const g = prepareGraph(importTflite(buildTflite(spec), 'concat.tflite'));
    expect(g.ops.map((o) => o.kind)).toEqual(['concatenation']);
    const input = Uint8Array.from([1, 2, 3, 4]);
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual([1, 2, 130, 3, 4, 127]);
    expect([...runOnC(g, input).output]).toEqual([1, 2, 130, 3, 4, 127]);
    const bad = { ...spec, operators: [{ ...spec.operators[0]!, options: { kind: 'concatenation' as const, axis: 1 } }] };
    expect(() => importTflite(buildTflite(bad), 'bad.tflite')).toThrow(
      /^bad\.tflite: operator 0 \(CONCATENATION\): axis 1 of a 4-D input is not supported; supported: the last \(channel\) axis$/,
    );
  });
});
