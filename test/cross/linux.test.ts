/**
 * The Raspberry Pi targets under QEMU user mode: generic kernels built with
 * the cross compilers agree with the reference on every layer, and the
 * instruction counts are exact (repeatable) and grow with the work.
 */
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { linuxRunner, missingLinuxTools } from '../../src/cross/linux.js';
import { elementCount, type Graph } from '../../src/model/ir.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { targetByName, type Target } from '../../src/targets/index.js';
import { compareTensor } from '../../src/verify/compare.js';
import { seededInput, toBytes } from '../../src/util/tensors.js';
import { loadDescriptionObject } from '../helpers/models.js';

/** A small separable network; `width` scales every layer's channels (and so its MACs). */
function tinyNet(dtype: 'float32' | 'int8', width: number): object {
  return {
    name: `tiny ${dtype} x${width}`,
    architecture: 'layers',
    input: { height: 16, width: 16, channels: 3 },
    dtype,
    weights: { seed: 7 },
    ...(dtype === 'int8' ? { calibration: { seed: 1, count: 4 } } : {}),
    layers: [
      { op: 'conv', name: 'stem', filters: 8 * width, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 1, activation: 'relu6' },
      { op: 'pointwise', filters: 16 * width, activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 2, depthMultiplier: 2, activation: 'relu' },
      { op: 'pointwise', filters: 16 * width, activation: 'relu6' },
      { op: 'maxpool', size: 2 },
      { op: 'avgpool', size: 'global' },
      { op: 'fc', units: 10 },
      { op: 'softmax' },
    ],
  };
}

const TARGETS: readonly Target[] = ['rpi3', 'rpi4', 'rpi5', 'rpi-armv7'].map(targetByName);
const missing = [...new Set(TARGETS.flatMap((t) => missingLinuxTools(t)))];
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip) console.warn(`skipping cross/linux tests: missing ${missing.join(', ')} (see scripts/ensure-tools.sh)`);

const graphs = new Map<string, Graph>();
function graph(dtype: 'float32' | 'int8', width: number): Graph {
  const key = `${dtype}${width}`;
  let g = graphs.get(key);
  if (!g) {
    g = loadDescriptionObject(tinyNet(dtype, width), `tiny_${key}`);
    graphs.set(key, g);
  }
  return g;
}

function inputsOf(g: Graph, count: number) {
  const t = g.tensors[g.inputs[0]!]!;
  return Array.from({ length: count }, (_, k) => seededInput(t.dtype, elementCount(t.shape), 100 + k));
}

describe.skipIf(skip).each(TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
  const counts = new Map<string, number[]>();

  it.each(['float32', 'int8'] as const)('%s: every layer matches the reference; counts repeat exactly', (dtype) => {
    const g = graph(dtype, 1);
    const project = generateProject(g, { name: `tiny_${dtype}`, target, kernels: 'generic' });
    const inputs = inputsOf(g, 2);
    const run = linuxRunner.run(project, target, inputs.map(toBytes), { layers: true, countInstructions: true });
    expect(run.results).toHaveLength(2);
    run.results.forEach((res, k) => {
      const ref = runGraph(g, [inputs[k]!]);
      expect(res.layers).toHaveLength(project.layers.length);
      for (const layer of project.layers) {
        const t = g.tensors[layer.outputTensor]!;
        const cmp = compareTensor(t.dtype, ref.values.get(layer.outputTensor)!, res.layers![layer.index]!);
        expect(cmp.mismatches, `input ${k} layer ${layer.index} ${layer.op}: max diff ${cmp.maxAbsDiff}`).toBe(0);
      }
      const out = compareTensor(dtype, ref.outputs[0]!, res.output);
      expect(out.mismatches).toBe(0);
      expect(res.instructions).toBeGreaterThan(0);
    });
    expect(run.build.codeBytes).toBeGreaterThan(0);
    expect(run.build.stackBytes).toBeGreaterThan(0);

    // A second session (counting only) gives the very same numbers, and the
    // first inference of a session costs the same as a later one.
    const again = linuxRunner.run(project, target, [...inputs, inputs[0]!].map(toBytes), { layers: false, countInstructions: true });
    const first = run.results.map((r) => r.instructions);
    expect(again.results.map((r) => r.instructions)).toEqual([...first, first[0]]);
    expect(again.results.slice(0, 2).map((r) => r.output)).toEqual(run.results.map((r) => r.output));
    counts.set(
      dtype,
      run.results.map((r) => r.instructions!),
    );
    console.log(
      `${target.name} ${dtype}: ${project.macs} MACs, instructions ${run.results.map((r) => r.instructions).join(', ')}, code ${run.build.codeBytes} B, stack ${run.build.stackBytes} B`,
    );
  });

  it('int8: a model with more MACs executes more instructions', () => {
    const sizes = [1, 2].map((width) => {
      const g = graph('int8', width);
      const project = generateProject(g, { name: `tiny_int8_w${width}`, target, kernels: 'generic' });
      const [res] = linuxRunner.run(project, target, inputsOf(g, 1).map(toBytes), { layers: false, countInstructions: true }).results;
      return { macs: project.macs, instructions: res!.instructions! };
    });
    console.log(`${target.name} int8 scaling: ${sizes.map((s) => `${s.macs} MACs → ${s.instructions} insns`).join('; ')}`);
    expect(sizes[1]!.macs).toBeGreaterThan(sizes[0]!.macs);
    expect(sizes[1]!.instructions).toBeGreaterThan(sizes[0]!.instructions);
  });
});
