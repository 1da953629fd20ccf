/**
 * End to end: the shipped example models through the whole pipeline and the
 * addon, every layer compared with the reference.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel } from '../../src/pipeline.js';
import { graphMacs } from '../../src/model/cost.js';
import { EXAMPLES, mobilec } from '../helpers/cli.js';
import { divergences, verifyGraph } from '../helpers/models.js';

describe('example models through the addon', () => {
  it('mobilenet_v1_0.25_96_int8: every layer bit-exact on 3 seeded inputs', async () => {
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'));
    expect(graph.tensors[graph.inputs[0]!]!.dtype).toBe('int8');
    expect(graph.tensors[graph.outputs[0]!]!.shape).toEqual([1, 2]);
    const report = await verifyGraph(graph, 3);
    expect(divergences(report)).toEqual([]);
    expect(report.layers.length).toBe(graph.ops.length);
    expect(report.layers.every((l) => l.maxAbsDiff === 0)).toBe(true);
  });

  it('mobilenet_v1_1.0_224 float32: every layer within tolerance', async () => {
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v1_1.0_224.json'));
    // Σ conv K·K·Cin·Cout·Ho·Wo + depthwise K·K·C·Ho·Wo + the 1×1 head 1024·1000, computed by hand from TF-slim's layer table.
    expect(graphMacs(graph)).toBe(568_740_352);
    const report = await verifyGraph(graph, 1);
    expect(divergences(report)).toEqual([]);
    const last = report.layers[report.layers.length - 1]!;
    expect(last.op).toBe('softmax');
  });
});

describe('MobileNetV2 examples through the addon', () => {
  it('mobilenet_v2_0.35_96_int8: every layer bit-exact on 2 seeded inputs', async () => {
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v2_0.35_96_int8.json'));
    expect(graph.ops.filter((o) => o.kind === 'add')).toHaveLength(10);
    const report = await verifyGraph(graph, 2);
    expect(divergences(report)).toEqual([]);
    expect(report.layers.every((l) => l.maxAbsDiff === 0)).toBe(true);
  });

  it('mobilenet_v2_1.0_224 float32: each layer on its own C inputs within 5e-5 (the bound is 1e-4 relative)', async () => {
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v2_1.0_224.json'));
    expect(graphMacs(graph)).toBe(300_774_272);
    const report = await verifyGraph(graph, 1);
    expect(divergences(report)).toEqual([]);
    expect(Math.max(...report.layers.map((l) => l.maxAbsDiff))).toBeLessThan(5e-5);
  });
});

describe('MobileNetV3 examples through the addon', () => {
  it('mobilenet_v3_small_1.0_224_int8: every layer bit-exact', async () => {
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v3_small_1.0_224_int8.json'));
    expect(graphMacs(graph)).toBe(56_510_400);
    const report = await verifyGraph(graph, 1);
    expect(divergences(report)).toEqual([]);
    expect(report.layers.every((l) => l.maxAbsDiff === 0)).toBe(true);
  });

  it('mobilenet_v3_large_1.0_224 float32: each layer on its own C inputs within a tenth of the bound', async () => {
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v3_large_1.0_224.json'));
    expect(graphMacs(graph)).toBe(216_589_760);
    const report = await verifyGraph(graph, 1);
    expect(divergences(report)).toEqual([]);
    // Seeded weights without training let hard swish grow activations into the hundreds: the bound is relative.
    expect(report.layers.filter((l) => l.maxAbsDiff > 0.1 * l.tolerance)).toEqual([]);
  });
});

describe('the MobileNetV2/V3 examples on cortex-m55 and rpi5, every layer (verify --layers)', () => {
  for (const file of [
    'mobilenet_v2_0.35_96_int8.json',
    'mobilenet_v2_1.0_224.json',
    'mobilenet_v3_small_1.0_224_int8.json',
    'mobilenet_v3_large_1.0_224.json',
  ]) {
    for (const target of ['cortex-m55', 'rpi5']) {
      it(`${file} on ${target}`, () => {
        const r = mobilec(['verify', join(EXAMPLES, file), '--target', target, '--layers', '--inputs', '1']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toContain(`verify: OK, the C on ${target} matches the reference on every layer`);
      }, 300_000);
    }
  }
});

describe('verify catches a wrong C', () => {
  it('float32: a corrupted first weight diverges at layer 0, and later layers are judged on their own inputs', async () => {
    const { generateProject } = await import('../../src/codegen/index.js');
    const { verifyOnHost } = await import('../../src/verify/verify.js');
    const { host } = await import('../../src/targets/index.js');
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v1_0.25_96.json'));
    const project = generateProject(graph, { name: 'tamperedf', target: host, kernels: 'generic' });
    const files = new Map(project.files);
    const blob = new Uint8Array(files.get('tamperedf_weights.bin') as Uint8Array);
    const w = new Float32Array(blob.buffer, blob.byteOffset, 4);
    w[0] = w[0]! + 10;
    files.set('tamperedf_weights.bin', blob);
    const report = await verifyOnHost(graph, { ...project, files }, { inputs: 1 });
    expect(report.firstDivergence).toMatchObject({ layer: 0, op: 'conv2d', input: 1 });
    expect(report.layers[0]!.mismatches).toBeGreaterThan(0);
    // Layer 1 reads the C's (wrong) layer 0 output and computes right from it.
    expect(report.layers[1]!.mismatches).toBe(0);
  });

  it('a corrupted first weight makes layer 0 the first divergence', async () => {
    const { generateProject } = await import('../../src/codegen/index.js');
    const { verifyOnHost } = await import('../../src/verify/verify.js');
    const { host } = await import('../../src/targets/index.js');
    const graph = loadModel(join(EXAMPLES, 'mobilenet_v1_0.25_96_int8.json'));
    const project = generateProject(graph, { name: 'tampered', target: host, kernels: 'generic' });
    const files = new Map(project.files);
    const blob = new Uint8Array(files.get('tampered_weights.bin') as Uint8Array);
    // The blob starts with layer 0's filter: flip every bit of its first tap.
    blob[0] = blob[0]! ^ 0xff;
    files.set('tampered_weights.bin', blob);
    const report = await verifyOnHost(graph, { ...project, files }, { inputs: 1 });
    expect(report.firstDivergence).toMatchObject({ layer: 0, op: 'conv2d', input: 1 });
    expect(report.layers[0]!.mismatches).toBeGreaterThan(0);
  });
});
