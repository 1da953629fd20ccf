/**
 * Builder-made .tflite models: round trips through the importer, the model
 * variants the shared files do not cover, hand-computed numbers, and the
 * error messages for what mobilec does not import.
 */
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTflite, type ModelSpec, type TensorSpec } from '../helpers/tfliteBuilder.js';
import { SUPPORTED_TFLITE_OPS, importTflite, loadTflite } from '../../src/frontends/tflite/import.js';
import { DEFAULT_BUDGET, budgetWith } from '../../src/model/budget.js';
import { MobilecError } from '../../src/model/errors.js';
import { elementCount, type Graph, type Op, type TensorData } from '../../src/model/ir.js';
import { prepareGraph } from '../../src/passes/index.js';
import { loadModel } from '../../src/pipeline.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { SpecBuilder, seededInput, specFromGraph, tinyMobilenet, writeModel, type TinyOptions } from './models.js';

const dir = mkdtempSync(join(tmpdir(), 'mobilec-tflite-builder-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EXAMPLES = join(__dirname, '..', '..', 'examples', 'models');

function errorOf(fn: () => unknown): MobilecError {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MobilecError)) throw e;
    expect(e.kind).toBe('bad-input');
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toContain('\n');
    return e;
  }
  throw new Error('expected a MobilecError');
}

/** The parts of an op a frontend decides (not the passes' requant, not names). */
function opShape(op: Op): Record<string, unknown> {
  const { name: _n, requant: _r, ...rest } = op as Op & { softmaxQuant?: unknown; addQuant?: unknown };
  const { softmaxQuant: _s, addQuant: _a, ...core } = rest as Record<string, unknown>;
  return core;
}

function run(g: Graph, seed: number): TensorData {
  const x = g.tensors[g.inputs[0]!]!;
  return runGraph(g, [seededInput(x.dtype, elementCount(x.shape), seed)]).outputs[0]!;
}

describe('round trip: IR → .tflite (builder) → IR (importer)', () => {
  for (const file of ['mobilenet_v1_0.25_96.json', 'mobilenet_v1_0.25_96_int8.json']) {
    it(`${file}: same tensors, ops and reference output`, () => {
      const original = loadModel(join(EXAMPLES, file));
      const spec = specFromGraph(original);
      for (const variant of [{}, { externalBuffers: true }, { legacyOpcodes: true }]) {
        const bytes = buildTflite({ ...spec, ...variant });
        const { graph: g, quantize } = importTflite(bytes, join(dir, 'round trip.tflite'));
        expect(quantize).toBeUndefined();
        expect(g.name).toBe('round_trip');
        expect(g.inputs).toEqual(original.inputs);
        expect(g.outputs).toEqual(original.outputs);
        expect(g.tensors.length).toBe(original.tensors.length);
        g.tensors.forEach((t, i) => {
          const o = original.tensors[i]!;
          expect([t.name, t.dtype, t.shape, t.quant]).toEqual([o.name, o.dtype, o.shape, o.quant]);
          expect(t.data?.constructor).toBe(o.data?.constructor);
          if (o.data)
            expect(
              Buffer.from(t.data!.buffer, t.data!.byteOffset, t.data!.byteLength).equals(Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength)),
            ).toBe(true);
        });
        expect(g.ops.map(opShape)).toEqual(original.ops.map(opShape));
        const prepared = prepareGraph({ graph: g });
        expect(prepared.ops.map((o) => o.requant)).toEqual(original.ops.map((o) => o.requant));
        expect(Array.from(run(prepared, 7))).toEqual(Array.from(run(original, 7)));
      }
    });
  }

  it('keeps asymmetric windows: filter_height/filter_width and stride_h/stride_w land where they belong', () => {
    const b = new SpecBuilder();
    const x = b.tensor({ shape: [1, 2, 4, 1], type: 'FLOAT32' });
    const y = b.op({
      op: 'MAX_POOL_2D',
      inputs: [x],
      outputs: [b.tensor({ shape: [1, 2, 2, 1], type: 'FLOAT32' })],
      options: { kind: 'pool2d', padding: 'valid', filter: [1, 2], stride: [1, 2] },
    });
    const path = writeModel(dir, 'pool.tflite', b.spec([x], [y]));
    const g = loadModel(path);
    expect(opShape(g.ops[0]!)).toMatchObject({ kind: 'max_pool2d', filterH: 1, filterW: 2, strideH: 1, strideW: 2, padding: 'valid' });
    expect(Array.from(runGraph(g, [Float32Array.of(1, 5, 2, 3, 8, 7, 4, 6)]).outputs[0]!)).toEqual([5, 3, 8, 6]);
  });
});

describe('model variants', () => {
  const variants: [string, Partial<TinyOptions>][] = [
    ['float32, RGB, conv first, conv head, softmax', { dtype: 'float32', channels: 3, first: 'conv', head: 'conv', softmax: true }],
    ['float32, grey, depthwise first, FC head, no softmax', { dtype: 'float32', channels: 1, first: 'depthwise', head: 'fc', softmax: false }],
    ['int8, grey, depthwise first (multiplier 8), conv head, softmax', { dtype: 'int8', channels: 1, first: 'depthwise', head: 'conv', softmax: true }],
    ['int8, RGB, conv first, FC head, softmax', { dtype: 'int8', channels: 3, first: 'conv', head: 'fc', softmax: true }],
    ['uint8, RGB, conv first, FC head, softmax', { dtype: 'uint8', channels: 3, first: 'conv', head: 'fc', softmax: true }],
    ['uint8, grey, depthwise first, conv head, no softmax', { dtype: 'uint8', channels: 1, first: 'depthwise', head: 'conv', softmax: false }],
    ['uint8, RGB, depthwise first (multiplier 2), conv head, softmax', { dtype: 'uint8', channels: 3, first: 'depthwise', head: 'conv', softmax: true }],
  ];
  for (const [label, v] of variants) {
    it(label, () => {
      const o: TinyOptions = { dtype: 'int8', channels: 3, size: 16, first: 'conv', head: 'conv', softmax: true, classes: 5, seed: 11, ...v };
      const path = writeModel(dir, `tiny-${o.dtype}-${o.channels}-${o.first}-${o.head}-${o.softmax}.tflite`, tinyMobilenet(o));
      const { graph: g } = loadTflite(path);
      const head = o.head === 'conv' ? ['conv2d', 'reshape'] : ['fully_connected'];
      expect(g.ops.map((op) => op.kind)).toEqual([
        o.first === 'conv' ? 'conv2d' : 'depthwise_conv2d',
        'depthwise_conv2d',
        'conv2d',
        'average_pool2d',
        ...head,
        ...(o.softmax ? ['softmax'] : []),
      ]);
      const first = g.ops[0]!;
      if (first.kind === 'depthwise_conv2d') expect(first.depthMultiplier).toBe(o.channels === 1 ? 8 : 2);
      const x = g.tensors[g.inputs[0]!]!;
      expect([x.dtype, ...x.shape]).toEqual([o.dtype, 1, 16, 16, o.channels]);
      for (const t of g.tensors.filter((t) => t.dtype === 'int32')) expect(t.quant!.axis).toBe(0); // despite quantized_dimension 3 in the file
      const w = g.tensors[first.inputs[1]!]!;
      expect(w.quant?.scale.length).toBe(o.dtype === 'int8' ? w.shape[first.kind === 'conv2d' ? 0 : 3] : o.dtype === 'uint8' ? 1 : undefined);

      const prepared = prepareGraph({ graph: g });
      const out = run(prepared, 3);
      expect(out.length).toBe(5);
      // The same model without (or with) the softmax: the softmax of its logits.
      const { graph: other } = importTflite(buildTflite(tinyMobilenet({ ...o, softmax: !o.softmax })), 'other.tflite');
      const otherOut = run(prepareGraph({ graph: other }), 3);
      const [logits, probs] = o.softmax ? [otherOut, out] : [out, otherOut];
      const lq =
        g.tensors[g.ops.find((op) => (op.kind === 'conv2d' && g.tensors[op.outputs[0]!]!.shape[3] === 5) || op.kind === 'fully_connected')!.outputs[0]!]!.quant;
      const real = Array.from(logits, (v) => (lq ? lq.scale[0]! * (v - lq.zeroPoint[0]!) : v));
      const max = Math.max(...real);
      const e = real.map((r) => Math.exp(r - max));
      const sum = e.reduce((a, c) => a + c, 0);
      const pz = o.dtype === 'int8' ? -128 : 0;
      const p = Array.from(probs, (v) => (o.dtype === 'float32' ? v : (v - pz) / 256));
      e.forEach((ei, i) => {
        expect(Math.abs(p[i]! - ei / sum)).toBeLessThan(o.dtype === 'float32' ? 1e-6 : 2 / 256);
      });
      expect(Math.abs(p.reduce((a, c) => a + c, 0) - 1)).toBeLessThan(o.dtype === 'float32' ? 1e-6 : 6 / 256);
    });
  }
});

describe('hand-computed numbers', () => {
  it('float32 3x3 SAME conv of 1..9 with an all-ones filter and bias 1', () => {
    const b = new SpecBuilder();
    const x = b.tensor({ shape: [1, 3, 3, 1], type: 'FLOAT32' });
    const w = b.tensor({ shape: [1, 3, 3, 1], type: 'FLOAT32', data: new Float32Array(9).fill(1) });
    const bias = b.tensor({ shape: [1], type: 'FLOAT32', data: Float32Array.of(1) });
    const y = b.op({ op: 'CONV_2D', inputs: [x, w, bias], outputs: [b.tensor({ shape: [1, 3, 3, 1], type: 'FLOAT32' })], options: { kind: 'conv2d' } });
    const g = loadModel(writeModel(dir, 'conv.tflite', b.spec([x], [y])));
    const out = runGraph(g, [Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9)]).outputs[0]!;
    expect(Array.from(out)).toEqual([13, 22, 17, 28, 46, 34, 25, 40, 29]);
  });

  it('uint8 FULLY_CONNECTED with input and weight zero points and a bias', () => {
    // acc = (130−128)(3−2) + (126−128)(1−2) + 10 = 14; sIn·sW/sOut = 0.5 → 7; + zp 100.
    const b = new SpecBuilder();
    const x = b.tensor({ shape: [1, 2], type: 'UINT8', quant: { scale: [0.5], zeroPoint: [128] } });
    const w = b.tensor({ shape: [2, 2], type: 'UINT8', data: Uint8Array.of(3, 1, 2, 6), quant: { scale: [0.25], zeroPoint: [2] } });
    const bias = b.tensor({ shape: [2], type: 'INT32', data: Int32Array.of(10, -4), quant: { scale: [0.125], zeroPoint: [0] } });
    const yT = b.tensor({ shape: [1, 2], type: 'UINT8', quant: { scale: [0.25], zeroPoint: [100] } });
    const y = b.op({ op: 'FULLY_CONNECTED', inputs: [x, w, bias], outputs: [yT], options: { kind: 'fully_connected' } });
    const g = loadModel(writeModel(dir, 'fc.tflite', b.spec([x], [y])));
    // second row: (2)(0) + (−2)(4) − 4 = −12 → −6 → 94
    expect(Array.from(runGraph(g, [Uint8Array.of(130, 126)]).outputs[0]!)).toEqual([107, 94]);
  });

  it('int8 depthwise with multiplier 2 on one channel, per-channel scales', () => {
    const b = new SpecBuilder();
    const x = b.tensor({ shape: [1, 1, 1, 1], type: 'INT8', quant: { scale: [1], zeroPoint: [0] } });
    const w = b.tensor({
      shape: [1, 1, 1, 2],
      type: 'INT8',
      data: Int8Array.of(3, -2),
      quant: { scale: [0.5, 0.25], zeroPoint: [0, 0], quantizedDimension: 3 },
    });
    const yT = b.tensor({ shape: [1, 1, 1, 2], type: 'INT8', quant: { scale: [1], zeroPoint: [0] } });
    const y = b.op({ op: 'DEPTHWISE_CONV_2D', inputs: [x, w, -1], outputs: [yT], options: { kind: 'depthwise_conv2d', depthMultiplier: 2 } });
    const g = loadModel(writeModel(dir, 'dw.tflite', b.spec([x], [y])));
    expect(g.ops[0]!.inputs).toHaveLength(2); // the omitted bias (-1) is dropped
    expect(Array.from(runGraph(g, [Int8Array.of(10)]).outputs[0]!)).toEqual([15, -5]);
  });

  it('QUANTIZE → PAD → ADD → DEQUANTIZE, and SQUEEZE', () => {
    const b = new SpecBuilder();
    const q = { scale: [0.5], zeroPoint: [-10] };
    const x = b.tensor({ shape: [1, 1, 2, 1], type: 'FLOAT32' });
    const xq = b.op({ op: 'QUANTIZE', inputs: [x], outputs: [b.tensor({ shape: [1, 1, 2, 1], type: 'INT8', quant: q })] });
    const pads = b.tensor({ shape: [4, 2], type: 'INT32', data: Int32Array.of(0, 0, 1, 0, 0, 1, 0, 0) });
    const padded = b.op({ op: 'PAD', inputs: [xq, pads], outputs: [b.tensor({ shape: [1, 2, 3, 1], type: 'INT8', quant: q })] });
    const sum = b.op({
      op: 'ADD',
      inputs: [padded, padded],
      outputs: [b.tensor({ shape: [1, 2, 3, 1], type: 'INT8', quant: { scale: [1], zeroPoint: [0] } })],
      options: { kind: 'add', activation: 'relu' },
    });
    const sq = b.op({
      op: 'SQUEEZE',
      inputs: [sum],
      outputs: [b.tensor({ shape: [2, 3], type: 'INT8', quant: { scale: [1], zeroPoint: [0] } })],
      options: { kind: 'squeeze', dims: [0, 3] },
    });
    const y = b.op({ op: 'DEQUANTIZE', inputs: [sq], outputs: [b.tensor({ shape: [2, 3], type: 'FLOAT32' })] });
    const { graph } = loadTflite(writeModel(dir, 'chain.tflite', b.spec([x], [y])));
    expect(graph.ops.map((o) => o.kind)).toEqual(['quantize', 'pad', 'add', 'reshape', 'dequantize']);
    const pad = graph.ops[1]!;
    expect(pad.kind === 'pad' && pad.paddings).toEqual([
      [0, 0],
      [1, 0],
      [0, 1],
      [0, 0],
    ]);
    expect(graph.ops[2]!.kind === 'add' && graph.ops[2]!.activation).toBe('relu');
    const g = prepareGraph({ graph });
    // 3 → q −4, −2.5 → q −15; padded with real 0; doubled, relu → [0 0 0; 6 0 0]
    expect(Array.from(runGraph(g, [Float32Array.of(3, -2.5)]).outputs[0]!)).toEqual([0, 0, 0, 6, 0, 0]);
  });
});

describe('errors', () => {
  const one = (shape: number[], type: TensorSpec['type'] = 'FLOAT32'): TensorSpec => ({ shape, type });
  const tiny = (patch: (s: ModelSpec) => void, o: Partial<TinyOptions> = {}) => {
    const s = tinyMobilenet({ dtype: 'int8', channels: 1, size: 8, first: 'depthwise', head: 'conv', softmax: true, classes: 2, seed: 5, ...o });
    patch(s);
    return s;
  };
  const load = (name: string, spec: ModelSpec | Uint8Array) => errorOf(() => loadModel(writeModel(dir, name, spec))).message;
  const supported = SUPPORTED_TFLITE_OPS.join(', ');

  it('an unsupported operator: its index, name and the supported list', () => {
    // The registry's mappings in registry order; ops added later append to the list.
    expect(SUPPORTED_TFLITE_OPS.slice(0, 12).join(', ')).toBe(
      'CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D, FULLY_CONNECTED, SOFTMAX, RESHAPE, SQUEEZE, PAD, QUANTIZE, DEQUANTIZE, ADD',
    );
    expect(
      load(
        'sub.tflite',
        tiny((s) => (s.operators[3]!.op = 'SUB')),
      ),
    ).toBe(`sub.tflite: operator 3 (SUB) is not supported; supported: ${supported}`);
    expect(
      load(
        'gelu.tflite',
        tiny((s) => (s.operators[1]!.op = 'GELU')),
      ),
    ).toBe(`gelu.tflite: operator 1 (GELU) is not supported; supported: ${supported}`);
    expect(load('gelu-legacy.tflite', { ...tiny((s) => (s.operators[1]!.op = 'GELU')), legacyOpcodes: true })).toContain(
      'operator 1 (PLACEHOLDER_FOR_GREATER_OP_CODES) is not supported',
    );
    expect(
      load(
        'code300.tflite',
        tiny((s) => (s.operators[0]!.op = 300)),
      ),
    ).toContain('operator 0 (BUILTIN_300) is not supported');
    expect(
      load(
        'custom.tflite',
        tiny((s) => Object.assign(s.operators[6]!, { op: 'CUSTOM', customCode: 'TFLite_Detection_PostProcess' })),
      ),
    ).toContain("operator 6 (CUSTOM 'TFLite_Detection_PostProcess') is not supported");
  });

  it('old files with only deprecated_builtin_code import the same', () => {
    const s = tiny(() => {});
    const a = importTflite(buildTflite(s), 'a.tflite').graph;
    const b = importTflite(buildTflite({ ...s, legacyOpcodes: true }), 'a.tflite').graph;
    expect(b.ops.map(opShape)).toEqual(a.ops.map(opShape));
  });

  it('dilation, fused activations and options mobilec does not support', () => {
    const dil = load(
      'dilated.tflite',
      tiny((s) => Object.assign(s.operators[1]!.options!, { dilation: [2, 2] })),
    );
    expect(dil).toBe('dilated.tflite: operator 1 (DEPTHWISE_CONV_2D): dilation 2x2 is not supported (only 1x1)');
    expect(
      load(
        'dilated-conv.tflite',
        tiny((s) => Object.assign(s.operators[2]!.options!, { dilation: [1, 2] })),
      ),
    ).toContain('operator 2 (CONV_2D): dilation 1x2 is not supported');
    expect(
      load(
        'tanh.tflite',
        tiny((s) => Object.assign(s.operators[2]!.options!, { activation: 'tanh' })),
      ),
    ).toBe('tanh.tflite: operator 2 (CONV_2D): fused activation TANH is not supported; supported: NONE, RELU, RELU6, RELU_N1_TO_1');
    expect(
      load(
        'stride0.tflite',
        tiny((s) => Object.assign(s.operators[2]!.options!, { stride: [0, 1] })),
      ),
    ).toContain('operator 2 (CONV_2D): stride 0x1 must be >= 1');
    expect(
      load(
        'keepdims.tflite',
        tiny(
          (s) => {
            const fc = s.operators[4]!;
            fc.options = { kind: 'fully_connected', keepNumDims: true, weightsFormat: 1 };
          },
          { head: 'fc' },
        ),
      ),
    ).toContain('operator 4 (FULLY_CONNECTED): weights_format 1 is not supported');
    expect(
      load(
        'wrongopts.tflite',
        tiny((s) => (s.operators[2]!.options = { kind: 'softmax' })),
      ),
    ).toContain('operator 2 (CONV_2D): builtin_options has union type 9, expected Conv2DOptions (1)');
  });

  it('tensors over the size limits, before anything is allocated', () => {
    expect(DEFAULT_BUDGET).toEqual({
      maxFileBytes: 512 * 2 ** 20,
      maxTensorBytes: 64 * 2 ** 20,
      maxWeightBytes: 256 * 2 ** 20,
      maxActivationBytes: 256 * 2 ** 20,
      maxOps: 50_000,
    });
    const b = new SpecBuilder();
    const x = b.tensor({ name: 'big', shape: [1, 4096, 4096, 8], type: 'INT8', quant: { scale: [1], zeroPoint: [0] } });
    const y = b.op({ op: 'RESHAPE', inputs: [x], outputs: [b.tensor({ shape: [4096, 32768], type: 'INT8', quant: { scale: [1], zeroPoint: [0] } })] });
    expect(load('big.tflite', b.spec([x], [y]))).toBe(
      'big.tflite: tensor 0 (big) [1, 4096, 4096, 8] int8: 128 MiB, over the limit of 64 MiB per tensor (raise it with --max-tensor-bytes)',
    );
    // Raised, the same model loads.
    expect(importTflite(buildTflite(b.spec([x], [y])), 'big.tflite', budgetWith({ maxTensorBytes: 2 ** 28 })).graph.ops).toHaveLength(1);
    // Five 60 MiB activations: each is allowed, together they are not.
    const c = new SpecBuilder();
    let t = c.tensor(one([1, 1024, 1024, 15]));
    const input = t;
    for (let i = 0; i < 4; i++) t = c.op({ op: 'RESHAPE', inputs: [t], outputs: [c.tensor(one([1024, 1024, 15]))] });
    expect(load('total.tflite', c.spec([input], [t]))).toMatch(
      /^total\.tflite: the model's activations: 300 MiB, over the limit of 256 MiB for all activations \(raise it with --max-activation-bytes\)$/,
    );
    // A file over 512 MiB is refused from its size alone (a sparse file: nothing is read).
    const huge = join(dir, 'huge.tflite');
    closeSync(openSync(huge, 'w'));
    truncateSync(huge, DEFAULT_BUDGET.maxFileBytes + 1);
    expect(errorOf(() => loadModel(huge)).message).toBe(
      'huge.tflite: the file: 512.0 MiB (536870913 bytes), over the limit of 512 MiB per file (raise it with --max-weight-bytes)',
    );
  });

  it('bad shapes, dtypes, data and quantization', () => {
    const small = (t0: Partial<TensorSpec>, t1: Partial<TensorSpec> = {}) => {
      const b = new SpecBuilder();
      const x = b.tensor({ name: 'x', ...one([1, 2, 2, 1]), ...t0 } as TensorSpec);
      const y = b.op({ op: 'RESHAPE', inputs: [x], outputs: [b.tensor({ name: 'y', ...one([4]), ...t1 } as TensorSpec)] });
      return b.spec([x], [y]);
    };
    expect(load('rank.tflite', small({ shape: [1, 1, 1, 1, 1, 1, 4] }))).toBe('rank.tflite: tensor 0 (x): rank 7 is over the limit of 6');
    expect(load('zero.tflite', small({ shape: [1, 0, 2, 1] }))).toBe('zero.tflite: tensor 0 (x): shape [1, 0, 2, 1] must have positive dimensions');
    expect(load('f16.tflite', small({ type: 'FLOAT16' }))).toContain('tensor 0 (x): type FLOAT16 is not supported');
    expect(load('scale.tflite', small({ type: 'INT8', quant: { scale: [-1] } }))).toBe(
      'scale.tflite: tensor 0 (x): quantization scale -1 must be positive and finite',
    );
    expect(load('zp.tflite', small({ type: 'UINT8', quant: { scale: [1], zeroPoint: [-3] } }))).toBe(
      'zp.tflite: tensor 0 (x): zero point -3 is outside the uint8 range [0, 255]',
    );
    expect(load('perchan.tflite', small({ type: 'INT8', quant: { scale: [1, 2], quantizedDimension: 1 } }))).toBe(
      'perchan.tflite: tensor 0 (x): per-channel quantization is only supported on constant tensors (weights, biases)',
    );
    expect(load('nchan.tflite', small({ type: 'INT8', quant: { scale: [1, 2, 3], quantizedDimension: 1 } }))).toBe(
      'nchan.tflite: tensor 0 (x): has 3 per-channel scales, dimension 1 of shape [1, 2, 2, 1] is 2',
    );
    const wrongData = tiny((s) => (s.tensors[1]!.data = new Int8Array(7)));
    expect(load('data.tflite', wrongData)).toBe('data.tflite: tensor 1 (dw0/weights): buffer 1 holds 7 bytes, shape [1, 3, 3, 8] int8 needs 72');
  });

  it('broken structure: identifier, version, indices, order, duplicate writes', () => {
    const good = buildTflite(tiny(() => {}));
    const badId = good.slice();
    badId.set([0x54, 0x46, 0x4c, 0x32], 4);
    expect(load('id.tflite', badId)).toBe('id.tflite: model: file identifier is "TFL2", expected "TFL3" (not a TensorFlow Lite flatbuffer)');
    expect(load('v2.tflite', { ...tiny(() => {}), version: 2 })).toBe('v2.tflite: schema version 2 is not supported (expected 3)');
    expect(
      load(
        'index.tflite',
        tiny((s) => (s.operators[2]!.inputs[0] = 99)),
      ),
    ).toMatch(/^index\.tflite: operator 2 \(CONV_2D\) input 0 refers to tensor 99; the subgraph has \d+ tensors$/);
    expect(
      load(
        'order.tflite',
        tiny((s) => s.operators.reverse()),
      ),
    ).toMatch(/^order\.tflite: operator 0 \(SOFTMAX\): input 0 \(tensor \d+, reshape\) is read before any operator computes it/);
    expect(
      load(
        'twice.tflite',
        tiny((s) => (s.operators[2]!.outputs = [...s.operators[1]!.outputs])),
      ),
    ).toMatch(/operator 2 \(CONV_2D\): output tensor \d+ \(dw1\) is already computed by an earlier operator/);
    expect(
      load(
        'cycle.tflite',
        tiny((s) => (s.operators[1]!.inputs[0] = s.operators[2]!.outputs[0]!)),
      ),
    ).toMatch(/operator 1 \(DEPTHWISE_CONV_2D\): input 0 \(tensor \d+, pw1\) is read before any operator computes it \(operators out of order or a cycle\)/);
    expect(load('opcode.tflite', good.subarray(0, 40))).toMatch(/^opcode\.tflite: model[\w.() ]*: offset \d+ .* lies outside the file \(40 bytes\)/);
    expect(load('empty.tflite', new Uint8Array(0))).toBe('empty.tflite: model: file has 0 bytes, too short for a FlatBuffer');
  });
});
