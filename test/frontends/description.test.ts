import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeModel, loadDescription, sanitizeName } from '../../src/frontends/description/index.js';
import { descriptionSchema } from '../../src/frontends/description/schema.js';
import { MobilecError } from '../../src/model/errors.js';
import { elementCount, type Graph } from '../../src/model/ir.js';
import { convMacs, depthwiseMacs, graphMacs, separableVsStandard } from '../../src/model/cost.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';

const MODELS = resolve(__dirname, '../../examples/models');
const model = (f: string) => join(MODELS, f);

function shapesOf(g: Graph, kind: string): number[][] {
  return g.ops.filter((o) => o.kind === kind).map((o) => [...g.tensors[o.outputs[0]!]!.shape]);
}

/** MACs as the MobileNet paper counts them, straight from the shapes. */
function macsByHand(g: Graph): number {
  let total = 0;
  for (const op of g.ops) {
    const y = g.tensors[op.outputs[0]!]!.shape;
    if (op.kind === 'conv2d') {
      const [o, k, , i] = g.tensors[op.inputs[1]!]!.shape as number[];
      total += k! * k! * i! * o! * y[1]! * y[2]!;
    } else if (op.kind === 'depthwise_conv2d') {
      const [, k, , cm] = g.tensors[op.inputs[1]!]!.shape as number[];
      total += k! * k! * cm! * y[1]! * y[2]!; // K·K·C·M·Hout·Wout
    } else if (op.kind === 'fully_connected') {
      const [o, i] = g.tensors[op.inputs[1]!]!.shape as number[];
      total += i! * o!;
    }
  }
  return total;
}

function paramCount(g: Graph): number {
  return g.tensors.filter((t) => t.data).reduce((n, t) => n + elementCount(t.shape), 0);
}

function errorOf(fn: () => unknown): MobilecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MobilecError);
    return e as MobilecError;
  }
  throw new Error('expected an error');
}

const base = { architecture: 'mobilenet_v1', resolution: 96, alpha: 0.25, classes: 2, dtype: 'float32', weights: { seed: 1 } };
const layers = (ls: unknown[], input = { height: 8, width: 8, channels: 3 }) => ({
  architecture: 'layers',
  input,
  dtype: 'float32',
  weights: { seed: 1 },
  layers: ls,
});
const load = (obj: unknown, name = 'model.json') => describeModel(JSON.stringify(obj, null, 2), join(MODELS, name));

describe('MobileNetV1 description', () => {
  it('0.25/96: 28 conv-like layers with TF-slim channel counts and shapes', () => {
    const r = loadDescription(model('mobilenet_v1_0.25_96.json'));
    const g = r.graph;
    expect(r.quantize).toBeUndefined();
    expect(g.name).toBe('mobilenet_v1_0_25_96');
    expect(g.tensors[g.inputs[0]!]!.name).toBe('input');
    expect(g.tensors[g.inputs[0]!]!.shape).toEqual([1, 96, 96, 3]);
    expect(g.tensors.every((t, i) => t.id === i && t.dtype === 'float32')).toBe(true);
    // Un-folded: 15 conv + 13 depthwise, each with batch norm + ReLU6 except the classifier.
    const count = (k: string) => g.ops.filter((o) => o.kind === k).length;
    expect([count('conv2d'), count('depthwise_conv2d'), count('batch_norm'), count('activation')]).toEqual([15, 13, 27, 27]);
    expect(g.ops.length).toBe(28 + 27 + 27 + 3);
    expect(shapesOf(g, 'conv2d').map((s) => s[3])).toEqual([8, 16, 32, 32, 64, 64, 128, 128, 128, 128, 128, 128, 256, 256, 1000]);
    expect(shapesOf(g, 'depthwise_conv2d').map((s) => s[1])).toEqual([48, 24, 24, 12, 12, 6, 6, 6, 6, 6, 6, 3, 3]);
    expect(shapesOf(g, 'average_pool2d')).toEqual([[1, 1, 1, 256]]);
    const pool = g.ops.find((o) => o.kind === 'average_pool2d')!;
    expect(pool.kind === 'average_pool2d' && [pool.filterH, pool.filterW, pool.padding]).toEqual([3, 3, 'valid']);
    expect(g.tensors[g.outputs[0]!]!.shape).toEqual([1, 1000]);
    expect(g.ops.at(-1)!.kind).toBe('softmax');
    expect(g.ops.at(-2)!.kind).toBe('reshape');
  });

  it('1.0/224: 7x7x1024 features, ~4.23M parameters, ~569M MACs', () => {
    const g = prepareGraph(loadDescription(model('mobilenet_v1_1.0_224.json')));
    expect(g.ops.length).toBe(28 + 3);
    expect(shapesOf(g, 'depthwise_conv2d').at(-1)).toEqual([1, 7, 7, 1024]);
    expect(shapesOf(g, 'conv2d')[0]).toEqual([1, 112, 112, 32]);
    // Folded: conv weights + one bias per output channel.
    expect(paramCount(g)).toBe(4_221_032);
    // Unfolded trainable parameters (weights, classifier bias, BN gamma and beta):
    // Keras' MobileNet(alpha=1.0) reports 4,231,976.
    const raw = loadDescription(model('mobilenet_v1_1.0_224.json')).graph;
    const trainable = raw.tensors.filter((t) => t.data && !/moving_/.test(t.name)).reduce((n, t) => n + elementCount(t.shape), 0);
    expect(trainable).toBe(4_231_976);
    const macs = macsByHand(g);
    expect(macs).toBe(568_740_352);
    expect(Math.abs(macs - 569e6) / 569e6).toBeLessThan(0.001);
    expect(graphMacs(g)).toBe(macs);
  });

  it('alpha, depthwise multiplier, channels and includeTop shape the graph', () => {
    const g = load({ ...base, alpha: 0.1, depthwiseMultiplier: 2, channels: 1, includeTop: false }).graph;
    expect(g.tensors[0]!.shape).toEqual([1, 96, 96, 1]);
    // max(8, floor(c * 0.1)): 32→8, 64→8, 128→12, 256→25, 512→51, 1024→102
    expect(shapesOf(g, 'conv2d').map((s) => s[3])).toEqual([8, 8, 12, 12, 25, 25, 51, 51, 51, 51, 51, 51, 102, 102]);
    expect(shapesOf(g, 'depthwise_conv2d').map((s) => s[3])).toEqual([16, 16, 24, 24, 50, 50, 102, 102, 102, 102, 102, 102, 204]);
    expect(g.tensors[g.outputs[0]!]!.shape).toEqual([1, 3, 3, 102]);
    expect(g.ops.some((o) => o.kind === 'softmax')).toBe(false);
  });

  it('int8 descriptions request PTQ with their calibration', () => {
    const r = loadDescription(model('mobilenet_v1_0.25_96_int8.json'));
    expect(r.quantize).toEqual({ dtype: 'int8', calibration: { kind: 'seeded', seed: 1, count: 4 } });
    expect(r.graph.tensors[r.graph.outputs[0]!]!.shape).toEqual([1, 2]);
    expect(load({ ...base, dtype: 'int8' }).quantize?.calibration).toEqual({ kind: 'seeded', seed: 0, count: 4 });
    // The int8 224 model quantizes exactly the float one's weights.
    const f = loadDescription(model('mobilenet_v1_1.0_224.json')).graph;
    const q = loadDescription(model('mobilenet_v1_1.0_224_int8.json')).graph;
    expect(q.tensors[5]!.data).toEqual(f.tensors[5]!.data);
  });

  it('seeded weights are deterministic and keep activations alive through 27 ReLU6 layers', () => {
    const a = loadDescription(model('mobilenet_v1_0.25_96.json')).graph;
    const b = loadDescription(model('mobilenet_v1_0.25_96.json')).graph;
    expect(a.tensors[1]!.data).toEqual(b.tensors[1]!.data);
    expect(load({ ...base, weights: { seed: 2 } }).graph.tensors[1]!.data).not.toEqual(load(base).graph.tensors[1]!.data);
    const g = prepareGraph({ graph: a });
    const x = new Float32Array(96 * 96 * 3).map((_, i) => Math.sin(i * 0.37));
    const { outputs, values } = runGraph(g, [x]);
    const out = outputs[0] as Float32Array;
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4);
    expect(Math.max(...out) / Math.min(...out)).toBeGreaterThan(2); // not all equal
    // Every block output: neither vanished nor stuck at the ReLU6 ceiling.
    for (const op of g.ops.filter((o) => o.kind === 'depthwise_conv2d' || o.kind === 'conv2d').slice(0, -1)) {
      const v = values.get(op.outputs[0]!) as Float32Array;
      const mean = v.reduce((s, e) => s + e, 0) / v.length;
      const saturated = v.filter((e) => e >= 6).length / v.length;
      expect(mean, op.name).toBeGreaterThan(0.05);
      expect(saturated, op.name).toBeLessThan(0.5);
    }
  });
});

describe('layer-list description', () => {
  it('tiny_layers.json: shapes and defaults', () => {
    const g = loadDescription(model('tiny_layers.json')).graph;
    expect(g.name).toBe('tiny_layers');
    const kinds = g.ops.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'batch_norm').length).toBe(5);
    expect(shapesOf(g, 'conv2d')).toEqual([
      [1, 8, 8, 8],
      [1, 8, 8, 16],
      [1, 4, 4, 16],
    ]);
    expect(shapesOf(g, 'depthwise_conv2d')).toEqual([
      [1, 8, 8, 8],
      [1, 4, 4, 32],
    ]);
    expect(shapesOf(g, 'max_pool2d')).toEqual([[1, 2, 2, 16]]);
    expect(shapesOf(g, 'average_pool2d')).toEqual([[1, 1, 1, 16]]);
    expect(shapesOf(g, 'fully_connected')).toEqual([[1, 10]]);
    expect(g.tensors[g.outputs[0]!]!.shape).toEqual([1, 10]);
    const out = runGraph(prepareGraph({ graph: g }), [new Float32Array(16 * 16 * 3).fill(0.5)]).outputs[0]!;
    expect(Array.from(out).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
  });

  it('reads a weights file in layer order and checks its size', () => {
    const seeded = loadDescription(model('tiny_layers.json')).graph;
    const consts = seeded.tensors.filter((t) => t.data);
    const total = consts.reduce((n, t) => n + t.data!.length, 0);
    const bytes = Buffer.alloc(total * 4);
    let off = 0;
    for (const t of consts) for (const v of t.data!) off = bytes.writeFloatLE(v, off);
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-desc-'));
    writeFileSync(join(dir, 'w.bin'), bytes);
    const desc = JSON.parse(readFileSync(model('tiny_layers.json'), 'utf8'));
    desc.weights = { file: 'w.bin' };
    writeFileSync(join(dir, 'net.json'), JSON.stringify(desc));
    const g = loadDescription(join(dir, 'net.json')).graph;
    expect(g.tensors.map((t) => t.data)).toEqual(seeded.tensors.map((t) => t.data));

    writeFileSync(join(dir, 'w.bin'), bytes.subarray(0, bytes.length - 4));
    expect(errorOf(() => loadDescription(join(dir, 'net.json'))).message).toBe(
      `net.json: /weights/file: "w.bin" has ${total * 4 - 4} bytes, expected ${total * 4} (${total} float32 parameters in layer order, see docs/description-format.md)`,
    );
  });
});

describe('bad descriptions: one line naming the file and field', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'malformed JSON',
      () => describeModel('{\n  "architecture": "mobilenet_v1",\n  "alpha": ,\n}', 'model.json'),
      /^model\.json: invalid JSON at line 3 column 12: unexpected ","$/,
    ],
    [
      'trailing comma',
      () => describeModel('{"a": 1,}', 'model.json'),
      /^model\.json: invalid JSON at line 1 column 9: expected a property name in double quotes, found "}"$/,
    ],
    ['duplicate key', () => describeModel('{"alpha": 1, "alpha": 2}', 'model.json'), /^model\.json: invalid JSON at line 1 column 14: duplicate key "alpha"$/],
    ['alpha <= 0', () => load({ ...base, alpha: -1 }), /^model\.json: \/alpha: must be > 0 \(got -1\)$/],
    ['alpha = 0', () => load({ ...base, alpha: 0 }), /^model\.json: \/alpha: must be > 0 \(got 0\)$/],
    [
      'unknown top-level field',
      () => load({ ...base, alfa: 1 }),
      /^model\.json: \/: unknown field "alfa" \(allowed: \$schema, name, dtype, weights, calibration, architecture, resolution, channels, alpha, depthwiseMultiplier, classes, includeTop\)$/,
    ],
    [
      'unknown layer field',
      () =>
        load(
          layers([
            { op: 'conv', filters: 4, kernel: 3 },
            { op: 'conv', filters: 4, kernal: 3 },
          ]),
        ),
      /^model\.json: \/layers\/1: unknown field "kernal" \(allowed: op, name, input, filters, kernel, stride, padding, activation, batchNorm, bias\)$/,
    ],
    [
      'unknown op',
      () => load(layers([{ op: 'conv3d' }])),
      /^model\.json: \/layers\/0\/op: must be one of "conv", "pointwise", "depthwise", "avgpool", "maxpool", "fc", "softmax", "reshape"(, "\w+")* \(got "conv3d"\)$/,
    ],
    ['bad stride', () => load(layers([{ op: 'conv', filters: 4, kernel: 3, stride: 3 }])), /^model\.json: \/layers\/0\/stride: must be one of 1, 2 \(got 3\)$/],
    ['weights: both forms', () => load({ ...base, weights: { seed: 1, file: 'w.bin' } }), /^model\.json: \/weights: must have exactly one of "seed" or "file"/],
    ['non-integer seed', () => load({ ...base, weights: { seed: 1.5 } }), /^model\.json: \/weights\/seed: must be an integer \(got 1\.5\)$/],
    ['missing field', () => load({ architecture: 'mobilenet_v1' }), /^model\.json: \/: missing field "resolution"$/],
    ['resolution too small', () => load({ ...base, resolution: 16 }), /^model\.json: \/resolution: must be >= 32 \(got 16\)$/],
    ['calibration on float32', () => load({ ...base, calibration: { seed: 1, count: 2 } }), /^model\.json: \/calibration: only allowed with "dtype": "int8"/],
    [
      'VALID kernel larger than input',
      () =>
        load(
          layers([
            { op: 'conv', filters: 4, kernel: 3, stride: 2 },
            { op: 'conv', filters: 4, kernel: 5, padding: 'valid' },
          ]),
        ),
      /^model\.json: \/layers\/1 \(conv_1\): kernel 5 does not fit the 4x4 input with padding "valid"$/,
    ],
    [
      'pool window larger than input',
      () => load(layers([{ op: 'maxpool', size: 9 }])),
      /^model\.json: \/layers\/0 \(maxpool_0\): window 9x9 does not fit the 8x8 input with padding "valid"$/,
    ],
    [
      'reshape element count',
      () =>
        load(
          layers([
            { op: 'pointwise', filters: 2 },
            { op: 'reshape', shape: [1, 100] },
          ]),
        ),
      /^model\.json: \/layers\/1 \(pointwise_0|reshape_1\): shape \[1, 100\] has 100 elements, the input \[1, 8, 8, 2\] has 128$/,
    ],
    [
      'conv after fc',
      () =>
        load(
          layers([
            { op: 'fc', units: 4 },
            { op: 'depthwise', kernel: 3 },
          ]),
        ),
      /^model\.json: \/layers\/1 \(depthwise_1\): needs a 4-D NHWC input, got shape \[1, 4\]$/,
    ],
    [
      'add with an unknown layer',
      () =>
        load(
          layers([
            { op: 'pointwise', filters: 2, name: 'a' },
            { op: 'add', with: 'b' },
          ]),
        ),
      /^model\.json: \/layers\/1 \(add_1\): with: no earlier layer is named "b" \(earlier layers: input, a\)$/,
    ],
    [
      'add with a differently shaped layer',
      () =>
        load(
          layers([
            { op: 'pointwise', filters: 2, name: 'a' },
            { op: 'add', with: 'input' },
          ]),
        ),
      /^model\.json: \/layers\/1 \(add_1\): shapes \[1, 8, 8, 2\] and \[1, 8, 8, 3\] do not broadcast/,
    ],
    [
      'input naming an ambiguous layer',
      () =>
        load(
          layers([
            { op: 'pointwise', filters: 3, name: 'a' },
            { op: 'pointwise', filters: 3, name: 'a' },
            { op: 'pointwise', filters: 3, input: 'a' },
          ]),
        ),
      /^model\.json: \/layers\/2 \(pointwise_2\): input: more than one earlier layer is named "a" \(give the layers unique names\)$/,
    ],
  ];
  for (const [what, fn, re] of cases) {
    it(what, () => {
      const e = errorOf(fn);
      expect(e.exitCode).toBe(2);
      expect(e.message).not.toContain('\n');
      expect(e.message).toMatch(re);
    });
  }

  it('unreadable file names the file', () => {
    expect(errorOf(() => loadDescription('/nonexistent/net.json')).message).toBe('net.json: cannot read the description (ENOENT)');
  });
});

describe('names and cost helpers', () => {
  it('sanitizes the file base name', () => {
    expect(sanitizeName('/x/mobilenet_v1_0.25_128_quant.json')).toBe('mobilenet_v1_0_25_128_quant');
    expect(sanitizeName('my-net v2.json')).toBe('my_net_v2');
  });

  it('MobileNet paper example: 32x32, 2 → 3 channels', () => {
    for (const k of [1, 3, 5]) {
      const c = separableVsStandard(k, 2, 3, 32);
      expect(c.standard).toBe(6144 * k * k);
      expect(c.separable).toBe(2048 * k * k + 6144);
      expect(c.ratio).toBeCloseTo(1 / 3 + 1 / (k * k), 12);
    }
    expect(convMacs(3, 3, 2, 3, 32, 32)).toBe(55296);
    expect(depthwiseMacs(3, 3, 2, 1, 32, 32)).toBe(18432);
  });

  it('writes the JSON Schema for the docs', () => {
    const path = join(MODELS, 'description.schema.json');
    writeFileSync(path, JSON.stringify(descriptionSchema, null, 2) + '\n');
    expect(JSON.parse(readFileSync(path, 'utf8')).oneOf).toHaveLength(5);
  });
});
