import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeModel, loadDescription } from '../../src/frontends/description/index.js';
import type { MobilecError } from '../../src/model/errors.js';
import type { Graph, Tensor } from '../../src/model/ir.js';
import { quantizeMultiplier, activationRange, prepareSoftmax } from '../../src/numerics/fixedpoint.js';
import {
  activationQuant,
  calibrationInputs,
  foldBatchNorm,
  fuseActivations,
  prepareGraph,
  quantizeWeights,
  requantize,
  simplifyGraph,
  validateGraph,
} from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { Prng } from '../../src/util/prng.js';

const MODELS = resolve(__dirname, '../../examples/models');

function randomInput(shape: readonly number[], seed: number): Float32Array {
  const p = new Prng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => p.uniform(-1, 1));
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-12;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d / scale;
}

const tinyText = (dtype: string, layers: unknown[]) =>
  JSON.stringify({ architecture: 'layers', input: { height: 9, width: 9, channels: 3 }, dtype, weights: { seed: 3 }, layers });

const convStack = [
  { op: 'conv', filters: 6, kernel: 3, stride: 2, activation: 'relu6' },
  { op: 'conv', filters: 5, kernel: 3, padding: 'valid', bias: true },
  { op: 'depthwise', kernel: 3, depthMultiplier: 3, bias: true, activation: 'relu' },
  { op: 'depthwise', kernel: 3, stride: 2, activation: 'relu6' },
  { op: 'pointwise', filters: 7, activation: 'relu6' },
  { op: 'avgpool', size: 'global' },
  { op: 'fc', units: 4, activation: 'relu' },
  { op: 'fc', units: 3 },
  { op: 'softmax' },
];

function snapshot(g: Graph): string {
  return JSON.stringify(g, (_k, v) => (ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v));
}

describe('foldBatchNorm', () => {
  const g = describeModel(tinyText('float32', convStack), 'net.json').graph;

  it('removes every batch norm, adds biases, and computes the same function (1e-5 relative)', () => {
    const before = snapshot(g);
    const f = foldBatchNorm(g);
    expect(snapshot(g)).toBe(before); // input untouched
    expect(f.ops.some((o) => o.kind === 'batch_norm')).toBe(false);
    expect(f.ops.length).toBe(g.ops.length - 5);
    expect(f.tensors.every((t, i) => t.id === i)).toBe(true);
    expect(f.tensors.some((t) => /BatchNorm\//.test(t.name))).toBe(false);
    for (const op of f.ops) if (op.kind === 'conv2d' || op.kind === 'depthwise_conv2d') expect(op.inputs.length).toBe(3);
    validateGraph(f);
    for (let s = 0; s < 3; s++) {
      const x = randomInput([1, 9, 9, 3], s);
      const a = runGraph(g, [x]);
      const b = runGraph(f, [x]);
      // Every intermediate that survives (matched by name) agrees too.
      for (const t of f.tensors.filter((t) => !t.data)) {
        const orig = g.tensors.find((u) => u.name === t.name)!;
        expect(maxRelDiff(b.values.get(t.id)!, a.values.get(orig.id)!), t.name).toBeLessThan(1e-5);
      }
      expect(maxRelDiff(b.outputs[0]!, a.outputs[0]!)).toBeLessThan(1e-5);
    }
  });

  it('folds by hand: one 1x1 conv, one channel', () => {
    const t = (id: number, name: string, shape: number[], data?: number[]): Tensor =>
      data ? { id, name, shape, dtype: 'float32', data: Float32Array.from(data) } : { id, name, shape, dtype: 'float32' };
    const graph: Graph = {
      name: 'bn',
      tensors: [
        t(0, 'x', [1, 1, 1, 1]),
        t(1, 'w', [1, 1, 1, 1], [2]),
        t(2, 'y', [1, 1, 1, 1]),
        t(3, 'g', [1], [3]),
        t(4, 'b', [1], [0.5]),
        t(5, 'm', [1], [1]),
        t(6, 'v', [1], [4 - 1e-3]),
        t(7, 'z', [1, 1, 1, 1]),
      ],
      ops: [
        { kind: 'conv2d', name: 'c', inputs: [0, 1], outputs: [2], strideH: 1, strideW: 1, padding: 'same', activation: 'none' },
        { kind: 'batch_norm', name: 'n', inputs: [2, 3, 4, 5, 6], outputs: [7], epsilon: 1e-3 },
      ],
      inputs: [0],
      outputs: [7],
    };
    const f = foldBatchNorm(graph);
    // s = 3 / sqrt(4) = 1.5: w' = 3, b' = (0 - 1) * 1.5 + 0.5 = -1
    expect(Array.from(f.tensors[f.ops[0]!.inputs[1]!]!.data!)).toEqual([3]);
    expect(Array.from(f.tensors[f.ops[0]!.inputs[2]!]!.data!)).toEqual([-1]);
    expect(f.outputs).toEqual([f.ops[0]!.outputs[0]]);
    expect(f.tensors.length).toBe(4);
  });
});

describe('fuseActivations', () => {
  it('moves every activation into its producer without changing results', () => {
    const g = describeModel(tinyText('float32', convStack), 'net.json').graph;
    const folded = foldBatchNorm(g);
    const fused = fuseActivations(folded);
    expect(fused.ops.map((o) => o.kind)).toEqual([
      'conv2d',
      'conv2d',
      'depthwise_conv2d',
      'depthwise_conv2d',
      'conv2d',
      'average_pool2d',
      'fully_connected',
      'fully_connected',
      'softmax',
    ]);
    expect(fused.ops.map((o) => ('activation' in o ? o.activation : '-'))).toEqual(['relu6', 'none', 'relu', 'relu6', 'relu6', 'none', 'relu', 'none', '-']);
    expect(fused.tensors.every((t, i) => t.id === i)).toBe(true);
    const x = randomInput([1, 9, 9, 3], 11);
    expect(maxRelDiff(runGraph(fused, [x]).outputs[0]!, runGraph(g, [x]).outputs[0]!)).toBeLessThan(1e-5);
    expect(fuseActivations(fused)).toBe(fused);
  });
});

describe('validateGraph', () => {
  const g = simplifyGraph(describeModel(tinyText('float32', convStack), 'net.json').graph);
  const fail = (graph: Graph, kind?: 'internal'): MobilecError => {
    try {
      validateGraph(graph, kind);
    } catch (e) {
      return e as MobilecError;
    }
    throw new Error('expected validation to fail');
  };
  it('names the op index and name', () => {
    const bad = { ...g, ops: g.ops.map((o, i) => (i === 2 ? { ...o, inputs: [o.inputs[0]!, g.ops[0]!.inputs[1]!] } : o)) };
    const e = fail(bad);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(
      /^model net: op 2 \(depthwise_2, depthwise_conv2d\): filter stem\/weights|conv_0\/weights \[6, 3, 3, 3\] must be \[1, KH, KW, 15\]/,
    );
    const short = { ...g, ops: g.ops.map((o, i) => (i === 6 ? { ...o, inputs: [o.inputs[0]!] } : o)) };
    expect(fail(short, 'internal').message).toMatch(/^model net: op 6 \(fc_6, fully_connected\): takes 2 to 3 inputs, has 1$/);
    expect(fail(short, 'internal').exitCode).toBe(4);
    const wrongShape = { ...g, tensors: g.tensors.map((t) => (t.id === g.outputs[0] ? { ...t, shape: [1, 4] } : t)) };
    expect(fail(wrongShape).message).toMatch(/^model net: op 8 \(softmax_8, softmax\): output softmax_8 has shape \[1, 4\], expected \[1, 3\]$/);
  });
});

describe('post-training quantization', () => {
  it('per-channel weights and activation parameters follow NUMERICS.md', () => {
    const w = Float32Array.from([0.5, -1.27, 0, 0.01, 2.54, -0.3]); // [O=2, 3] on axis 0
    const q = quantizeWeights(w, [2, 3], 0);
    expect(q.quant.scale).toEqual([Math.fround(1.27 / 127), Math.fround(2.54 / 127)]);
    expect(Array.from(q.data)).toEqual([50, -127, 0, 1, 127, -15]);
    const a = activationQuant({ min: 0, max: 6 });
    expect(a.scale[0]).toBe(Math.fround(6 / 255));
    expect(a.zeroPoint[0]).toBe(-128);
    expect(activationQuant({ min: -1, max: 3 }).zeroPoint[0]).toBe(-64);
  });

  it('0.25/96 int8: quantized graph tracks the float model', () => {
    const result = loadDescription(join(MODELS, 'mobilenet_v1_0.25_96_int8.json'));
    const floatGraph = prepareGraph({ graph: result.graph });
    const q = prepareGraph(result);
    expect(q.name).toBe('mobilenet_v1_0_25_96_int8');
    expect(q.ops.length).toBe(floatGraph.ops.length);
    const input = q.tensors[q.inputs[0]!]!;
    const output = q.tensors[q.outputs[0]!]!;
    expect([input.dtype, output.dtype]).toEqual(['int8', 'int8']);
    expect(output.quant).toEqual({ scale: [1 / 256], zeroPoint: [-128], axis: 0 });
    for (const op of q.ops) {
      if (op.kind === 'conv2d' || op.kind === 'depthwise_conv2d') {
        const w = q.tensors[op.inputs[1]!]!;
        const b = q.tensors[op.inputs[2]!]!;
        const channels = op.kind === 'conv2d' ? w.shape[0]! : w.shape[3]!;
        expect([w.dtype, w.quant!.axis, w.quant!.scale.length]).toEqual(['int8', op.kind === 'conv2d' ? 0 : 3, channels]);
        expect(b.dtype).toBe('int32');
        expect(op.requant!.multiplier.length).toBe(channels);
        const sIn = q.tensors[op.inputs[0]!]!.quant!.scale[0]!;
        const sOut = q.tensors[op.outputs[0]!]!.quant!.scale[0]!;
        expect(op.requant!.multiplier[0]).toBe(quantizeMultiplier((sIn * w.quant!.scale[0]!) / sOut).multiplier);
        const yq = q.tensors[op.outputs[0]!]!.quant!;
        expect([op.requant!.actMin, op.requant!.actMax]).toEqual(activationRange(op.activation, yq.scale[0]!, yq.zeroPoint[0]!, 'int8'));
      }
      if (op.kind === 'average_pool2d') {
        expect(q.tensors[op.outputs[0]!]!.quant).toEqual(q.tensors[op.inputs[0]!]!.quant);
        expect(op.requant).toEqual({ multiplier: [], shift: [], actMin: -128, actMax: 127 });
      }
      if (op.kind === 'softmax') expect(op.softmaxQuant).toEqual(prepareSoftmax(1, q.tensors[op.inputs[0]!]!.quant!.scale[0]!));
    }

    const iq = input.quant!;
    let agree = 0;
    let worst = 0;
    let worstLogit = 0;
    const logits = q.ops.find((o) => o.name === 'Conv2d_1c_1x1')!.outputs[0]!;
    const lq = q.tensors[logits]!.quant!;
    const N = 6;
    for (let s = 0; s < N; s++) {
      const x = randomInput([1, 96, 96, 3], 1000 + s); // not the calibration inputs
      const xq = Int8Array.from(x, (v) => Math.max(-128, Math.min(127, Math.round(v / iq.scale[0]!) + iq.zeroPoint[0]!)));
      const fr = runGraph(floatGraph, [x]);
      const qr = runGraph(q, [xq]);
      const fo = fr.outputs[0] as Float32Array;
      const qo = qr.outputs[0] as Int8Array;
      const fl = fr.values.get(logits)!;
      qr.values.get(logits)!.forEach((v, i) => {
        worstLogit = Math.max(worstLogit, Math.abs(lq.scale[0]! * (v - lq.zeroPoint[0]!) - fl[i]!));
      });
      const deq = Array.from(qo, (v) => (v + 128) / 256);
      worst = Math.max(worst, ...deq.map((v, i) => Math.abs(v - fo[i]!)));
      if (deq[0]! > deq[1]! === fo[0]! > fo[1]!) agree++;
    }
    expect(worst).toBeLessThan(0.02); // probabilities, output step 1/256
    expect(worstLogit).toBeLessThan(0.1); // ~2 steps of the logits' scale (~0.011)
    expect(agree).toBeGreaterThanOrEqual(N - 1);
  });

  it('calibration inputs: seeded uniform in [-1, 1), deterministic', () => {
    const a = calibrationInputs({ kind: 'seeded', seed: 5, count: 2 }, [1, 4, 4, 3]);
    const b = calibrationInputs({ kind: 'seeded', seed: 5, count: 2 }, [1, 4, 4, 3]);
    expect(a).toHaveLength(2);
    expect(a).toEqual(b);
    expect(a[0]).not.toEqual(a[1]);
    expect(Math.min(...a[0]!)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a[0]!)).toBeLessThan(1);
  });

  it('layer-list int8: every op quantized, requantize leaves float graphs alone', () => {
    const r = describeModel(tinyText('int8', convStack), 'net.json');
    const q = prepareGraph(r);
    expect(q.tensors.filter((t) => !t.data).every((t) => t.dtype === 'int8')).toBe(true);
    const fc = q.ops.find((o) => o.kind === 'fully_connected')!;
    const sIn = q.tensors[fc.inputs[0]!]!.quant!.scale[0]!;
    const sW = q.tensors[fc.inputs[1]!]!.quant!.scale[0]!;
    const sOut = q.tensors[fc.outputs[0]!]!.quant!.scale[0]!;
    expect(fc.requant!.multiplier[0]).toBe(quantizeMultiplier(Math.fround(sIn * sW) / sOut).multiplier);
    const out = runGraph(q, [new Int8Array(9 * 9 * 3)]).outputs[0] as Int8Array;
    expect(Array.from(out).reduce((s, v) => s + v + 128, 0)).toBeGreaterThan(240); // probabilities sum ≈ 256/256
    const f = simplifyGraph(describeModel(tinyText('float32', convStack), 'net.json').graph);
    expect(requantize(f)).toBe(f);
  });
});
