/**
 * MUL (and ADD's broadcasting): hand-computed TFLite values, generated C = reference on random shapes,
 * scales, zero points and broadcast forms, a squeeze-excite block as a .tflite and as a description.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { broadcastPlan, operandIndex } from '../../src/ops/shared/broadcast.js';
import { describeModel } from '../../src/frontends/description/index.js';
import { importTflite } from '../../src/frontends/tflite/import.js';
import type { Activation, DType, Graph, TensorData } from '../../src/model/ir.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/host.js';
import { Prng } from '../../src/util/prng.js';
import { GraphBuilder, asFloat32, bytesOf, q } from '../codegen/helpers.js';
import { intData } from '../codegen/graphs.js';
import { buildTflite, type ModelSpec } from '../helpers/tfliteBuilder.js';

import { COMPILERS, prepare, runOnC } from './helpers.js';

type QDType = 'int8' | 'uint8';
type QP = [number, number];

interface BinaryCase {
  kind: 'mul' | 'add';
  dtype: 'float32' | QDType;
  shape1: number[];
  shape2: number[];
  q1?: QP;
  q2?: QP;
  qOut?: QP;
  activation?: Activation;
  /** Input 1 as a constant (else a second graph input is not possible: input 1 is computed by a copy of input 0's graph). */
  const2?: TensorData;
}

/**
 * One binary op. Input 1 is either a constant or, when input 0 has its shape, computed from the graph
 * input by a reshape-free identity: the test feeds one input, so input 1 is then a constant.
 */
function binaryGraph(k: BinaryCase): Graph {
  const b = new GraphBuilder();
  const bcShape = (a: number[], c: number[]) => {
    const r = Math.max(a.length, c.length);
    return Array.from({ length: r }, (_, i) => Math.max(a[a.length - r + i] ?? 1, c[c.length - r + i] ?? 1));
  };
  const x = b.tensor('x', k.shape1, k.dtype as DType, k.q1 && { quant: q(...k.q1) });
  const x2 = b.tensor('x2', k.shape2, k.dtype as DType, { ...(k.q2 && { quant: q(...k.q2) }), data: k.const2! });
  const y = b.tensor('y', bcShape(k.shape1, k.shape2), k.dtype as DType, k.qOut && { quant: q(...k.qOut) });
  b.op({ kind: k.kind, name: k.kind, inputs: [x, x2], outputs: [y], activation: k.activation ?? 'none' });
  return prepare(b.build(k.kind, [x], [y]));
}

const outOf = (dtype: 'float32' | QDType, d: Uint8Array): number[] =>
  dtype === 'int8' ? [...new Int8Array(d.buffer, d.byteOffset, d.length)] : dtype === 'uint8' ? [...d] : [...asFloat32(d)];

/** Reference and generated C both give `want`; returns the kernel name. */
function expectBoth(g: Graph, input: TensorData, want: number[], dtype: 'float32' | QDType): string {
  expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
  const r = runOnC(g, input);
  expect(outOf(dtype, r.output)).toEqual(want);
  return r.project.layers[0]!.kernel!;
}

describe('mul: hand-computed TFLite values (reference and generated C)', () => {
  it('int8, real multiplier 1 (0.5 · 0.25 / 0.125: QuantizeMultiplier 2^30, shift 1): y = (x1 + 1)(x2 − 3) + 2, saturating both ways', () => {
    const g = binaryGraph({
      kind: 'mul',
      dtype: 'int8',
      shape1: [1, 1, 2, 3],
      shape2: [1, 1, 2, 3],
      q1: [0.5, -1],
      q2: [0.25, 3],
      qOut: [0.125, 2],
      const2: Int8Array.from([5, -128, 127, 10, 5, 127]),
    });
    expect(g.ops[0]!.kind === 'mul' && g.ops[0]!.mulQuant).toEqual({ multiplier: 2 ** 30, shift: 1, actMin: -128, actMax: 127 });
    // (2)(2) = 4 → 6; (−127)(−131) = 16637 → 127; (128)(124) → 127; (1)(7) = 7 → 9; (−4)(2) = −8 → −6; (−127)(124) → −128.
    const kernel = expectBoth(g, Int8Array.from([1, -128, 127, 0, -5, -128]), [6, 127, 127, 9, -6, -128], 'int8');
    expect(kernel).toBe('mobilec_mul_s8_c_2x3');
  });

  it("int8, real multiplier 0.5 (shift 0): SRDHM's rounding, halves up (1.5 → 2, −1.5 → −1, 0.5 → 1, −0.5 → 0, −4.5 → −4)", () => {
    const g = binaryGraph({
      kind: 'mul',
      dtype: 'int8',
      shape1: [6],
      shape2: [6],
      q1: [0.5, 0],
      q2: [0.5, 0],
      qOut: [0.5, 0],
      const2: Int8Array.from([1, 1, 1, 1, 3, 3]),
    });
    expectBoth(g, Int8Array.from([3, -3, 1, -1, 1, -3]), [2, -1, 1, 0, 2, -4], 'int8');
  });

  it('int8, real multiplier 0.25 (shift −1): the rounding right shift takes negative halves away from zero (−1.5 → −2, −0.5 → −1, −2.5 → −3)', () => {
    const g = binaryGraph({
      kind: 'mul',
      dtype: 'int8',
      shape1: [5],
      shape2: [5],
      q1: [0.5, 0],
      q2: [0.5, 0],
      qOut: [1, 0],
      const2: Int8Array.from([2, 2, 2, 2, 2]),
    });
    // acc = 6, −6, 2, −2, −10: SRDHM(·, 2^30) = 3, −3, 1, −1, −5, then RDBPOT(·, 1) = 2, −2, 1, −1, −3.
    expectBoth(g, Int8Array.from([3, -3, 1, -1, -5]), [2, -2, 1, -1, -3], 'int8');
  });

  it('int8, real multiplier 6 (2 · 3 / 1: shift 3, a left shift first) with relu6 fused: clamp to [zp, zp + 6]', () => {
    const g = binaryGraph({
      kind: 'mul',
      dtype: 'int8',
      shape1: [4],
      shape2: [4],
      q1: [2, 1],
      q2: [3, -1],
      qOut: [1, -2],
      const2: Int8Array.from([-8, 4, -1, 0]),
      activation: 'relu6',
    });
    expect(g.ops[0]!.kind === 'mul' && g.ops[0]!.mulQuant).toEqual({ multiplier: 0.75 * 2 ** 31, shift: 3, actMin: -2, actMax: 4 });
    // (3)(−7)·6 = −126 → −128 → clamp −2; (0)(5) → −2; (1)(0) → −2; (1)(1)·6 = 6 → 4 → 4.
    expectBoth(g, Int8Array.from([4, 1, 2, 2]), [-2, -2, -2, 4], 'int8');
  });

  it('uint8 with extreme zero points (255 and 0): (0 − 255)(255 − 0) / 256 = −254.004 → −254, + 255 = 1', () => {
    const g = binaryGraph({
      kind: 'mul',
      dtype: 'uint8',
      shape1: [3],
      shape2: [3],
      q1: [1, 255],
      q2: [1, 0],
      qOut: [256, 255],
      const2: Uint8Array.from([255, 0, 255]),
    });
    // MBQM(−65025, 2^30, −7): SRDHM = −32512 (−32512.5 rounds up), RDBPOT(−32512, 7) = −254 exactly; 0 → 255; (−1)(255)/256 → −1 → 254.
    expectBoth(g, Uint8Array.from([0, 255, 254]), [1, 255, 254], 'uint8');
  });

  it('int8 channel broadcast, the per-channel vector as input 0 ([1, 1, 1, 3] · [1, 2, 1, 3]: the squeeze-excite scale)', () => {
    const g = binaryGraph({
      kind: 'mul',
      dtype: 'int8',
      shape1: [1, 1, 1, 3],
      shape2: [1, 2, 1, 3],
      q1: [0.5, 0],
      q2: [0.5, 0],
      qOut: [0.5, 0],
      const2: Int8Array.from([2, 4, 6, -2, -4, -6]),
    });
    // y = x1[c] · x2[h, c] / 2: [1, 2, 3] · [2, 4, 6] / 2 = 1, 4, 9; · [−2, −4, −6] / 2 = −1, −4, −9.
    const kernel = expectBoth(g, Int8Array.from([1, 2, 3]), [1, 4, 9, -1, -4, -9], 'int8');
    expect(kernel).toBe('mobilec_mul_s8_c_bc_2x1x3_3');
    expect(parseKernelName(kernel).flags).toEqual({ bc: true });
  });

  it('uint8 scalar constant (a 0-d tensor): y = x · 1/6 as hard-sigmoid scales it', () => {
    const g = binaryGraph({
      kind: 'mul',
      dtype: 'uint8',
      shape1: [1, 2, 2, 1],
      shape2: [],
      q1: [Math.fround(6 / 255), 0],
      q2: [Math.fround(1 / 1530), 0],
      qOut: [Math.fround(1 / 255), 0],
      const2: Uint8Array.from([255]),
    });
    // x in [0, 6] (scale 6/255), 1/6 as 255 · 1/1530, the output in [0, 1] (scale 1/255): the real multiplier is
    // 1/255 (within float32 rounding), y = x · 255 / 255 = x.
    const kernel = expectBoth(g, Uint8Array.from([0, 51, 128, 255]), [0, 51, 128, 255], 'uint8');
    expect(kernel).toBe('mobilec_mul_u8_c_bc_2x2x1_1');
  });

  it('float32 channel broadcast with relu: fround(x1 · x2) clamped at 0', () => {
    const g = binaryGraph({ kind: 'mul', dtype: 'float32', shape1: [1, 2, 1, 2], shape2: [2], const2: Float32Array.from([0.5, -3]), activation: 'relu' });
    expectBoth(g, Float32Array.from([3, 1, -2, -1.5]), [1.5, 0, 0, 4.5], 'float32');
  });
});

describe('add: broadcasting (the same-shape kernels are unchanged)', () => {
  it('int8 scalar constant + 3 (hard-sigmoid) with relu6, and equal shapes keeping the add kernel name', () => {
    // x scale 0.1 zp 0; the constant 3.0 as scale 3/127 zp 0 → 127; output scale 6/255 zp −128, relu6 → [−128, 127].
    const g = binaryGraph({
      kind: 'add',
      dtype: 'int8',
      shape1: [1, 2, 2, 1],
      shape2: [1],
      q1: [0.1, 0],
      q2: [Math.fround(3 / 127), 0],
      qOut: [Math.fround(6 / 255), -128],
      const2: Int8Array.from([127]),
      activation: 'relu6',
    });
    // real values x/10 + 3 → (v / (6/255)) − 128: −3 → 0 → −128; −1 → 2 → −43; 0 → 3 → −0.5 → ~0; 3.5 → 6.5 → 127.
    const input = Int8Array.from([-30, -10, 0, 35]);
    const out = [...runGraph(g, [input]).outputs[0]!];
    expect(out[0]).toBe(-128);
    expect(out[3]).toBe(127);
    expect(Math.abs(out[1]! - -43)).toBeLessThanOrEqual(1);
    expect(Math.abs(out[2]!)).toBeLessThanOrEqual(1);
    const r = runOnC(g, input);
    expect(outOf('int8', r.output)).toEqual(out);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_add_s8_c_bc_2x2x1_1');
    const same = binaryGraph({
      kind: 'add',
      dtype: 'int8',
      shape1: [1, 2, 2, 1],
      shape2: [1, 2, 2, 1],
      q1: [0.1, 0],
      q2: [0.1, 0],
      qOut: [0.2, 0],
      const2: Int8Array.from([1, 2, 3, 4]),
    });
    expect(runOnC(same, input).project.layers[0]!.kernel).toBe('mobilec_add_s8_c_2x2x1');
  });

  it('uint8 per-channel constant as the full operand? no: the activation [1, 1, 1, 2] broadcast against a [1, 2, 2, 2] constant', () => {
    const g = binaryGraph({
      kind: 'add',
      dtype: 'uint8',
      shape1: [1, 1, 1, 2],
      shape2: [1, 2, 2, 2],
      q1: [0.5, 128],
      q2: [0.5, 128],
      qOut: [0.5, 128],
      const2: Uint8Array.from([128, 129, 130, 131, 0, 255, 127, 126]),
    });
    // equal scales: y = x1 + x2 − 128 (the stages are exact halves of twice the scale): x1 = [130, 100].
    expectBoth(g, Uint8Array.from([130, 100]), [130, 101, 132, 103, 2, 227, 129, 98], 'uint8');
  });
});

describe('mul and add: generated C equals the reference bit for bit', () => {
  const caseArb = fc.record({
    kind: fc.constantFrom('mul' as const, 'add' as const),
    hw: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 19 })),
    form: fc.constantFrom('same', 'channel', 'channel1d', 'scalar', 'scalar0d', 'swapped'),
    s1: fc.double({ min: 0.001, max: 4, noNaN: true }).map(Math.fround),
    s2: fc.double({ min: 0.001, max: 4, noNaN: true }).map(Math.fround),
    sOut: fc.double({ min: 0.001, max: 8, noNaN: true }).map(Math.fround),
    zp: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })),
    activation: fc.constantFrom<Activation>('none', 'relu', 'relu6'),
    seed: fc.integer({ min: 1, max: 1 << 30 }),
  });

  it.each([
    ['int8', 6],
    ['uint8', 5],
    ['float32', 3],
  ] as const)('random shapes, scales, zero points and broadcast forms, %s (%i builds)', (dtype, builds) => {
    let built = 0;
    fc.assert(
      fc.property(caseArb, (k) => {
        const [h, w, c] = k.hw;
        const full = [1, h, w, c];
        const small = { same: full, channel: [1, 1, 1, c], channel1d: [c], scalar: [1], scalar0d: [], swapped: [1, 1, 1, c] }[k.form];
        const [shape1, shape2] = k.form === 'swapped' ? [small, full] : [full, small];
        const lo = dtype === 'int8' ? -128 : 0;
        const quant = dtype !== 'float32';
        const rng = new Prng(k.seed);
        const n2 = shape2.reduce((a, b) => a * b, 1);
        const n1 = shape1.reduce((a, b) => a * b, 1);
        const data = (n: number) =>
          dtype === 'int8'
            ? intData(Int8Array, rng, n, -128, 127)
            : dtype === 'uint8'
              ? intData(Uint8Array, rng, n, 0, 255)
              : Float32Array.from({ length: n }, () => rng.uniform(-8, 8));
        let g: Graph;
        try {
          g = binaryGraph({
            kind: k.kind,
            dtype,
            shape1,
            shape2,
            ...(quant && { q1: [k.s1, k.zp[0] + lo] as QP, q2: [k.s2, k.zp[1] + lo] as QP, qOut: [k.sOut, k.zp[2] + lo] as QP }),
            activation: k.activation,
            const2: data(n2),
          });
        } catch (e) {
          // ADD refuses rescales TFLite cannot prepare (a multiplier ≥ 1); MUL takes every scale.
          if (k.kind === 'add' && /rescale/.test(String(e))) return;
          throw e;
        }
        const input = data(n1);
        const want = runGraph(g, [input]).outputs[0]!;
        const r = runOnC(g, input, COMPILERS[built++ % COMPILERS.length]!);
        expect([...r.output]).toEqual([...bytesOf(want)]);
        const id = parseKernelName(r.project.layers[0]!.kernel!);
        expect(id.flags?.bc === true).toBe(k.form !== 'same');
      }),
      { numRuns: builds, seed: 21 },
    );
    expect(built).toBeGreaterThan(builds / 2);
  });
});

describe('squeeze-excite: a .tflite and a description through import, compile and verify', () => {
  /** Every layer of the C equals the reference. */
  function verifyLayers(g: Graph, input: TensorData): void {
    const ref = runGraph(g, [input]);
    const r = runOnC(g, input);
    g.ops.forEach((op, i) => {
      expect([...r.layers.get(i)!], `layer ${i} (${op.name})`).toEqual([...bytesOf(ref.values.get(op.outputs[0]!)!)]);
    });
  }

  it('int8 SE block: MEAN (keep_dims) → 1x1 conv relu → 1x1 conv → ADD(+3, relu6) → MUL(1/6 first: swapped) → MUL(scale, feature map)', () => {
    const C = 8;
    const R = 4;
    const rng = new Prng(9);
    const w1 = intData(Int8Array, rng, R * C, -127, 127);
    const w2 = intData(Int8Array, rng, C * R, -127, 127);
    const b1 = Int32Array.from({ length: R }, () => rng.int(-2000, 2000));
    const b2 = Int32Array.from({ length: C }, () => rng.int(-2000, 2000));
    const act = (name: string, shape: number[], scale: number, zp: number) => ({
      name,
      shape,
      type: 'INT8' as const,
      quant: { scale: [scale], zeroPoint: [zp] },
    });
    const spec: ModelSpec = {
      tensors: [
        act('x', [1, 4, 4, C], 0.05, -10), // 0
        { name: 'axes', shape: [2], type: 'INT32', data: Int32Array.from([1, 2]) }, // 1
        act('pooled', [1, 1, 1, C], 0.04, -5), // 2
        { name: 'w1', shape: [R, 1, 1, C], type: 'INT8', data: w1, quant: { scale: [0.01], zeroPoint: [0] } }, // 3
        { name: 'b1', shape: [R], type: 'INT32', data: b1, quant: { scale: [0.0004], zeroPoint: [0] } }, // 4
        act('squeeze', [1, 1, 1, R], 0.1, -128), // 5
        { name: 'w2', shape: [C, 1, 1, R], type: 'INT8', data: w2, quant: { scale: [0.02], zeroPoint: [0] } }, // 6
        { name: 'b2', shape: [C], type: 'INT32', data: b2, quant: { scale: [0.002], zeroPoint: [0] } }, // 7
        act('excite', [1, 1, 1, C], 0.15, 3), // 8
        { name: 'three', shape: [], type: 'INT8', data: Int8Array.from([127]), quant: { scale: [3 / 127], zeroPoint: [0] } }, // 9
        act('plus3', [1, 1, 1, C], 6 / 255, -128), // 10
        { name: 'sixth', shape: [1], type: 'INT8', data: Int8Array.from([127]), quant: { scale: [1 / 6 / 127], zeroPoint: [0] } }, // 11
        act('hsig', [1, 1, 1, C], 1 / 255, -128), // 12
        act('y', [1, 4, 4, C], 0.05, -10), // 13
      ],
      operators: [
        { op: 'MEAN', inputs: [0, 1], outputs: [2], options: { kind: 'reducer', keepDims: true } },
        { op: 'CONV_2D', inputs: [2, 3, 4], outputs: [5], options: { kind: 'conv2d', activation: 'relu' } },
        { op: 'CONV_2D', inputs: [5, 6, 7], outputs: [8], options: { kind: 'conv2d' } },
        { op: 'ADD', inputs: [8, 9], outputs: [10], options: { kind: 'add', activation: 'relu6' } },
        { op: 'MUL', inputs: [11, 10], outputs: [12], options: { kind: 'mul' } },
        { op: 'MUL', inputs: [12, 0], outputs: [13], options: { kind: 'mul' } },
      ],
      inputs: [0],
      outputs: [13],
    };
    const g = prepareGraph(importTflite(buildTflite(spec), 'se.tflite'));
    expect(g.ops.map((o) => o.kind)).toEqual(['mean', 'conv2d', 'conv2d', 'add', 'mul', 'mul']);
    // The constant 1/6 (TFLite input 0) is the IR's input 1; the SE scale stays input 0, broadcast over the feature map.
    expect(g.tensors[g.ops[4]!.inputs[1]!]!.name).toBe('sixth');
    expect(g.tensors[g.ops[5]!.inputs[0]!]!.name).toBe('hsig');
    const input = intData(Int8Array, new Prng(10), 4 * 4 * C, -128, 127);
    verifyLayers(g, input);
    const kernels = generateProject(g, { target: host, kernels: 'generic' }).layers.map((l) => l.kernel);
    expect(kernels.slice(3)).toEqual(['mobilec_add_s8_c_bc_8_1', 'mobilec_mul_s8_c_bc_8_1', 'mobilec_mul_s8_c_bc_4x4x8_8']);
  });

  it('a description with an SE block, hard-sigmoid as add/relu6/mul and a concat (int8 by post-training quantization)', () => {
    const desc = {
      architecture: 'layers',
      dtype: 'int8',
      weights: { seed: 5 },
      input: { height: 6, width: 6, channels: 3 },
      layers: [
        { op: 'conv', name: 'features', filters: 8, kernel: 3, activation: 'relu6' },
        { op: 'mean' },
        { op: 'conv', filters: 4, kernel: 1, activation: 'relu', batchNorm: false },
        { op: 'conv', filters: 8, kernel: 1, activation: 'none', batchNorm: false },
        { op: 'add', scalar: 3, activation: 'relu6' },
        { op: 'mul', scalar: 1 / 6 },
        { op: 'mul', name: 'scaled', with: 'features' },
        { op: 'add', with: 'features' },
        { op: 'concat', with: ['scaled', 'features'] },
        { op: 'mean' },
        { op: 'fc', units: 4 },
      ],
    };
    const g = prepareGraph(describeModel(JSON.stringify(desc), 'senet.json'));
    expect(g.ops.map((o) => o.kind)).toEqual(['conv2d', 'mean', 'conv2d', 'conv2d', 'add', 'mul', 'mul', 'add', 'concatenation', 'mean', 'fully_connected']);
    expect(g.ops[4]!.kind === 'add' && g.ops[4]!.activation).toBe('relu6');
    const xT = g.tensors[g.inputs[0]!]!;
    verifyLayers(g, intData(Int8Array, new Prng(6), elementCountOf(xT.shape), -128, 127));
    expect(() => describeModel(JSON.stringify({ ...desc, layers: [{ op: 'mul', with: 'nowhere' }] }), 'bad.json')).toThrow(
      /no earlier layer is named "nowhere"/,
    );
    expect(() => describeModel(JSON.stringify({ ...desc, layers: [{ op: 'add' }] }), 'bad.json')).toThrow(/exactly one of "with"/);
  });
});

const elementCountOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

describe('broadcast plans: property tests', () => {
  // TFLite's BroadcastBinaryFunction4DSlow: output index (b, h, w, c) reads each operand at the index clamped
  // to its extent (dimension 1: index 0), shapes right-aligned to 4-D.
  const tfliteIndex = (shape: readonly number[], out: readonly number[], i: number): number => {
    const s4 = [...Array(4 - shape.length).fill(1), ...shape];
    const o4 = [...Array(4 - out.length).fill(1), ...out];
    let rem = i;
    const idx = [0, 0, 0, 0];
    for (let d = 3; d >= 0; d--) {
      idx[d] = rem % o4[d]!;
      rem = Math.floor(rem / o4[d]!);
    }
    return idx.reduce((acc, v, d) => acc * s4[d]! + (s4[d] === 1 ? 0 : v), 0);
  };
  const dims = fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }));
  const keep = fc.tuple(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean());

  it('every accepted plan reads the elements TFLite reads; refusals are the forms with both operands broadcast or a 1 inside the small one', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(dims, keep, fc.integer({ min: 0, max: 4 }), fc.boolean(), (d, k, drop, swap) => {
        const full = [...d];
        const small = full.map((v, i) => (k[i] ? v : 1)).slice(drop === 4 ? 4 : drop);
        const [a, b] = swap ? [small, full] : [full, small];
        const plan = broadcastPlan(a, b);
        if (typeof plan === 'string') {
          refused++;
          // refused only when the small operand has a 1 before a kept dimension (not a suffix)
          const t = [...small];
          while (t[0] === 1) t.shift();
          expect(t.some((v, i) => v !== full[full.length - t.length + i])).toBe(true);
          return;
        }
        accepted++;
        expect(plan.shape).toEqual(full);
        for (let i = 0; i < plan.n; i++) {
          expect(operandIndex(plan, 0)(i)).toBe(tfliteIndex(a, full, i));
          expect(operandIndex(plan, 1)(i)).toBe(tfliteIndex(b, full, i));
        }
      }),
      { numRuns: 300, seed: 17 },
    );
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(10);
  });

  it('refuses shapes that do not broadcast and two broadcast operands', () => {
    expect(broadcastPlan([1, 2, 3], [1, 4, 3])).toBe('shapes [1, 2, 3] and [1, 4, 3] do not broadcast');
    expect(broadcastPlan([1, 1, 3], [1, 2, 1])).toMatch(/both broadcast/);
    expect(broadcastPlan([1, 4, 4, 8], [1, 4, 1, 1])).toMatch(/is not a scalar or a suffix/);
  });
});
