/**
 * The Cortex-M targets under qemu-system-arm (MPS2/MPS3 boards, firmware of
 * examples/firmware): generic kernels agree with the reference on every
 * layer, counts repeat exactly, and MobileNetV1 0.25 int8 runs bit-exact on
 * the Cortex-M4 board.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { mcuRunner, mcuToolsAvailable, worstStack } from '../../src/cross/mcu.js';
import { elementCount, type Graph } from '../../src/model/ir.js';
import { MobilecError } from '../../src/model/errors.js';
import { loadModel } from '../../src/pipeline.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { targetByName, type Target } from '../../src/targets/index.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { seededInput, toBytes } from '../../src/util/tensors.js';
import { compareTensor } from '../../src/verify/compare.js';
import { loadDescriptionObject } from '../helpers/models.js';

function tinyNet(dtype: 'float32' | 'int8'): object {
  return {
    name: `tiny ${dtype}`,
    architecture: 'layers',
    input: { height: 16, width: 16, channels: 3 },
    dtype,
    weights: { seed: 7 },
    ...(dtype === 'int8' ? { calibration: { seed: 1, count: 4 } } : {}),
    layers: [
      { op: 'conv', name: 'stem', filters: 8, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 1, activation: 'relu6' },
      { op: 'pointwise', filters: 16, activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 2, depthMultiplier: 2, activation: 'relu' },
      { op: 'pointwise', filters: 16, activation: 'relu6' },
      { op: 'maxpool', size: 2 },
      { op: 'avgpool', size: 'global' },
      { op: 'fc', units: 10 },
      { op: 'softmax' },
    ],
  };
}

const TARGETS: readonly Target[] = ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'].map(targetByName);
const skip = !TARGETS.every(mcuToolsAvailable) && process.env.CI !== 'true';
if (skip) console.warn('skipping cross/mcu tests: arm-none-eabi-gcc, newlib or qemu-system-arm missing (see scripts/ensure-tools.sh)');

const graphs = new Map<string, Graph>();
function tiny(dtype: 'float32' | 'int8'): Graph {
  let g = graphs.get(dtype);
  if (!g) {
    g = loadDescriptionObject(tinyNet(dtype), `tiny_${dtype}`);
    graphs.set(dtype, g);
  }
  return g;
}

function inputsOf(g: Graph, count: number) {
  const t = g.tensors[g.inputs[0]!]!;
  return Array.from({ length: count }, (_, k) => seededInput(t.dtype, elementCount(t.shape), 100 + k));
}

describe('worstStack', () => {
  it('sums frames along the deepest call path of the object', () => {
    const ci = [
      'node: { title: "m.c:leaf" label: "leaf\\nm.c:2:38\\n40 bytes (static)" }',
      'node: { title: "m.c:mid" label: "mid\\nm.c:3:38\\n88 bytes (static)" }',
      'edge: { sourcename: "m.c:mid" targetname: "m.c:leaf" label: "m.c:3:78" }',
      'node: { title: "expf" label: "expf\\nmath.h:361:14" shape : ellipse }',
      'node: { title: "invoke" label: "invoke\\nm.c:5:5\\n16 bytes (static)" }',
      'edge: { sourcename: "invoke" targetname: "m.c:mid" label: "m.c:5:28" }',
      'edge: { sourcename: "invoke" targetname: "m.c:leaf" label: "m.c:5:37" }',
      'edge: { sourcename: "invoke" targetname: "expf" label: "m.c:4:26" }',
    ].join('\n');
    expect(worstStack(ci, 'invoke')).toBe(16 + 88 + 40);
    expect(worstStack(ci, 'missing')).toBeNull();
  });
});

describe.skipIf(skip).each(TARGETS.map((t) => [t.name, t] as const))('%s', (_name, target) => {
  it.each(['float32', 'int8'] as const)('%s: every layer matches the reference; counts repeat exactly', (dtype) => {
    const g = tiny(dtype);
    const project = generateProject(g, { name: `tiny_${dtype}`, target, kernels: 'generic' });
    const inputs = inputsOf(g, 2);
    const run = mcuRunner.run(project, target, inputs.map(toBytes), { layers: true, countInstructions: true });
    expect(run.results).toHaveLength(2);
    run.results.forEach((res, k) => {
      const ref = runGraph(g, [inputs[k]!]);
      expect(res.layers).toHaveLength(project.layers.length);
      for (const layer of project.layers) {
        const t = g.tensors[layer.outputTensor]!;
        const cmp = compareTensor(t.dtype, ref.values.get(layer.outputTensor)!, res.layers![layer.index]!);
        expect(cmp.mismatches, `input ${k} layer ${layer.index} ${layer.op}: max diff ${cmp.maxAbsDiff}`).toBe(0);
      }
      expect(compareTensor(dtype, ref.outputs[0]!, res.output).mismatches).toBe(0);
      expect(res.instructions).toBeGreaterThan(0);
    });
    expect(run.build.codeBytes).toBeGreaterThan(0);
    expect(run.build.stackBytes).toBeGreaterThan(0);

    // Counting alone gives the same outputs and the very same numbers, and
    // a repeated input in one boot costs exactly what it cost before.
    const again = mcuRunner.run(project, target, [...inputs, inputs[0]!].map(toBytes), { layers: false, countInstructions: true });
    const first = run.results.map((r) => r.instructions);
    expect(again.results.map((r) => r.instructions)).toEqual([...first, first[0]]);
    expect(again.results.slice(0, 2).map((r) => r.output)).toEqual(run.results.map((r) => r.output));
    console.log(
      `${target.name} ${dtype}: ${project.macs} MACs, instructions ${first.join(', ')}, code ${run.build.codeBytes} B, stack ${run.build.stackBytes} B, arena ${project.arena.bytes} B`,
    );
  });
});

describe.skipIf(skip)('cortex-m4: mobilenet_v1_0.25_96_int8', () => {
  it('final output is bit-exact; reports instructions, code, stack and arena', () => {
    const target = targetByName('cortex-m4');
    const g = loadModel(join(PACKAGE_ROOT, 'examples', 'models', 'mobilenet_v1_0.25_96_int8.json'));
    const project = generateProject(g, { name: 'mobilenet_v1_0_25_96_int8', target, kernels: 'generic' });
    const inputs = inputsOf(g, 2);
    const run = mcuRunner.run(project, target, inputs.map(toBytes), { layers: false, countInstructions: true });
    run.results.forEach((res, k) => {
      const cmp = compareTensor('int8', runGraph(g, [inputs[k]!]).outputs[0]!, res.output);
      expect(cmp.mismatches, `input ${k}: max diff ${cmp.maxAbsDiff}`).toBe(0);
      expect(res.instructions).toBeGreaterThan(project.macs);
    });
    const insns = run.results[0]!.instructions!;
    console.log(
      `cortex-m4 generic mobilenet_v1_0.25_96_int8: ${insns} instructions (${(insns / project.macs).toFixed(2)}/MAC, ${project.macs} MACs), ` +
        `code ${run.build.codeBytes} B, stack ${run.build.stackBytes} B, arena ${project.arena.bytes} B, weights ${project.weightBytes} B`,
    );
  });
});

describe.skipIf(skip)('board limits', () => {
  it('a model whose arena overflows the board RAM is bad input (exit 2), not an environment error', () => {
    const target = targetByName('cortex-m4'); // mps2-an386: 4 MB of SSRAM2/3 hold .bss
    const g = loadDescriptionObject(
      {
        name: 'too big',
        architecture: 'layers',
        input: { height: 512, width: 512, channels: 3 },
        dtype: 'float32',
        weights: { seed: 1 },
        layers: [{ op: 'conv', filters: 8, kernel: 3, stride: 1, padding: 'same', activation: 'relu' }],
      },
      'too_big',
    );
    const project = generateProject(g, { name: 'too_big', target, kernels: 'generic' });
    let error: unknown;
    try {
      mcuRunner.run(project, target, [], { layers: false, countInstructions: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MobilecError);
    expect((error as MobilecError).exitCode).toBe(2);
    // Both figures: what the model needs (arena + stack) and what the board's RAM holds.
    expect((error as MobilecError).message).toMatch(
      /^model too_big does not fit target cortex-m4: it needs arena \+ stack 8,394,784 \+ \d+ = [\d,]+ B of RAM, more than the 4,194,304 B of the mps2-an386 board's RAM region SSRAM23/,
    );
  });
});
