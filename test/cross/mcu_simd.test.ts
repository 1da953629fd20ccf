/**
 * The Cortex-M SIMD kernels (DSP on cortex-m4/m7/m33, Helium on cortex-m55)
 * through the shared kernel tester: random int8 depthwise-separable stacks
 * agree with the reference on every layer, and the SIMD kernels were the
 * ones chosen. Then the shared real models give their known outputs.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateProject } from '../../src/codegen/index.js';
import { runnerFor } from '../../src/cross/index.js';
import { mcuToolsAvailable } from '../../src/cross/mcu.js';
import { parseKernelName, type KernelId } from '../../src/codegen/kernelId.js';
import type { KernelTuning } from '../../src/codegen/types.js';
import { loadModel } from '../../src/pipeline.js';
import { targetByName, type Target } from '../../src/targets/index.js';
import { checkGraphOnTarget, description, inputArb, stackArb, tryLoad, type Layer } from '../helpers/graphOnTarget.js';
import { EXPECTED_DIR, MOBILENET_QUANT, PERSON_DETECT, skipShared } from '../helpers/shared.js';

const SIMD: Readonly<Record<string, string>> = { 'cortex-m4': 'dsp', 'cortex-m7': 'dsp', 'cortex-m33': 'dsp', 'cortex-m55': 'mve' };
const ALL = ['cortex-m3', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55'].map(targetByName);
const skipTools = !ALL.every(mcuToolsAvailable) && process.env.CI !== 'true';
if (skipTools) console.warn('skipping cross/mcu_simd tests: arm-none-eabi-gcc, newlib or qemu-system-arm missing (see scripts/ensure-tools.sh)');

/** A layer's kernel name read through the grammar (null: a view, or a kernel outside the grammar). */
function kernelId(name: string): KernelId | null {
  try {
    return parseKernelName(name);
  } catch {
    return null;
  }
}
const onIsa = (name: string, isa: string) => kernelId(name)?.isa === isa;
/** The tuning of a run: `dsp.smmlar` false forces the DSP's exact 64-bit epilogue. */
const tuningOf = (smmlar: boolean): KernelTuning => (smmlar ? {} : { switches: { 'dsp.smmlar': false } });

// cortex-m4 twice: the DSP kernels requantize with SMMLAR when the accumulator
// is bounded at compile time (always, for these stacks), else with the exact
// 64-bit sequence; the second run forces the latter.
const CASES: [string, string, boolean][] = [...Object.entries(SIMD).map(([n, t]): [string, string, boolean] => [n, t, true]), ['cortex-m4', 'dsp', false]];

describe.skipIf(skipTools).each(CASES)('%s (%s, smmlar %s) simd kernels vs the reference', (name, tag, smmlar) => {
  it('random int8 separable stacks: zero divergences, SIMD kernels chosen', async () => {
    const target: Target = targetByName(name);
    const divergences: string[] = [];
    let simdLayers = 0;
    let exactLayers = 0;
    let graphs = 0;
    await fc.assert(
      fc.asyncProperty(inputArb, stackArb, fc.integer({ min: 1, max: 1000 }), async (input, layers, seed) => {
        const g = tryLoad(description(input, layers, 'int8', seed));
        if (!g) return;
        graphs++;
        const r = await checkGraphOnTarget(g, target, 'simd', 1, tuningOf(smmlar));
        simdLayers += r.project.layers.filter((l) => onIsa(l.kernel, tag)).length;
        exactLayers += r.project.layers.filter((l) => kernelId(l.kernel)?.flags?.x64 === true).length;
        divergences.push(...r.divergences.map((d) => `${JSON.stringify({ input, layers, seed })}: ${d}`));
      }),
      { seed: Number(process.env.MCU_SIMD_SEED ?? 20260428) + (smmlar ? 0 : 1), numRuns: Number(process.env.MCU_SIMD_RUNS ?? 8), endOnFailure: true },
    );
    expect(divergences).toEqual([]);
    expect(graphs).toBeGreaterThan(3);
    expect(simdLayers).toBeGreaterThan(graphs);
    if (!smmlar) expect(exactLayers).toBeGreaterThan(graphs);
  }, 240_000);
});

// A single SIMD layer whose output is the model output (gcc once judged such a
// kernel side-effect free and dropped its call), and a fully connected head.
describe.skipIf(skipTools).each(Object.entries(SIMD))('%s: fixed small graphs', (name, tag) => {
  it('a lone pointwise layer, a wide one, and conv + FC, match the reference', async () => {
    const target = targetByName(name);
    const lone = {
      input: { height: 12, width: 12, channels: 4 },
      layers: [{ op: 'conv', filters: 2, kernel: 1, stride: 1, padding: 'same', activation: 'none', batchNorm: false }],
    };
    const head = {
      input: { height: 6, width: 6, channels: 3 },
      layers: [
        { op: 'conv', filters: 8, kernel: 3, stride: 2, padding: 'same', activation: 'relu6', batchNorm: true },
        { op: 'fc', units: 10, activation: 'none' },
      ],
    };
    // 121 pixels (not a multiple of the 3-pixel DSP block), 64 -> 71 channels (odd; 550K MACs: the DSP loop unrolled by 4).
    const wide = {
      input: { height: 11, width: 11, channels: 64 },
      layers: [{ op: 'conv', filters: 71, kernel: 1, stride: 1, padding: 'same', activation: 'relu6', batchNorm: true }],
    };
    // 512 input channels: the largest widened block of the DSP 3x2 loop (every register taken), both requantizations.
    const deep = {
      input: { height: 3, width: 3, channels: 512 },
      layers: [{ op: 'conv', filters: 4, kernel: 1, stride: 1, padding: 'same', activation: 'none', batchNorm: false }],
    };
    const cases: [{ input: object; layers: Layer[] }, boolean][] = [
      [lone, true],
      [head, true],
      [wide, true],
      [deep, true],
      [deep, false],
    ];
    for (const [c, smmlar] of cases) {
      const g = tryLoad(description(c.input, c.layers, 'int8', 249))!;
      const r = await checkGraphOnTarget(g, target, 'simd', 2, tuningOf(smmlar));
      expect(r.divergences).toEqual([]);
      expect(r.project.layers.every((l) => onIsa(l.kernel, tag))).toBe(true);
      if (tag === 'dsp') expect(r.project.layers.every((l) => kernelId(l.kernel)!.flags?.x64 === (smmlar ? undefined : true))).toBe(true);
    }
  }, 60_000);
});

describe.skipIf(skipTools).each(Object.entries(SIMD))('%s: one kernel body for layers that differ only in values', (name) => {
  // Found by npm run fuzz: two identical depthwise layers whose input zero points differ (0 after a ReLU6, -128 at
  // the input) named one DSP row kernel but baked two zero points into its body (exit 4, "two different bodies").
  it('two depthwise 3x3 layers of one shape and different input zero points share a kernel and match the reference', async () => {
    const target = targetByName(name);
    const dw = { op: 'depthwise', kernel: 3, padding: 'same', activation: 'relu6' } as Layer;
    const g = tryLoad(description({ height: 16, width: 12, channels: 3 }, [dw, dw], 'int8', 1))!;
    const r = await checkGraphOnTarget(g, target, 'simd', 2);
    expect(r.divergences).toEqual([]);
    expect(new Set(r.project.layers.map((l) => l.kernel)).size).toBe(1);
  }, 60_000);
});

function run(model: string, target: Target, input: Uint8Array): Int8Array | Uint8Array {
  const g = loadModel(model);
  const project = generateProject(g, { name: model.includes('person') ? 'person_detect' : 'mobilenet_quant', target, kernels: 'simd' });
  if (target.simd !== 'none') {
    const tag = target.simd === 'helium' ? 'mve' : 'dsp';
    expect(project.layers.filter((l) => onIsa(l.kernel, tag)).length).toBeGreaterThan(10);
  }
  const { results } = runnerFor(target).run(project, target, [input], { layers: false, countInstructions: false });
  const out = results[0]!.output;
  const outT = g.tensors[g.outputs[0]!]!;
  return outT.dtype === 'int8' ? new Int8Array(out.buffer, out.byteOffset, out.length) : out;
}

describe.skipIf(skipTools || skipShared)('shared models on the Cortex-M targets (kernels simd)', () => {
  const input = (f: string) => new Uint8Array(readFileSync(`${EXPECTED_DIR}/${f}`));
  it.each(ALL.map((t) => [t.name, t] as const))(
    'person_detect on %s: person [-113, 113], no person [57, -57]',
    (_n, target) => {
      expect([...run(PERSON_DETECT, target, input('person_detect.person.input.bin'))]).toEqual([-113, 113]);
      expect([...run(PERSON_DETECT, target, input('person_detect.no_person.input.bin'))]).toEqual([57, -57]);
    },
    120_000,
  );

  // uint8 (legacy per-tensor weights with zero points) through the SIMD kernels of both extensions.
  it.each(['cortex-m55', 'cortex-m4', 'cortex-m33'])(
    'mobilenet_v1_0.25_128_quant bird on %s equals the expected output',
    (name) => {
      const out = run(MOBILENET_QUANT, targetByName(name), input('mobilenet_v1_0.25_128_quant.bird.input.bin'));
      expect(Buffer.from(out.buffer, out.byteOffset, out.length).equals(input('mobilenet_v1_0.25_128_quant.bird.output.bin'))).toBe(true);
    },
    120_000,
  );
});
