/** Hand-built graphs covering every op the codegen supports. */
import type { Activation, DType, Graph, Quantization, Requant } from '../../src/model/ir.js';
import { Prng } from '../../src/util/prng.js';
import { prepareSoftmax } from '../../src/numerics/fixedpoint.js';
import { GraphBuilder, q } from './helpers.js';

function floatData(rng: Prng, n: number, amp = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform(-amp, amp);
  return a;
}

function intData<T extends Int8Array | Uint8Array | Int32Array>(ctor: new (n: number) => T, rng: Prng, n: number, lo: number, hi: number): T {
  const a = new ctor(n);
  for (let i = 0; i < n; i++) a[i] = rng.int(lo, hi);
  return a;
}

/**
 * float32: conv 3x3 s2 SAME -> dw 3x3 s1 SAME dm2 -> dw 3x3 s2 VALID -> conv 1x1 (relu6)
 * -> avg pool 2x2 -> reshape -> fc -> softmax.
 */
export function floatGraph(name = 'fnet'): Graph {
  const rng = new Prng(7);
  const b = new GraphBuilder();
  const f = (n: string, shape: number[], data?: Float32Array) => b.tensor(n, shape, 'float32', data ? { data } : {});
  const x = f('x', [1, 9, 9, 3]);
  const w1 = f('w1', [8, 3, 3, 3], floatData(rng, 216));
  const b1 = f('b1', [8], floatData(rng, 8));
  const t1 = f('t1', [1, 5, 5, 8]);
  const w2 = f('w2', [1, 3, 3, 16], floatData(rng, 144));
  const b2 = f('b2', [16], floatData(rng, 16));
  const t2 = f('t2', [1, 5, 5, 16]);
  const w3 = f('w3', [1, 3, 3, 16], floatData(rng, 144));
  const t3 = f('t3', [1, 2, 2, 16]);
  const w4 = f('w4', [12, 1, 1, 16], floatData(rng, 192));
  const b4 = f('b4', [12], floatData(rng, 12));
  const t4 = f('t4', [1, 2, 2, 12]);
  const t5 = f('t5', [1, 1, 1, 12]);
  const t6 = f('t6', [1, 12]);
  const w7 = f('w7', [5, 12], floatData(rng, 60));
  const b7 = f('b7', [5], floatData(rng, 5));
  const t7 = f('t7', [1, 5]);
  const t8 = f('t8', [1, 5]);
  const conv = (name: string, inputs: number[], out: number, s: number, pad: 'same' | 'valid', act: Activation) =>
    b.op({ kind: 'conv2d', name, inputs, outputs: [out], strideH: s, strideW: s, padding: pad, activation: act });
  const dw = (name: string, inputs: number[], out: number, s: number, pad: 'same' | 'valid', dm: number, act: Activation) =>
    b.op({ kind: 'depthwise_conv2d', name, inputs, outputs: [out], strideH: s, strideW: s, padding: pad, activation: act, depthMultiplier: dm });
  conv('conv1', [x, w1, b1], t1, 2, 'same', 'relu');
  dw('dw1', [t1, w2, b2], t2, 1, 'same', 2, 'none');
  dw('dw2', [t2, w3], t3, 2, 'valid', 1, 'relu_n1_to_1');
  conv('pw', [t3, w4, b4], t4, 1, 'valid', 'relu6');
  b.op({
    kind: 'average_pool2d',
    name: 'pool',
    inputs: [t4],
    outputs: [t5],
    filterH: 2,
    filterW: 2,
    strideH: 2,
    strideW: 2,
    padding: 'valid',
    activation: 'none',
  });
  b.op({ kind: 'reshape', name: 'flat', inputs: [t5], outputs: [t6] });
  b.op({ kind: 'fully_connected', name: 'fc', inputs: [t6, w7, b7], outputs: [t7], activation: 'none' });
  b.op({ kind: 'softmax', name: 'sm', inputs: [t7], outputs: [t8], beta: 1 });
  return b.build(name, [x], [t8]);
}

function perChannel(rng: Prng, n: number, shiftLo: number, shiftHi: number, actMin: number, actMax: number): Requant {
  const multiplier: number[] = [];
  const shift: number[] = [];
  for (let i = 0; i < n; i++) {
    multiplier.push(rng.int(1 << 30, 2147483647));
    shift.push(rng.int(shiftLo, shiftHi));
  }
  return { multiplier, shift, actMin, actMax };
}

function symWeights(n: number, axis: number): Quantization {
  return { scale: new Array(n).fill(0.02), zeroPoint: new Array(n).fill(0), axis };
}

/**
 * int8 with hand-set requantization: same topology as floatGraph, per-channel
 * requant on the convs, per-tensor on the fc, quantized softmax.
 */
export function int8Graph(name = 'qnet', softmaxQuant = prepareSoftmax(1, 0.2)): Graph {
  const rng = new Prng(11);
  const b = new GraphBuilder();
  const a = (n: string, shape: number[], scale: number, zp: number) => b.tensor(n, shape, 'int8', { quant: q(scale, zp) });
  const w = (n: string, shape: number[], axis: number) => {
    const count = shape.reduce((p, d) => p * d, 1);
    return b.tensor(n, shape, 'int8', { quant: symWeights(shape[axis]!, axis), data: intData(Int8Array, rng, count, -127, 127) });
  };
  const bias = (n: string, c: number) => b.tensor(n, [c], 'int32', { data: intData(Int32Array, rng, c, -3000, 3000) });
  const x = a('x', [1, 9, 9, 3], 0.05, 3);
  const w1 = w('w1', [8, 3, 3, 3], 0);
  const b1 = bias('b1', 8);
  const t1 = a('t1', [1, 5, 5, 8], 0.1, -5);
  const w2 = w('w2', [1, 3, 3, 16], 3);
  const b2 = bias('b2', 16);
  const t2 = a('t2', [1, 5, 5, 16], 0.1, 2);
  const w3 = w('w3', [1, 3, 3, 16], 3);
  const t3 = a('t3', [1, 2, 2, 16], 0.1, -1);
  const w4 = w('w4', [12, 1, 1, 16], 0);
  const b4 = bias('b4', 12);
  const t4 = a('t4', [1, 2, 2, 12], 0.1, -5);
  const t5 = a('t5', [1, 1, 1, 12], 0.1, -5);
  const t6 = a('t6', [1, 12], 0.1, -5);
  const w7 = w('w7', [5, 12], 0);
  const b7 = bias('b7', 5);
  const t7 = a('t7', [1, 5], 0.2, 4);
  const t8 = a('t8', [1, 5], 1 / 256, -128);
  b.op({
    kind: 'conv2d',
    name: 'conv1',
    inputs: [x, w1, b1],
    outputs: [t1],
    strideH: 2,
    strideW: 2,
    padding: 'same',
    activation: 'relu',
    requant: perChannel(rng, 8, -10, -9, -5, 127),
  });
  b.op({
    kind: 'depthwise_conv2d',
    name: 'dw1',
    inputs: [t1, w2, b2],
    outputs: [t2],
    strideH: 1,
    strideW: 1,
    padding: 'same',
    activation: 'none',
    depthMultiplier: 2,
    requant: perChannel(rng, 16, -8, -7, -128, 127),
  });
  b.op({
    kind: 'depthwise_conv2d',
    name: 'dw2',
    inputs: [t2, w3],
    outputs: [t3],
    strideH: 2,
    strideW: 2,
    padding: 'valid',
    activation: 'none',
    depthMultiplier: 1,
    requant: perChannel(rng, 16, -8, -7, -128, 127),
  });
  b.op({
    kind: 'conv2d',
    name: 'pw',
    inputs: [t3, w4, b4],
    outputs: [t4],
    strideH: 1,
    strideW: 1,
    padding: 'valid',
    activation: 'relu6',
    requant: perChannel(rng, 12, -8, -7, -5, 55),
  });
  b.op({
    kind: 'average_pool2d',
    name: 'pool',
    inputs: [t4],
    outputs: [t5],
    filterH: 2,
    filterW: 2,
    strideH: 2,
    strideW: 2,
    padding: 'valid',
    activation: 'none',
    requant: { multiplier: [], shift: [], actMin: -128, actMax: 127 },
  });
  b.op({ kind: 'reshape', name: 'flat', inputs: [t5], outputs: [t6] });
  b.op({
    kind: 'fully_connected',
    name: 'fc',
    inputs: [t6, w7, b7],
    outputs: [t7],
    activation: 'none',
    requant: { multiplier: [1395864371], shift: [-6], actMin: -128, actMax: 127 },
  });
  b.op({ kind: 'softmax', name: 'sm', inputs: [t7], outputs: [t8], beta: 1, softmaxQuant });
  return b.build(name, [x], [t8]);
}

/** Legacy uint8: per-tensor asymmetric weights (zero point 120), max pool, softmax. */
export function uint8Graph(name = 'unet', softmaxQuant = prepareSoftmax(1, 0.2)): Graph {
  const rng = new Prng(13);
  const b = new GraphBuilder();
  const a = (n: string, shape: number[], scale: number, zp: number, dtype: DType = 'uint8') => b.tensor(n, shape, dtype, { quant: q(scale, zp) });
  const x = a('x', [1, 6, 6, 4], 0.05, 128);
  const w1 = b.tensor('w1', [6, 3, 3, 4], 'uint8', { quant: q(0.01, 120), data: intData(Uint8Array, rng, 216, 60, 190) });
  const b1 = b.tensor('b1', [6], 'int32', { data: intData(Int32Array, rng, 6, -2000, 2000) });
  const t1 = a('t1', [1, 6, 6, 6], 0.1, 10);
  const t2 = a('t2', [1, 3, 3, 6], 0.1, 10);
  const w3 = b.tensor('w3', [1, 3, 3, 6], 'uint8', { quant: q(0.01, 130), data: intData(Uint8Array, rng, 54, 50, 210) });
  const b3 = b.tensor('b3', [6], 'int32', { data: intData(Int32Array, rng, 6, -2000, 2000) });
  const t3 = a('t3', [1, 2, 2, 6], 0.1, 100);
  const t4 = a('t4', [1, 24], 0.1, 100);
  const w5 = b.tensor('w5', [3, 24], 'uint8', { quant: q(0.01, 127), data: intData(Uint8Array, rng, 72, 0, 255) });
  const t5 = a('t5', [1, 3], 0.2, 128);
  const t6 = a('t6', [1, 3], 1 / 256, 0);
  b.op({
    kind: 'conv2d',
    name: 'conv1',
    inputs: [x, w1, b1],
    outputs: [t1],
    strideH: 1,
    strideW: 1,
    padding: 'same',
    activation: 'relu6',
    requant: { multiplier: [1500000000], shift: [-9], actMin: 10, actMax: 70 },
  });
  b.op({
    kind: 'max_pool2d',
    name: 'mp',
    inputs: [t1],
    outputs: [t2],
    filterH: 3,
    filterW: 3,
    strideH: 2,
    strideW: 2,
    padding: 'same',
    activation: 'none',
    requant: { multiplier: [], shift: [], actMin: 0, actMax: 255 },
  });
  b.op({
    kind: 'depthwise_conv2d',
    name: 'dw',
    inputs: [t2, w3, b3],
    outputs: [t3],
    strideH: 2,
    strideW: 2,
    padding: 'same',
    activation: 'relu',
    depthMultiplier: 1,
    requant: { multiplier: [1300000000], shift: [-6], actMin: 100, actMax: 255 },
  });
  b.op({ kind: 'reshape', name: 'flat', inputs: [t3], outputs: [t4] });
  b.op({
    kind: 'fully_connected',
    name: 'fc',
    inputs: [t4, w5],
    outputs: [t5],
    activation: 'none',
    requant: { multiplier: [1200000000], shift: [-8], actMin: 0, actMax: 255 },
  });
  b.op({ kind: 'softmax', name: 'sm', inputs: [t5], outputs: [t6], beta: 1, softmaxQuant });
  return b.build(name, [x], [t6]);
}

export { intData, floatData };
