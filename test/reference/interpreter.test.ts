import { describe, it, expect } from 'vitest';
import type { Graph, Op, Tensor, TensorData } from '../../src/model/ir.js';
import { MobilecError } from '../../src/model/errors.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { conv2dFloat } from '../../src/ops/conv2d/reference.js';
import { fullyConnectedFloat } from '../../src/ops/fully_connected/reference.js';
import { softmaxFloat } from '../../src/ops/softmax/reference.js';
import { prepareSoftmax } from '../../src/numerics/fixedpoint.js';
import { requantize } from '../../src/passes/requantize.js';
import { geom } from './helpers.js';

function t(id: number, shape: number[], dtype: Tensor['dtype'], extra: Partial<Tensor> = {}): Tensor {
  return { id, name: `t${id}`, shape, dtype, ...extra };
}

/** float: x[1,3,3,1] → conv(3x3 same, relu) → batch_norm → activation(relu6) → reshape [1,18] → fc(2) → softmax. */
function floatGraph(): Graph {
  const f = new Float32Array(18);
  for (let i = 0; i < 9; i++) f[i] = 1;
  f[9 + 4] = 2;
  const tensors: Tensor[] = [
    t(0, [1, 3, 3, 1], 'float32'),
    t(1, [2, 3, 3, 1], 'float32', { data: f }),
    t(2, [2], 'float32', { data: Float32Array.from([-20, 0]) }),
    t(3, [1, 3, 3, 2], 'float32'),
    t(4, [2], 'float32', { data: Float32Array.from([0.5, 1]) }), // gamma
    t(5, [2], 'float32', { data: Float32Array.from([0, 0]) }), // beta
    t(6, [2], 'float32', { data: Float32Array.from([0, 0]) }), // mean
    t(7, [2], 'float32', { data: Float32Array.from([1, 1]) }), // var
    t(8, [1, 3, 3, 2], 'float32'),
    t(9, [1, 3, 3, 2], 'float32'),
    t(10, [1, 18], 'float32'),
    t(11, [2, 18], 'float32', { data: Float32Array.from({ length: 36 }, (_, i) => ((i % 7) - 3) / 10) }),
    t(12, [1, 2], 'float32'),
    t(13, [1, 2], 'float32'),
  ];
  const ops: Op[] = [
    { kind: 'conv2d', name: 'conv', inputs: [0, 1, 2], outputs: [3], strideH: 1, strideW: 1, padding: 'same', activation: 'relu' },
    { kind: 'batch_norm', name: 'bn', inputs: [3, 4, 5, 6, 7], outputs: [8], epsilon: 0 },
    { kind: 'activation', name: 'act', inputs: [8], outputs: [9], activation: 'relu6' },
    { kind: 'reshape', name: 'flat', inputs: [9], outputs: [10] },
    { kind: 'fully_connected', name: 'fc', inputs: [10, 11], outputs: [12], activation: 'none' },
    { kind: 'softmax', name: 'sm', inputs: [12], outputs: [13], beta: 1 },
  ];
  return { name: 'f', tensors, ops, inputs: [0], outputs: [13] };
}

describe('runGraph (float)', () => {
  it('runs every op and records every produced value', () => {
    const g = floatGraph();
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { outputs, values } = runGraph(g, [x]);
    expect([...values.keys()].sort((a, b) => a - b)).toEqual([0, 3, 8, 9, 10, 12, 13]);
    const conv = conv2dFloat(x, g.tensors[1]!.data as Float32Array, g.tensors[2]!.data as Float32Array, geom(3, 3, 1, 3, 3, 1, 'same', 2), 'relu');
    expect(Array.from(values.get(3)!)).toEqual(Array.from(conv));
    // bn halves channel 0 (gamma 0.5, var 1), keeps channel 1; relu6 clamps.
    const act = Float32Array.from(conv, (v, i) => Math.min(6, i % 2 === 0 ? v * 0.5 : v));
    expect(Array.from(values.get(9)!)).toEqual(Array.from(act));
    expect(Array.from(values.get(10)!)).toEqual(Array.from(act));
    const fc = fullyConnectedFloat(act, g.tensors[11]!.data as Float32Array, undefined, 18, 2, 'none');
    expect(Array.from(values.get(12)!)).toEqual(Array.from(fc));
    expect(Array.from(outputs[0]!)).toEqual(Array.from(softmaxFloat(fc, 2, 1)));
    expect(outputs[0]![0]! + outputs[0]![1]!).toBeCloseTo(1, 6);
  });

  it('rejects wrong input count, dtype and length with bad-input errors', () => {
    const g = floatGraph();
    const kind = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(MobilecError);
        expect((e as MobilecError).message).not.toContain('\n');
        return (e as MobilecError).kind;
      }
      return 'none';
    };
    expect(kind(() => runGraph(g, []))).toBe('bad-input');
    expect(kind(() => runGraph(g, [new Int8Array(9)]))).toBe('bad-input');
    expect(kind(() => runGraph(g, [new Float32Array(8)]))).toBe('bad-input');
  });
});

const q = (scale: number, zp: number) => ({ scale: [scale], zeroPoint: [zp], axis: 0 });

/** int8: the hand-computed depthwise case → avg pool 2x2 → reshape → softmax. */
function int8Graph(withRequant = true): Graph {
  const f = new Int8Array(18);
  for (let k = 0; k < 9; k++) f[k * 2] = 1;
  f[1] = 1;
  f[17] = -1;
  const tensors: Tensor[] = [
    t(0, [1, 4, 4, 2], 'int8', { quant: q(0.1, 1) }),
    t(1, [1, 3, 3, 2], 'int8', { quant: { scale: [0.05, 0.05], zeroPoint: [0, 0], axis: 3 }, data: f }),
    t(2, [2], 'int32', { quant: q(0.005, 0), data: Int32Array.from([10, -5]) }),
    t(3, [1, 2, 2, 2], 'int8', { quant: q(0.01, -3) }),
    t(4, [1, 1, 1, 2], 'int8', { quant: q(0.01, -3) }),
    t(5, [1, 2], 'int8', { quant: q(0.01, -3) }),
    t(6, [1, 2], 'int8', { quant: q(1 / 256, -128) }),
  ];
  const ops: Op[] = [
    {
      kind: 'depthwise_conv2d',
      name: 'dw',
      inputs: [0, 1, 2],
      outputs: [3],
      strideH: 2,
      strideW: 2,
      padding: 'same',
      activation: 'relu',
      depthMultiplier: 1,
      ...(withRequant ? { requant: { multiplier: [1 << 30, 1 << 30], shift: [0, 0], actMin: -8, actMax: 127 } } : {}),
    },
    {
      kind: 'average_pool2d',
      name: 'pool',
      inputs: [3],
      outputs: [4],
      filterH: 2,
      filterW: 2,
      strideH: 2,
      strideW: 2,
      padding: 'valid',
      activation: 'none',
      requant: { multiplier: [], shift: [], actMin: -128, actMax: 127 },
    },
    { kind: 'reshape', name: 'flat', inputs: [4], outputs: [5] },
    { kind: 'softmax', name: 'sm', inputs: [5], outputs: [6], beta: 1, softmaxQuant: prepareSoftmax(1, 0.01) },
  ];
  return { name: 'q', tensors, ops, inputs: [0], outputs: [6] };
}

function dwInput(): Int8Array {
  const x = new Int8Array(32);
  for (let p = 0; p < 16; p++) {
    x[p * 2] = p;
    x[p * 2 + 1] = -p;
  }
  return x;
}

describe('runGraph (int8)', () => {
  it('computes the hand-checked depthwise, pool and softmax values', () => {
    const { outputs, values } = runGraph(int8Graph(), [dwInput()]);
    expect(Array.from(values.get(3)!)).toEqual([20, 0, 19, -7, 32, -8, 25, -8]);
    // avg ch0 (20+19+32+25)/4 = 24; ch1 (0-7-8-8)/4 = -5.75 → (-23-2)/4 = -6.
    expect(Array.from(values.get(4)!)).toEqual([24, -6]);
    expect(Array.from(values.get(5)!)).toEqual([24, -6]);
    // softmax of real [0.27, -0.03]: p = [0.5744, 0.4256] → [147, 109] - 128 (±1).
    const y = outputs[0]!;
    expect(Math.abs(y[0]! - 19)).toBeLessThanOrEqual(1);
    expect(Math.abs(y[1]! + 19)).toBeLessThanOrEqual(1);
    expect(y[0]! + y[1]! + 256).toBeGreaterThanOrEqual(255);
    expect(y[0]! + y[1]! + 256).toBeLessThanOrEqual(257);
  });

  it('a quantized op without requant parameters is an internal error', () => {
    expect(() => runGraph(int8Graph(false), [dwInput()])).toThrow(/requant/);
    try {
      runGraph(int8Graph(false), [dwInput()]);
    } catch (e) {
      expect((e as MobilecError).kind).toBe('internal');
    }
  });

  it('int8 standalone activation clamps to the activation range', () => {
    const g: Graph = {
      name: 'a',
      tensors: [t(0, [1, 4], 'int8', { quant: q(0.1, -28) }), t(1, [1, 4], 'int8', { quant: q(0.1, -28) })],
      ops: [{ kind: 'activation', name: 'r6', inputs: [0], outputs: [1], activation: 'relu6' }],
      inputs: [0],
      outputs: [1],
    };
    // relu6 range: [max(-128, -28), min(127, -28 + 60)] = [-28, 32]; equal quantization rescales by exactly 1.
    const { outputs } = runGraph(requantize(g), [Int8Array.from([-100, -28, 10, 100])]);
    expect(Array.from(outputs[0]! as TensorData)).toEqual([-28, -28, 10, 32]);
  });
});

describe('runGraph (int8 softmax output quantization)', () => {
  it('rejects an int8 softmax output that is not (1/256, -128)', () => {
    const g = int8Graph();
    const tensors = g.tensors.map((x) => (x.id === 6 ? { ...x, quant: q(1 / 128, -128) } : x));
    expect(() => runGraph({ ...g, tensors }, [dwInput()])).toThrow(/1\/256/);
  });
});
