/**
 * The Keras networks of the description (src/frontends/description/keras.ts):
 * Keras' channel rounding, MobileNetV2 layer for layer (MACs and folded
 * parameters against Keras' own counts), the inverted-residual blocks of
 * `inspect`, the arena's lower bound, and a Keras-shaped .tflite (explicit
 * PAD before every stride-2 depthwise, MEAN → FULLY_CONNECTED head) whose
 * pads fuse back and which runs bit-exact in C.
 */
import { describe, expect, it } from 'vitest';
import { describeModel } from '../../src/frontends/description/index.js';
import { makeDivisible } from '../../src/frontends/description/keras.js';
import { importTflite } from '../../src/frontends/tflite/import.js';
import type { Graph, Op } from '../../src/model/ir.js';
import { paddingBefore, outputExtent } from '../../src/model/geometry.js';
import { prepareGraph } from '../../src/passes/index.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { targetByName } from '../../src/targets/index.js';
import { Prng } from '../../src/util/prng.js';
import { checkGraphOnTarget } from '../helpers/graphOnTarget.js';
import { buildTflite } from '../helpers/tfliteBuilder.js';
import { specFromGraph } from '../tflite/models.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { generateProject } from '../../src/codegen/index.js';
import { loadModel } from '../../src/pipeline.js';
import { TARGETS } from '../../src/targets/index.js';
import { parseKernelName } from '../../src/codegen/kernelId.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const v2 = (resolution: number, alpha: number, dtype: 'float32' | 'int8', classes = 1000) =>
  describeModel(JSON.stringify({ architecture: 'mobilenet_v2', resolution, alpha, classes, dtype, weights: { seed: 3 } }), 'v2.json');

describe('Keras channel rounding (_make_divisible)', () => {
  it('rounds to the nearest multiple of 8, at least 8, never 10% below', () => {
    expect([32 * 0.35, 16 * 0.35, 24 * 0.35, 1280 * 1.4, 96 * 0.75, 40 * 0.75, 19.9, 27, 4].map((v) => makeDivisible(v))).toEqual([
      16, 8, 8, 1792, 72, 32, 24, 32, 8,
    ]);
  });
});

describe('mobilenet_v2 descriptions (tf.keras.applications.MobileNetV2)', () => {
  it('1.0/224: 300.8 M MACs, Keras’ parameters with batch norm folded, 17 blocks, 10 residual adds', () => {
    const g = prepareGraph(v2(224, 1, 'float32'));
    const kinds = g.ops.map((o) => o.kind);
    expect(kinds.filter((k) => k === 'add')).toHaveLength(10);
    expect(kinds.filter((k) => k === 'depthwise_conv2d')).toHaveLength(17);
    expect(kinds.slice(-3)).toEqual(['mean', 'fully_connected', 'softmax']);
    // Keras counts 3,538,984 parameters: 3,504,872 trainable (weights, biases, BN gamma/beta) + 34,112 moving
    // means/variances over 17,056 BN channels. Folded: each BN's 4 values become one bias, so 3,538,984 − 3 × 17,056.
    const params = g.tensors.filter((t) => t.data !== undefined).reduce((s, t) => s + t.data!.length, 0);
    expect(params).toBe(3_538_984 - 3 * 17_056);
    const r = mobilec([
      'inspect',
      '--json',
      writeDesc({ architecture: 'mobilenet_v2', resolution: 224, alpha: 1, classes: 1000, dtype: 'float32', weights: { seed: 3 } }),
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.totals.macs).toBe(300_774_272);
    expect(j.blocks).toHaveLength(17);
    expect(j.blocks.every((b: { kind: string }) => b.kind === 'inverted_residual')).toBe(true);
    // Block 0 has no expansion (factor 1): 112x112x32 → depthwise → 16.
    expect(j.blocks[0]).toMatchObject({ layers: [1, 2], expansionMacs: 0, depthwiseMacs: 9 * 32 * 112 * 112, projectionMacs: 32 * 16 * 112 * 112 });
    // Block 1: 16 → 96 expansion at 112x112, stride-2 depthwise to 56x56, projection to 24; vs a 3x3 conv 16 → 24 at 56x56.
    expect(j.blocks[1]).toMatchObject({
      layers: [3, 4, 5],
      expansionMacs: 16 * 96 * 112 * 112,
      depthwiseMacs: 9 * 96 * 56 * 56,
      projectionMacs: 96 * 24 * 56 * 56,
      standardMacs: 9 * 16 * 24 * 56 * 56,
    });
    expect(j.memory.arenaLowerBound).toBeLessThanOrEqual(j.memory.arenaBytes);
  });

  it('0.35/96 int8: the arena within 1.05x of its lower bound', () => {
    const r = mobilec(['inspect', '--json', 'examples/models/mobilenet_v2_0.35_96_int8.json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.memory.arenaBytes / j.memory.arenaLowerBound).toBeLessThanOrEqual(1.05);
  });
});

/** The Keras .tflite form: each stride-2 SAME depthwise becomes ZeroPadding2D(correct_pad) → DEPTHWISE_CONV_2D(VALID). */
function kerasPads(g: Graph): Graph {
  const tensors = [...g.tensors];
  const ops: Op[] = [];
  for (const op of g.ops) {
    if (op.kind !== 'depthwise_conv2d' || op.strideH !== 2 || op.padding !== 'same') {
      ops.push(op);
      continue;
    }
    const x = tensors[op.inputs[0]!]!;
    const k = tensors[op.inputs[1]!]!.shape[1]!;
    const [, h, w, c] = x.shape as [number, number, number, number];
    // correct_pad: ((k//2 − (1 − H mod 2), k//2), same for W).
    const pads: [number, number][] = [
      [0, 0],
      [(k >> 1) - (1 - (h % 2)), k >> 1],
      [(k >> 1) - (1 - (w % 2)), k >> 1],
      [0, 0],
    ];
    expect(pads[1]![0]).toBe(paddingBefore(h, outputExtent(h, k, 2, 'same'), k, 2, 'same'));
    const id = tensors.length;
    tensors.push({ ...x, id, name: `${op.name}/pad`, shape: [1, h + pads[1]![0] + pads[1]![1], w + pads[2]![0] + pads[2]![1], c] });
    ops.push({ kind: 'pad', name: `${op.name}/pad`, inputs: [x.id], outputs: [id], paddings: pads });
    ops.push({ ...op, padding: 'valid', inputs: [id, ...op.inputs.slice(1)] });
  }
  return { ...g, tensors, ops };
}

/** Keras MobileNet (V1)'s head: GlobalAveragePooling2D(keepdims) → Conv2D 1x1 → Reshape → Softmax: the pool becomes MEAN. */
function kerasV1Head(g: Graph): Graph {
  return {
    ...g,
    ops: g.ops.map(
      (op): Op => (op.kind === 'average_pool2d' ? { kind: 'mean', name: op.name, inputs: op.inputs, outputs: op.outputs, keepDims: true, axes: [1, 2] } : op),
    ),
  };
}

/** Every SIMD ISA (DSP, Helium, NEON aarch64 with and without dot product, NEON armv7) and the host. */
const TARGET_NAMES = ['host', 'cortex-m4', 'cortex-m55', 'rpi4', 'rpi5', 'rpi-armv7'];

describe('a Keras-shaped MobileNetV1 .tflite (explicit pads, MEAN → 1x1 CONV → RESHAPE → SOFTMAX head)', () => {
  const slim = prepareGraph(
    describeModel(JSON.stringify({ architecture: 'mobilenet_v1', resolution: 32, alpha: 0.25, classes: 4, dtype: 'int8', weights: { seed: 9 } }), 'v1.json'),
  );
  const keras = kerasPads(kerasV1Head(slim));
  const imported = prepareGraph(importTflite(buildTflite(specFromGraph(keras)), 'keras_v1.tflite'));

  it('imports with the pads fused and the MEAN head', () => {
    expect(keras.ops.filter((o) => o.kind === 'pad')).toHaveLength(4);
    expect(imported.ops.map((o) => o.kind).slice(-4)).toEqual(['mean', 'conv2d', 'reshape', 'softmax']);
    expect(imported.ops.filter((o) => o.kind === 'pad')).toHaveLength(0);
  });

  for (const name of TARGET_NAMES) {
    it(`runs bit-exact on ${name}, layer by layer`, async () => {
      const r = await checkGraphOnTarget(imported, targetByName(name), 'simd', 1);
      expect(r.divergences).toEqual([]);
      if (name !== 'host') expect(r.project.layers.filter((l) => l.kernel.includes('_mean_') && parseKernelName(l.kernel).isa === 'c')).toEqual([]);
    });
  }
});

describe('a Keras-shaped MobileNetV2 .tflite (explicit pads, MEAN → FC head)', () => {
  const g = prepareGraph(v2(40, 0.35, 'int8', 5));
  const keras = kerasPads(g);
  const imported = prepareGraph(importTflite(buildTflite(specFromGraph(keras)), 'keras_v2.tflite'));

  it('imports with every PAD fused into its depthwise, the same graph as the description', () => {
    expect(keras.ops.filter((o) => o.kind === 'pad')).toHaveLength(4);
    expect(imported.ops.map((o) => o.kind)).toEqual(g.ops.map((o) => o.kind));
    expect(imported.ops.filter((o) => o.kind === 'depthwise_conv2d').every((o) => o.kind === 'depthwise_conv2d' && o.padding === 'same')).toBe(true);
    const rng = new Prng(11);
    const input = Int8Array.from({ length: 40 * 40 * 3 }, () => rng.int(-128, 127));
    expect([...runGraph(imported, [input]).outputs[0]!]).toEqual([...runGraph(g, [input]).outputs[0]!]);
  });

  for (const name of TARGET_NAMES) {
    it(`runs bit-exact on ${name}, layer by layer, ADD and MEAN on SIMD kernels`, async () => {
      const r = await checkGraphOnTarget(imported, targetByName(name), 'simd', 1);
      expect(r.divergences).toEqual([]);
      const adds = r.project.layers.filter((l) => l.kernel.includes('_add_'));
      expect(adds).toHaveLength(10);
      if (name !== 'host') {
        const generic = r.project.layers.filter((l) => (l.kernel.includes('_add_') || l.kernel.includes('_mean_')) && parseKernelName(l.kernel).isa === 'c');
        expect(generic).toEqual([]);
      }
    });
  }
});

function writeDesc(d: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'keras-'));
  const p = join(dir, 'm.json');
  writeFileSync(p, JSON.stringify(d));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return p;
}

const v3 = (size: 'small' | 'large', resolution: number, alpha: number, dtype: 'float32' | 'int8', classes = 1000) =>
  describeModel(JSON.stringify({ architecture: `mobilenet_v3_${size}`, resolution, alpha, classes, dtype, weights: { seed: 4 } }), 'v3.json');

describe('mobilenet_v3 descriptions (tf.keras.applications.MobileNetV3Small / Large)', () => {
  for (const [size, macs, keras, scalars, blocks] of [
    ['small', 56_510_400, 2_554_968, 18, 11],
    ['large', 216_589_760, 5_507_432, 16, 15],
  ] as const) {
    it(`${size} 1.0/224: ${macs.toLocaleString('en-US')} MACs, Keras' ${keras.toLocaleString('en-US')} parameters, ${blocks} inverted residual blocks`, () => {
      const r = v3(size, 224, 1, 'float32');
      // Unfolded (batch norm's four values per channel), the parameters are Keras' model.count_params()
      // plus the hard sigmoids' two float constants (3 and 1/6) per squeeze-excite block.
      const params = r.graph.tensors.filter((t) => t.data !== undefined).reduce((s, t) => s + t.data!.length, 0);
      expect(params).toBe(keras + scalars);
      const g = prepareGraph(r);
      const kinds = g.ops.map((o) => o.kind);
      expect(kinds.slice(-6)).toEqual(['mean', 'conv2d', 'hard_swish', 'conv2d', 'reshape', 'softmax']);
      expect(kinds.filter((k) => k === 'mul')).toHaveLength(scalars); // per SE block: the hard sigmoid's 1/6 and the scaling
      const j = JSON.parse(
        mobilec([
          'inspect',
          '--json',
          writeDesc({ architecture: `mobilenet_v3_${size}`, resolution: 224, alpha: 1, classes: 1000, dtype: 'float32', weights: { seed: 4 } }),
        ]).stdout,
      );
      expect(j.totals.macs).toBe(macs);
      expect(j.blocks).toHaveLength(blocks);
      expect(j.blocks.every((b: { kind: string }) => b.kind === 'inverted_residual')).toBe(true);
    });
  }
});

describe('a Keras-shaped MobileNetV3Small .tflite (squeeze-excite, hard swish, explicit pads)', () => {
  const g = prepareGraph(v3('small', 32, 0.75, 'int8', 3));
  const keras = kerasPads(g);
  const imported = prepareGraph(importTflite(buildTflite(specFromGraph(keras)), 'keras_v3.tflite'));

  it('imports the same graph (HARD_SWISH, MUL, ADD with constants, pads fused)', () => {
    expect(keras.ops.filter((o) => o.kind === 'pad').length).toBeGreaterThan(0);
    expect(imported.ops.map((o) => o.kind)).toEqual(g.ops.map((o) => o.kind));
    expect(imported.ops.filter((o) => o.kind === 'hard_swish').length).toBeGreaterThan(10);
    const rng = new Prng(12);
    const input = Int8Array.from({ length: 32 * 32 * 3 }, () => rng.int(-128, 127));
    expect([...runGraph(imported, [input]).outputs[0]!]).toEqual([...runGraph(g, [input]).outputs[0]!]);
  });

  for (const name of TARGET_NAMES) {
    it(`runs bit-exact on ${name}, layer by layer`, async () => {
      const r = await checkGraphOnTarget(imported, targetByName(name), 'simd', 1);
      expect(r.divergences).toEqual([]);
      if (name !== 'host') {
        const generic = r.project.layers.filter((l) => /_(lut|mean|add|mul)_/.test(l.kernel) && parseKernelName(l.kernel).isa === 'c');
        expect(generic).toEqual([]);
      }
    });
  }
});

describe('the V2/V3 examples: every ADD, MEAN, HARD_SWISH and MUL on a SIMD kernel, the arena within 1.05x of its lower bound', () => {
  // the host's AVX2 provider (x86-64) is float32-only: these int8 models stay generic C there
  const SIMD_TARGETS = [...TARGETS.values()].filter((t) => t.simd !== 'none' && t.simd !== 'avx2');
  for (const file of ['mobilenet_v2_0.35_96_int8.json', 'mobilenet_v3_small_1.0_224_int8.json']) {
    it(file, () => {
      const g = loadModel(join(EXAMPLES, file));
      for (const t of SIMD_TARGETS) {
        const p = generateProject(g, { name: 'm', target: t, kernels: 'simd' });
        const generic = p.layers.filter((l) => ['add', 'mean', 'hard_swish', 'mul'].includes(g.ops[l.index]!.kind) && l.generic);
        expect(generic.map((l) => `${t.name} ${l.index} ${l.kernel}`)).toEqual([]);
        expect(p.arena.bytes / p.arena.lowerBound, t.name).toBeLessThanOrEqual(1.05);
      }
    });
  }
});
