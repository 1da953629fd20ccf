/** pad / quantize / dequantize / add in generated C: hand-computed numbers and bit-exact agreement with the reference. */
import { afterAll, describe, expect, it } from 'vitest';
import { generateProject, type GeneratedProject } from '../../src/codegen/index.js';
import type { Graph, TensorData } from '../../src/model/ir.js';
import { requantize } from '../../src/passes/requantize.js';
import { validateGraph } from '../../src/passes/validate.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { host } from '../../src/targets/host.js';
import { Prng } from '../../src/util/prng.js';
import { intData } from './graphs.js';
import { GraphBuilder, asFloat32, buildAndRun, bytesOf, compileStrict, hasCompiler, q, removeDir, tempDir, writeFiles } from './helpers.js';

const COMPILERS = ['gcc', 'clang'].filter(hasCompiler);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const gen = (g: Graph): GeneratedProject => generateProject(g, { target: host, kernels: 'generic' });
const prepare = (g: Graph): Graph => validateGraph(requantize(validateGraph(g)), 'internal');

function runOnC(g: Graph, input: TensorData, cc = COMPILERS[0]!) {
  const p = gen(g);
  const dir = tempDir('newops');
  dirs.push(dir);
  writeFiles(dir, p);
  return { ...buildAndRun(dir, p, bytesOf(input), cc), project: p, dir };
}

describe('generated C: hand-computed results', () => {
  it('quantize float → int8 (0.4, -10): float division, ties away, clamps, NaN → zero point', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 9], 'float32');
    const y = b.tensor('y', [1, 9], 'int8', { quant: q(0.4, -10) });
    b.op({ kind: 'quantize', name: 'q', inputs: [x], outputs: [y] });
    const g = prepare(b.build('quant', [x], [y]));
    const input = Float32Array.from([-1, 0, 0.5, 0.2, -0.2, 100, -100, NaN, -Infinity]);
    const r = runOnC(g, input);
    expect(r.project.layers[0]!.kernel).toBe('mobilec_quantize_s8_c_9');
    const want = [-13, -10, -9, -9, -11, 127, -128, -10, -128];
    expect([...new Int8Array(r.output.buffer)]).toEqual(want);
    expect([...runGraph(g, [input]).outputs[0]!]).toEqual(want);
  });

  it('requantize int8 (0.5, -1) → uint8 (0.25, 128)', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [7], 'int8', { quant: q(0.5, -1) });
    const y = b.tensor('y', [7], 'uint8', { quant: q(0.25, 128) });
    b.op({ kind: 'quantize', name: 'rq', inputs: [x], outputs: [y] });
    const r = runOnC(prepare(b.build('rq', [x], [y])), Int8Array.from([-1, 0, 10, 63, 64, -128, -65]));
    expect(r.project.layers[0]!.kernel).toBe('mobilec_requantize_u8_c_xs8_7');
    expect([...r.output]).toEqual([128, 130, 150, 255, 255, 0, 0]);
  });

  it('dequantize int8 (0.25, -3)', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 2, 2, 1], 'int8', { quant: q(0.25, -3) });
    const y = b.tensor('y', [1, 2, 2, 1], 'float32');
    b.op({ kind: 'dequantize', name: 'dq', inputs: [x], outputs: [y] });
    const r = runOnC(prepare(b.build('dq', [x], [y])), Int8Array.from([-3, 1, -128, 127]));
    expect(r.project.layers[0]!.kernel).toBe('mobilec_dequantize_s8_c_2x2x1');
    expect([...asFloat32(r.output)]).toEqual([0, 1, -31.25, 32.5]);
  });

  it('add int8, scales 0.5 / 0.25 (second operand a constant) → (1.0, -5)', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 1, 2, 3], 'int8', { quant: q(0.5, 0) });
    const c = b.tensor('c', [1, 1, 2, 3], 'int8', { quant: q(0.25, -1), data: Int8Array.from([7, 0, -2, -1, -1, 127]) });
    const y = b.tensor('y', [1, 1, 2, 3], 'int8', { quant: q(1, -5) });
    b.op({ kind: 'add', name: 'add', inputs: [x, c], outputs: [y], activation: 'none' });
    const r = runOnC(prepare(b.build('qadd', [x], [y])), Int8Array.from([4, 3, -3, 1, -1, 127]));
    expect(r.project.layers[0]!.kernel).toBe('mobilec_add_s8_c_2x3');
    expect([...new Int8Array(r.output.buffer)]).toEqual([-1, -3, -7, -4, -6, 91]);
  });

  it('pad int8 1x2x2x1 with zero point -3, float pad of channels with 0', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 2, 2, 1], 'int8', { quant: q(0.1, -3) });
    const y = b.tensor('y', [1, 3, 3, 1], 'int8', { quant: q(0.1, -3) });
    b.op({
      kind: 'pad',
      name: 'pad',
      inputs: [x],
      outputs: [y],
      paddings: [
        [0, 0],
        [1, 0],
        [0, 1],
        [0, 0],
      ],
    });
    const r = runOnC(prepare(b.build('qpad', [x], [y])), Int8Array.from([1, 2, 3, 4]));
    expect(r.project.layers[0]!.kernel).toBe('mobilec_pad_s8_c_1x2x2x1_0x1x0x0_0x0x1x0');
    expect([...new Int8Array(r.output.buffer)]).toEqual([-3, -3, -3, 1, 2, -3, 3, 4, -3]);

    const f = new GraphBuilder();
    const fx = f.tensor('x', [1, 1, 2, 2], 'float32');
    const fy = f.tensor('y', [1, 1, 2, 5], 'float32');
    f.op({
      kind: 'pad',
      name: 'pad',
      inputs: [fx],
      outputs: [fy],
      paddings: [
        [0, 0],
        [0, 0],
        [0, 0],
        [1, 2],
      ],
    });
    const rf = runOnC(prepare(f.build('fpad', [fx], [fy])), Float32Array.from([1, 2, 3, 4]));
    expect([...asFloat32(rf.output)]).toEqual([0, 1, 2, 0, 0, 0, 3, 4, 0, 0]);
  });

  it('float add with relu_n1_to_1', () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [3], 'float32');
    const c = b.tensor('c', [3], 'float32', { data: Float32Array.from([1, 0.5, -0.75]) });
    const y = b.tensor('y', [3], 'float32');
    b.op({ kind: 'add', name: 'add', inputs: [x, c], outputs: [y], activation: 'relu_n1_to_1' });
    const r = runOnC(prepare(b.build('fadd', [x], [y])), Float32Array.from([1.5, -2, 0.25]));
    expect([...asFloat32(r.output)]).toEqual([1, -1, -0.5]);
  });
});

/**
 * float in → quantize → pad → requantize (int8 → int8) → add(pad, requantized) relu6
 * → max pool relu_n1_to_1 → requantize int8 → uint8 → dequantize → float out.
 */
function mixedGraph(): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', [1, 5, 5, 4], 'float32');
  const a = b.tensor('a', [1, 5, 5, 4], 'int8', { quant: q(0.05, 3) });
  const p = b.tensor('p', [1, 7, 7, 4], 'int8', { quant: q(0.05, 3) });
  const r = b.tensor('r', [1, 7, 7, 4], 'int8', { quant: q(0.08, -10) });
  const s = b.tensor('s', [1, 7, 7, 4], 'int8', { quant: q(0.03, -60) });
  const m = b.tensor('m', [1, 4, 4, 4], 'int8', { quant: q(0.03, -60) });
  const u = b.tensor('u', [1, 4, 4, 4], 'uint8', { quant: q(0.012, 120) });
  const y = b.tensor('y', [1, 4, 4, 4], 'float32');
  b.op({ kind: 'quantize', name: 'quant', inputs: [x], outputs: [a] });
  b.op({
    kind: 'pad',
    name: 'pad',
    inputs: [a],
    outputs: [p],
    paddings: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  });
  b.op({ kind: 'quantize', name: 'requant', inputs: [p], outputs: [r] });
  b.op({ kind: 'add', name: 'add', inputs: [p, r], outputs: [s], activation: 'relu6' });
  b.op({
    kind: 'max_pool2d',
    name: 'mp',
    inputs: [s],
    outputs: [m],
    filterH: 2,
    filterW: 2,
    strideH: 2,
    strideW: 2,
    padding: 'same',
    activation: 'relu_n1_to_1',
  });
  b.op({ kind: 'quantize', name: 'to_u8', inputs: [m], outputs: [u] });
  b.op({ kind: 'dequantize', name: 'deq', inputs: [u], outputs: [y] });
  return prepare(b.build('mixed', [x], [y]));
}

/**
 * uint8 (legacy TFLite): add(x, constant) relu → requantize uint8 → int8 → requantize int8 → uint8
 * → reshape → fully connected (per-tensor uint8 weights, zero point 120, bias, relu_n1_to_1) → softmax (1/256, 0).
 */
function uint8Graph(): Graph {
  const rng = new Prng(21);
  const b = new GraphBuilder();
  const x = b.tensor('x', [1, 3, 3, 4], 'uint8', { quant: q(0.02, 128) });
  const c = b.tensor('c', [1, 3, 3, 4], 'uint8', { quant: q(0.035, 90), data: intData(Uint8Array, rng, 36, 0, 255) });
  const s = b.tensor('s', [1, 3, 3, 4], 'uint8', { quant: q(0.04, 100) });
  const i8 = b.tensor('i8', [1, 3, 3, 4], 'int8', { quant: q(0.05, -7) });
  const u = b.tensor('u', [1, 3, 3, 4], 'uint8', { quant: q(0.045, 131) });
  const flat = b.tensor('flat', [1, 36], 'uint8', { quant: q(0.045, 131) });
  const w = b.tensor('w', [10, 36], 'uint8', { quant: q(0.01, 120), data: intData(Uint8Array, rng, 360, 0, 255) });
  const bias = b.tensor('b', [10], 'int32', { data: intData(Int32Array, rng, 10, -3000, 3000) });
  const f = b.tensor('f', [1, 10], 'uint8', { quant: q(0.008, 128) });
  const y = b.tensor('y', [1, 10], 'uint8', { quant: q(1 / 256, 0) });
  b.op({ kind: 'add', name: 'add', inputs: [x, c], outputs: [s], activation: 'relu' });
  b.op({ kind: 'quantize', name: 'to_i8', inputs: [s], outputs: [i8] });
  b.op({ kind: 'quantize', name: 'to_u8', inputs: [i8], outputs: [u] });
  b.op({ kind: 'reshape', name: 'flat', inputs: [u], outputs: [flat] });
  b.op({ kind: 'fully_connected', name: 'fc', inputs: [flat, w, bias], outputs: [f], activation: 'relu_n1_to_1' });
  b.op({ kind: 'softmax', name: 'sm', inputs: [f], outputs: [y], beta: 1 });
  return prepare(b.build('u8net', [x], [y]));
}

/** float: pad (H, W and C) → add(pad, constant) relu_n1_to_1 → max pool relu. */
function floatGraph(): Graph {
  const rng = new Prng(5);
  const b = new GraphBuilder();
  const x = b.tensor('x', [1, 3, 3, 2], 'float32');
  const p = b.tensor('p', [1, 5, 4, 3], 'float32');
  const c = b.tensor('c', [1, 5, 4, 3], 'float32', { data: Float32Array.from({ length: 60 }, () => rng.uniform(-0.5, 0.5)) });
  const s = b.tensor('s', [1, 5, 4, 3], 'float32');
  const y = b.tensor('y', [1, 3, 2, 3], 'float32');
  b.op({
    kind: 'pad',
    name: 'pad',
    inputs: [x],
    outputs: [p],
    paddings: [
      [0, 0],
      [2, 0],
      [0, 1],
      [1, 0],
    ],
  });
  b.op({ kind: 'add', name: 'add', inputs: [p, c], outputs: [s], activation: 'relu_n1_to_1' });
  b.op({ kind: 'max_pool2d', name: 'mp', inputs: [s], outputs: [y], filterH: 2, filterW: 2, strideH: 2, strideW: 2, padding: 'same', activation: 'relu' });
  return prepare(b.build('fnew', [x], [y]));
}

/** Inputs hitting quantization ties (multiples of half the input scale) and the clamps. */
function floatInput(rng: Prng, n: number, scale: number, amp: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Math.fround(rng.int(-200, 200) * scale * 0.5) : rng.uniform(-amp, amp)));
}

const CASES: [string, () => Graph, (rng: Prng, n: number) => TensorData][] = [
  ['mixed float → int8 → uint8 → float', mixedGraph, (rng, n) => floatInput(rng, n, 0.05, 8)],
  ['uint8 add / requantize / fc / softmax', uint8Graph, (rng, n) => intData(Uint8Array, rng, n, 0, 255)],
  ['float pad / add / max pool', floatGraph, (rng, n) => Float32Array.from({ length: n }, () => rng.uniform(-2, 2))],
];

describe('generated C matches the reference bit for bit, layer by layer', () => {
  it.each(CASES)('%s', (_label, make, inputOf) => {
    const g = make();
    const xT = g.tensors[g.inputs[0]!]!;
    const n = xT.shape.reduce((p, d) => p * d, 1);
    for (const seed of [1, 2, 3, 4]) {
      const input = inputOf(new Prng(seed), n);
      const ref = runGraph(g, [input]);
      const r = runOnC(g, input, COMPILERS[seed % COMPILERS.length]!);
      g.ops.forEach((op, i) => {
        const want = ref.values.get(op.outputs[0]!)!;
        expect([...r.layers.get(i)!], `layer ${i} (${op.name}) seed ${seed}`).toEqual([...bytesOf(want)]);
      });
      expect(new Set(r.output).size, 'output not constant').toBeGreaterThan(1);
    }
  });

  it('the graphs exercise every clamp: saturated and in-range values in the quantized layers', () => {
    const g = mixedGraph();
    const ref = runGraph(g, [floatInput(new Prng(1), 100, 0.05, 8)]);
    const a = [...ref.values.get(1)!];
    expect(a).toContain(127);
    expect(a).toContain(-128);
    // relu_n1_to_1 after relu6: the max pool output lies in [q(0), q(1)] = [-60, -27]
    const m = [...ref.values.get(5)!];
    expect(Math.min(...m)).toBe(-60);
    expect(Math.max(...m)).toBe(-27);
  });
});

describe.each(COMPILERS)('new-op kernels compile warning-free with %s', (cc) => {
  it.each(CASES.map(([label, make]) => [label, make] as const))('%s', (_label, make) => {
    const p = gen(make());
    const dir = tempDir(`newops-${cc}`);
    dirs.push(dir);
    writeFiles(dir, p);
    expect(() => compileStrict(dir, p, cc)).not.toThrow();
  });
});

describe('kernel names spell the configuration', () => {
  it('mixed graph', () => {
    expect(gen(mixedGraph()).layers.map((l) => l.kernel)).toEqual([
      'mobilec_quantize_s8_c_5x5x4',
      'mobilec_pad_s8_c_1x5x5x4_0x1x1x0_0x1x1x0',
      'mobilec_requantize_s8_c_xs8_7x7x4',
      'mobilec_add_s8_c_7x7x4',
      'mobilec_maxpool_s8_c_k2s2same_7x7x4',
      'mobilec_requantize_u8_c_xs8_4x4x4',
      'mobilec_dequantize_u8_c_4x4x4',
    ]);
  });

  it('relu_n1_to_1 and relu reach the quantized kernels as clamps', () => {
    const g = uint8Graph();
    // add relu: q(0) = 100; fc relu_n1_to_1 at (0.008, 128): [128 - 125, 128 + 125]
    expect((g.ops[0] as { addQuant?: { actMin: number; actMax: number } }).addQuant).toMatchObject({ actMin: 100, actMax: 255 });
    expect(g.ops[4]!.requant).toMatchObject({ actMin: 3, actMax: 253 });
    const c = gen(g).files.get('u8net.c') as string;
    expect(c).toMatch(/mobilec_fc_u8_c_wzp_1x36_10\([^;]*, 120, 128, 3, 253, /);
  });
});
