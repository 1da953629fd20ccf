/** Test models for the TFLite frontend, written with src/frontends/tflite/builder.ts. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildTflite, type ModelSpec, type OperatorSpec, type TensorSpec } from '../helpers/tfliteBuilder.js';
import type { Graph, Quantization, TensorData } from '../../src/model/ir.js';
import { Prng } from '../../src/util/prng.js';

export function writeModel(dir: string, name: string, spec: ModelSpec | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, spec instanceof Uint8Array ? spec : buildTflite(spec));
  return path;
}

const TYPE = { float32: 'FLOAT32', int8: 'INT8', uint8: 'UINT8', int32: 'INT32' } as const;
const quantSpec = (q: Quantization | undefined): TensorSpec['quant'] => q && { scale: [...q.scale], zeroPoint: [...q.zeroPoint], quantizedDimension: q.axis };

/** An IR graph (as a frontend or the passes produce it) written back as a TFLite model. */
export function specFromGraph(g: Graph): ModelSpec {
  const tensors: TensorSpec[] = g.tensors.map((t) => ({
    name: t.name,
    shape: [...t.shape],
    type: TYPE[t.dtype],
    ...(t.data && { data: t.data }),
    ...(t.quant && { quant: quantSpec(t.quant) }),
  }));
  const operators: OperatorSpec[] = g.ops.map((op): OperatorSpec => {
    const io = { inputs: [...op.inputs], outputs: [...op.outputs] };
    switch (op.kind) {
      case 'conv2d':
        return { op: 'CONV_2D', ...io, options: { kind: 'conv2d', padding: op.padding, stride: [op.strideH, op.strideW], activation: op.activation } };
      case 'depthwise_conv2d':
        return {
          op: 'DEPTHWISE_CONV_2D',
          ...io,
          options: {
            kind: 'depthwise_conv2d',
            padding: op.padding,
            stride: [op.strideH, op.strideW],
            activation: op.activation,
            depthMultiplier: op.depthMultiplier,
          },
        };
      case 'average_pool2d':
      case 'max_pool2d':
        return {
          op: op.kind === 'average_pool2d' ? 'AVERAGE_POOL_2D' : 'MAX_POOL_2D',
          ...io,
          options: { kind: 'pool2d', padding: op.padding, stride: [op.strideH, op.strideW], filter: [op.filterH, op.filterW], activation: op.activation },
        };
      case 'fully_connected':
        return { op: 'FULLY_CONNECTED', ...io, options: { kind: 'fully_connected', activation: op.activation } };
      case 'softmax':
        return { op: 'SOFTMAX', ...io, options: { kind: 'softmax', beta: op.beta } };
      case 'reshape':
        return { op: 'RESHAPE', ...io, options: { kind: 'reshape', newShape: [...g.tensors[op.outputs[0]!]!.shape] } };
      case 'add':
        return { op: 'ADD', ...io, options: { kind: 'add', activation: op.activation } };
      case 'mul':
        return { op: 'MUL', ...io, options: { kind: 'mul', activation: op.activation } };
      case 'hard_swish':
        return { op: 'HARD_SWISH', ...io };
      case 'logistic':
        return { op: 'LOGISTIC', ...io };
      case 'activation':
        return { op: op.activation === 'relu' ? 'RELU' : op.activation === 'relu6' ? 'RELU6' : 'RELU_N1_TO_1', ...io };
      case 'quantize':
        return { op: 'QUANTIZE', ...io };
      case 'dequantize':
        return { op: 'DEQUANTIZE', ...io };
      case 'mean': {
        const id = tensors.length;
        tensors.push({ name: `${op.name}/axes`, shape: [op.axes.length], type: 'INT32', data: Int32Array.from(op.axes) });
        return { op: 'MEAN', inputs: [op.inputs[0]!, id], outputs: [...op.outputs], options: { kind: 'reducer', keepDims: op.keepDims } };
      }
      case 'pad': {
        const id = tensors.length;
        tensors.push({ name: `${op.name}/paddings`, shape: [op.paddings.length, 2], type: 'INT32', data: Int32Array.from(op.paddings.flat()) });
        return { op: 'PAD', inputs: [op.inputs[0]!, id], outputs: [...op.outputs] };
      }
      default:
        throw new Error(`specFromGraph: ${op.kind} has no TFLite form here`);
    }
  });
  return { tensors, operators, inputs: [...g.inputs], outputs: [...g.outputs] };
}

/** Builds a model spec tensor by tensor. */
export class SpecBuilder {
  readonly tensors: TensorSpec[] = [];
  readonly operators: OperatorSpec[] = [];
  tensor(t: TensorSpec): number {
    return this.tensors.push({ name: t.name ?? `t${this.tensors.length}`, ...t }) - 1;
  }
  op(o: OperatorSpec): number {
    this.operators.push(o);
    return o.outputs[0]!;
  }
  spec(inputs: number[], outputs: number[]): ModelSpec {
    return { tensors: this.tensors, operators: this.operators, inputs, outputs };
  }
}

export interface TinyOptions {
  dtype: 'float32' | 'int8' | 'uint8';
  /** Input channels: 1 (grey) or 3 (RGB). */
  channels: 1 | 3;
  /** Input height = width (a multiple of 4). */
  size: number;
  first: 'conv' | 'depthwise';
  head: 'conv' | 'fc';
  softmax: boolean;
  classes: number;
  seed: number;
}

type Q = { scale: number[]; zeroPoint: number[]; quantizedDimension?: number } | undefined;

/**
 * A small MobileNet-shaped model: first layer (3x3 stride-2 conv, or a 3x3
 * stride-2 depthwise with multiplier 8 for grey / 2 for RGB), a separable
 * block (3x3 depthwise + 1x1 conv to 16), a global AVERAGE_POOL_2D, a head
 * (1x1 CONV_2D + RESHAPE, or FULLY_CONNECTED), optionally SOFTMAX.
 * int8: per-channel symmetric weights; uint8: per-tensor weights with zero points.
 */
export function tinyMobilenet(o: TinyOptions): ModelSpec {
  const rng = new Prng(o.seed);
  const b = new SpecBuilder();
  const f = Math.fround;
  const q8 = o.dtype !== 'float32';
  const actType = o.dtype === 'float32' ? 'FLOAT32' : o.dtype === 'int8' ? 'INT8' : 'UINT8';
  const zp0 = o.dtype === 'int8' ? -128 : 0; // zero point of a [0, 6] activation
  const act = (name: string, shape: number[], quant: Q) => b.tensor({ name, shape, type: actType, ...(q8 && { quant }) });
  const relu6Q: Q = { scale: [f(6 / 255)], zeroPoint: [zp0] };

  const weights = (name: string, shape: number[], axis: number, sIn: number) => {
    const n = shape.reduce((a, c) => a * c, 1);
    const channels = shape[axis]!;
    if (o.dtype === 'float32') {
      const data = Float32Array.from({ length: n }, () => rng.normal() * 0.4);
      const bias = Float32Array.from({ length: channels }, () => rng.normal() * 0.1);
      return {
        w: b.tensor({ name: `${name}/weights`, shape, type: 'FLOAT32', data }),
        b: b.tensor({ name: `${name}/bias`, shape: [channels], type: 'FLOAT32', data: bias }),
      };
    }
    let wq: Q;
    let data: Int8Array | Uint8Array;
    if (o.dtype === 'int8') {
      const scale = Array.from({ length: channels }, () => f(rng.uniform(0.004, 0.02)));
      wq = { scale, zeroPoint: scale.map(() => 0), quantizedDimension: axis };
      data = Int8Array.from({ length: n }, () => rng.int(-127, 127));
    } else {
      wq = { scale: [f(rng.uniform(0.004, 0.02))], zeroPoint: [rng.int(100, 160)] };
      data = Uint8Array.from({ length: n }, () => rng.int(0, 255));
    }
    const bscale = wq!.scale.map((s) => f(sIn * s));
    // Biases carry the filter's quantized_dimension in some converters' output (person_detect.tflite does).
    const bq: Q = { scale: bscale, zeroPoint: bscale.map(() => 0), quantizedDimension: axis };
    const bias = Int32Array.from({ length: channels }, () => rng.int(-2000, 2000));
    return {
      w: b.tensor({ name: `${name}/weights`, shape, type: o.dtype === 'int8' ? 'INT8' : 'UINT8', data, quant: wq }),
      b: b.tensor({ name: `${name}/bias`, shape: [channels], type: 'INT32', data: bias, quant: bq }),
    };
  };

  const S = o.size;
  const C = o.channels;
  const inQ: Q = o.dtype === 'int8' ? { scale: [f(1 / 128)], zeroPoint: [0] } : { scale: [f(1 / 128)], zeroPoint: [128] };
  const input = act('input', [1, S, S, C], inQ);
  const h1 = S / 2;
  let x: number;
  let c1: number;
  if (o.first === 'conv') {
    c1 = 8;
    const p = weights('conv0', [c1, 3, 3, C], 0, inQ!.scale[0]!);
    x = b.op({
      op: 'CONV_2D',
      inputs: [input, p.w, p.b],
      outputs: [act('conv0', [1, h1, h1, c1], relu6Q)],
      options: { kind: 'conv2d', stride: [2, 2], activation: 'relu6' },
    });
  } else {
    const m = C === 1 ? 8 : 2;
    c1 = C * m;
    const p = weights('dw0', [1, 3, 3, c1], 3, inQ!.scale[0]!);
    x = b.op({
      op: 'DEPTHWISE_CONV_2D',
      inputs: [input, p.w, p.b],
      outputs: [act('dw0', [1, h1, h1, c1], relu6Q)],
      options: { kind: 'depthwise_conv2d', stride: [2, 2], activation: 'relu6', depthMultiplier: m },
    });
  }
  const sAct = relu6Q!.scale[0]!;
  let p = weights('dw1', [1, 3, 3, c1], 3, sAct);
  x = b.op({
    op: 'DEPTHWISE_CONV_2D',
    inputs: [x, p.w, p.b],
    outputs: [act('dw1', [1, h1, h1, c1], relu6Q)],
    options: { kind: 'depthwise_conv2d', activation: 'relu6' },
  });
  p = weights('pw1', [16, 1, 1, c1], 0, sAct);
  x = b.op({
    op: 'CONV_2D',
    inputs: [x, p.w, p.b],
    outputs: [act('pw1', [1, h1, h1, 16], relu6Q)],
    options: { kind: 'conv2d', padding: 'valid', activation: 'relu6' },
  });
  x = b.op({
    op: 'AVERAGE_POOL_2D',
    inputs: [x],
    outputs: [act('pool', [1, 1, 1, 16], relu6Q)],
    options: { kind: 'pool2d', padding: 'valid', filter: [h1, h1], stride: [2, 2] },
  });
  const K = o.classes;
  const logitQ: Q = o.dtype === 'int8' ? { scale: [f(0.1)], zeroPoint: [3] } : { scale: [f(0.1)], zeroPoint: [130] };
  if (o.head === 'conv') {
    p = weights('logits', [K, 1, 1, 16], 0, sAct);
    x = b.op({ op: 'CONV_2D', inputs: [x, p.w, p.b], outputs: [act('logits', [1, 1, 1, K], logitQ)], options: { kind: 'conv2d' } });
    const shape = b.tensor({ name: 'shape', shape: [2], type: 'INT32', data: Int32Array.of(1, K) });
    x = b.op({ op: 'RESHAPE', inputs: [x, shape], outputs: [act('reshape', [1, K], logitQ)], options: { kind: 'reshape', newShape: [1, K] } });
  } else {
    p = weights('fc', [K, 16], 0, sAct);
    x = b.op({ op: 'FULLY_CONNECTED', inputs: [x, p.w, p.b], outputs: [act('fc', [1, K], logitQ)], options: { kind: 'fully_connected' } });
  }
  if (o.softmax) {
    const smQ: Q = { scale: [1 / 256], zeroPoint: [o.dtype === 'int8' ? -128 : 0] };
    x = b.op({ op: 'SOFTMAX', inputs: [x], outputs: [act('softmax', [1, K], smQ)], options: { kind: 'softmax', beta: 1 } });
  }
  return b.spec([input], [x]);
}

/** A seeded input for a model input tensor. */
export function seededInput(dtype: string, n: number, seed: number): TensorData {
  const rng = new Prng(seed);
  if (dtype === 'float32') return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  if (dtype === 'int8') return Int8Array.from({ length: n }, () => rng.int(-128, 127));
  return Uint8Array.from({ length: n }, () => rng.int(0, 255));
}
