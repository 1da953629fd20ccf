/**
 * The two shared real models, imported and run through the reference:
 * outputs must equal the independent implementations' byte for byte.
 */
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTflite } from '../../src/frontends/tflite/import.js';
import type { Graph } from '../../src/model/ir.js';
import { loadModel } from '../../src/pipeline.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { MOBILENET_QUANT, PERSON_DETECT, expectedBytes, skipShared } from '../helpers/shared.js';

const kinds = (g: Graph) => g.ops.map((o) => o.kind);
const shapeOf = (g: Graph, id: number) => [...g.tensors[id]!.shape];
const outShapes = (g: Graph) => g.ops.map((o) => shapeOf(g, o.outputs[0]!));

/** 13 separable blocks: depthwise then pointwise, after the first layer. */
const separable = (n: number) => Array.from({ length: n }, () => ['depthwise_conv2d', 'conv2d']).flat();

describe.skipIf(skipShared)('person_detect.tflite (int8, per-channel)', () => {
  it('imports as MobileNetV1 0.25 on 96x96x1 with a multiplier-8 first depthwise', () => {
    const { graph: g, quantize } = loadTflite(PERSON_DETECT);
    expect(quantize).toBeUndefined();
    expect(g.name).toBe('person_detect');
    expect(kinds(g)).toEqual(['depthwise_conv2d', ...separable(13), 'average_pool2d', 'conv2d', 'reshape', 'softmax']);
    expect(g.ops.map((o) => o.name).slice(0, 3)).toEqual(['0_DEPTHWISE_CONV_2D', '1_DEPTHWISE_CONV_2D', '2_CONV_2D']);
    const x = g.tensors[g.inputs[0]!]!;
    expect([x.dtype, ...x.shape]).toEqual(['int8', 1, 96, 96, 1]);
    expect(x.quant).toEqual({ scale: [Math.fround(x.quant!.scale[0]!)], zeroPoint: [-1], axis: 0 });
    const y = g.tensors[g.outputs[0]!]!;
    expect([y.dtype, ...y.shape]).toEqual(['int8', 1, 2]);
    expect(y.quant).toEqual({ scale: [1 / 256], zeroPoint: [-128], axis: 0 });

    const first = g.ops[0]!;
    expect(first.kind === 'depthwise_conv2d' && first.depthMultiplier).toBe(8);
    const f = g.tensors[first.inputs[1]!]!;
    expect([f.dtype, ...f.shape]).toEqual(['int8', 1, 3, 3, 8]);
    expect(f.quant!.scale).toHaveLength(8);
    expect(f.quant!.axis).toBe(3);
    const bias = g.tensors[first.inputs[2]!]!;
    // The file says quantized_dimension 3 on this 1-D bias; it can only mean axis 0.
    expect([bias.dtype, ...bias.shape, bias.quant!.axis, bias.quant!.scale.length]).toEqual(['int32', 8, 0, 8]);
    expect(bias.data).toBeInstanceOf(Int32Array);
    for (const s of [...f.quant!.scale, ...bias.quant!.scale]) expect(Math.fround(s)).toBe(s);

    expect(outShapes(g).slice(0, 3)).toEqual([
      [1, 48, 48, 8],
      [1, 48, 48, 8],
      [1, 48, 48, 16],
    ]);
    expect(outShapes(g).slice(-4)).toEqual([
      [1, 1, 1, 256],
      [1, 1, 1, 2],
      [1, 2],
      [1, 2],
    ]);
    const pointwise = g.ops.filter((o) => o.kind === 'conv2d').map((o) => g.tensors[o.inputs[1]!]!.shape[0]);
    expect(pointwise).toEqual([16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256, 2]);
    const consts = g.tensors.filter((t) => t.data);
    expect(consts).toHaveLength(2 * 28);
    const paramBytes = consts.reduce((n, t) => n + t.data!.byteLength, 0);
    expect(paramBytes).toBeLessThan(statSync(PERSON_DETECT).size);
    expect(paramBytes).toBeGreaterThan(200_000);
  });

  for (const [name, expected] of [
    ['person', [-113, 113]],
    ['no_person', [57, -57]],
  ] as const) {
    it(`${name}.bmp (raw bytes as int8) → [${expected.join(', ')}]`, () => {
      const g = loadModel(PERSON_DETECT);
      const inBytes = expectedBytes(`person_detect.${name}.input.bin`);
      const out = runGraph(g, [new Int8Array(inBytes.buffer, inBytes.byteOffset, inBytes.length)]).outputs[0]!;
      expect(out).toBeInstanceOf(Int8Array);
      expect(Array.from(out)).toEqual(expected);
      const file = expectedBytes(`person_detect.${name}.output.bin`);
      expect(Array.from(new Int8Array(file.buffer, file.byteOffset, file.length))).toEqual(expected);
    });
  }
});

describe.skipIf(skipShared)('mobilenet_v1_0.25_128_quant.tflite (uint8, per-tensor)', () => {
  it('imports as MobileNetV1 0.25 on 128x128x3 with a 1001-class 1x1 conv head', () => {
    const { graph: g, quantize } = loadTflite(MOBILENET_QUANT);
    expect(quantize).toBeUndefined();
    expect(g.name).toBe('mobilenet_v1_0_25_128_quant');
    expect(kinds(g)).toEqual(['conv2d', ...separable(13), 'average_pool2d', 'conv2d', 'reshape', 'softmax']);
    const x = g.tensors[g.inputs[0]!]!;
    expect([x.dtype, ...x.shape, x.quant!.zeroPoint[0]]).toEqual(['uint8', 1, 128, 128, 3, 128]);
    const y = g.tensors[g.outputs[0]!]!;
    expect([y.dtype, ...y.shape]).toEqual(['uint8', 1, 1001]);
    expect(y.quant).toEqual({ scale: [1 / 256], zeroPoint: [0], axis: 0 });
    const w0 = g.tensors[g.ops[0]!.inputs[1]!]!;
    expect([w0.dtype, ...w0.shape]).toEqual(['uint8', 8, 3, 3, 3]);
    expect(w0.quant!.scale).toHaveLength(1);
    expect(w0.quant!.zeroPoint[0]).toBe(157); // legacy asymmetric weights
    expect(outShapes(g).slice(-4)).toEqual([
      [1, 1, 1, 256],
      [1, 1, 1, 1001],
      [1, 1001],
      [1, 1001],
    ]);
    const pool = g.ops[27]!;
    expect(pool.kind === 'average_pool2d' && [pool.filterH, pool.filterW, pool.padding]).toEqual([4, 4, 'valid']);
  });

  it('bird.bmp → the expected 1001 uint8 scores byte for byte (top-1 class 20, 101)', () => {
    const g = loadModel(MOBILENET_QUANT);
    const out = runGraph(g, [new Uint8Array(expectedBytes('mobilenet_v1_0.25_128_quant.bird.input.bin'))]).outputs[0]!;
    const expected = new Uint8Array(expectedBytes('mobilenet_v1_0.25_128_quant.bird.output.bin'));
    expect(out).toBeInstanceOf(Uint8Array);
    expect(out.length).toBe(1001);
    expect(Buffer.from(out.buffer, out.byteOffset, out.byteLength).equals(Buffer.from(expected))).toBe(true);
    let top = 0;
    for (let i = 1; i < out.length; i++) if (out[i]! > out[top]!) top = i;
    expect([top, out[top]]).toEqual([20, 101]);
  });
});
