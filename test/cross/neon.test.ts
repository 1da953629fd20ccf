/**
 * The NEON kernels (src/codegen/isa/neon/) on rpi4, rpi5 and rpi-armv7
 * under QEMU user mode, through the shared kernel tester: random separable
 * stacks (seeded), every layer against the reference (int8/uint8 bit for
 * bit, float32 within tolerance), and NEON kernels actually chosen.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { missingLinuxTools } from '../../src/cross/linux.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProject, type GeneratedProject } from '../../src/codegen/index.js';
import { parseKernelName, type KernelId } from '../../src/codegen/kernelId.js';
import { elementCount, type Graph } from '../../src/model/ir.js';
import { loadModel } from '../../src/pipeline.js';
import { targetByName, type Target } from '../../src/targets/index.js';
import { SpecBuilder, tinyMobilenet, writeModel } from '../tflite/models.js';
import { Prng } from '../../src/util/prng.js';
import { checkGraphOnTarget, description, inputArb, layersOnTarget, stackArb, tryLoad, type Layer } from '../helpers/graphOnTarget.js';
import { runGraph } from '../../src/reference/interpreter.js';
import { verifyInputs } from '../../src/verify/verify.js';

const TARGETS: readonly Target[] = ['rpi3', 'rpi4', 'rpi5', 'rpi-armv7'].map(targetByName);
/** rpi3 (Cortex-A53) runs rpi4's aarch64 NEON kernels: the same variants, only -mcpu differs. */
const asRpi4 = (name: string) => (name === 'rpi3' ? 'rpi4' : name);
const missing = [...new Set(TARGETS.flatMap((t) => missingLinuxTools(t)))];
const skip = missing.length > 0 && process.env.CI !== 'true';
if (skip) console.warn(`skipping cross/neon tests: missing ${missing.join(', ')} (see scripts/ensure-tools.sh)`);

const STACKS = 6;

/** A kernel's configuration from its name; null for names outside the grammar (today's NEON conv and softmax, until their rewrite). */
function kid(name: string): KernelId | null {
  try {
    return parseKernelName(name);
  } catch {
    return null;
  }
}
/** Whether a layer runs a NEON kernel (neon, neon32 or neondot; conv and softmax by their own names for now). */
const isNeon = (name: string) => {
  const id = kid(name);
  return id ? ['neon', 'neon32', 'neondot'].includes(id.isa) : name.includes('_neon');
};
/** The packed-pixel GEMM kernels: float32 8x8 and int8 4x16 (aarch64), int8 2x16 (armv7). */
const isPacked = (name: string) => {
  const id = kid(name);
  return (
    id !== null &&
    (id.op === 'pw' || id.op === 'fc') &&
    ((id.isa === 'neon' && (id.tile === '8x8' || id.tile === '4x16')) || (id.isa === 'neon32' && id.tile === '2x16'))
  );
};
/** The UDOT kernels (4x16); the uint8 SDOT tile (4x4, u8.ts) is not one. */
const isUdot = (name: string) => {
  const id = kid(name);
  return id !== null && id.isa === 'neondot' && id.dtype === 'u8' && id.tile === '4x16' && (id.op === 'pw' || id.op === 'fc');
};

/**
 * The emulated runs are synchronous; let vitest's worker answer its RPC
 * between them (a long blocked stretch times out "onTaskUpdate").
 */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Seeded random stacks that load (impossible shapes are skipped by design). */
function randomGraphs(dtype: 'float32' | 'int8', seed: number): { graph: Graph; layers: Layer[] }[] {
  const samples = fc.sample(fc.tuple(inputArb, stackArb, fc.integer({ min: 1, max: 1000 })), { seed, numRuns: STACKS * 3 });
  const out: { graph: Graph; layers: Layer[] }[] = [];
  for (const [input, layers, wseed] of samples) {
    if (out.length === STACKS) break;
    const graph = tryLoad(description(input, layers, dtype, wseed));
    if (graph) out.push({ graph, layers });
  }
  return out;
}

/** A MobileNet-shaped stack whose every layer has a NEON kernel (all channel tails and both strides). */
const COVERAGE: { input: object; layers: Layer[] } = {
  input: { height: 11, width: 10, channels: 3 },
  layers: [
    { op: 'conv', filters: 20, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
    { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', activation: 'relu6' },
    { op: 'pointwise', filters: 35, activation: 'relu6' },
    { op: 'depthwise', kernel: 3, stride: 2, padding: 'same', activation: 'relu' },
    { op: 'pointwise', filters: 16, activation: 'none' },
    { op: 'avgpool', size: 'global' },
    { op: 'fc', units: 11 },
  ],
};

/** Channel counts the aarch64 assembly tiles take (K % 16 == 0, 16-channel blocks), with expansions that stream in place. */
const ASM_COVERAGE: { input: object; layers: Layer[] } = {
  input: { height: 10, width: 9, channels: 16 },
  layers: [
    { op: 'conv', filters: 16, kernel: 3, stride: 1, padding: 'same', activation: 'relu6' },
    { op: 'pointwise', filters: 32, activation: 'relu6' },
    { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', activation: 'relu6' },
    { op: 'pointwise', filters: 48, activation: 'relu' },
    { op: 'depthwise', kernel: 3, stride: 2, padding: 'valid', activation: 'relu6' },
    { op: 'pointwise', filters: 16, activation: 'none' },
    { op: 'avgpool', size: 'global' },
  ],
};

/**
 * First-layer conv tiles (3 channels, stride 2 SAME, 32/16/8 filters; full and partial pixel tiles, padded
 * borders) and depthwise on 16/32/64 channels at stride 1 and 2.
 */
const STEM_COVERAGE: { input: object; layers: Layer[] }[] = [
  {
    input: { height: 13, width: 17, channels: 3 },
    layers: [
      { op: 'conv', filters: 32, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
      { op: 'pointwise', filters: 64, activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', activation: 'relu' },
      { op: 'depthwise', kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
    ],
  },
  {
    input: { height: 16, width: 16, channels: 3 },
    layers: [
      { op: 'conv', filters: 16, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 2, padding: 'same', activation: 'none' },
      { op: 'pointwise', filters: 8, activation: 'relu6' },
    ],
  },
  {
    input: { height: 18, width: 22, channels: 3 },
    layers: [
      { op: 'conv', filters: 8, kernel: 3, stride: 2, padding: 'same', activation: 'relu' },
      { op: 'pointwise', filters: 32, activation: 'relu6' },
      { op: 'depthwise', kernel: 3, stride: 2, padding: 'valid', activation: 'relu6' },
    ],
  },
];

describe.skipIf(skip).each(TARGETS.map((t) => [t.name, t] as const))('%s NEON kernels', (_name, target) => {
  it.each(['float32', 'int8'] as const)('%s: random stacks agree with the reference layer by layer', async (dtype) => {
    const seed = dtype === 'float32' ? 20261 : 20262;
    const graphs = randomGraphs(dtype, seed);
    expect(graphs.length).toBeGreaterThanOrEqual(STACKS - 2);
    let neonLayers = 0;
    for (const { graph, layers } of graphs) {
      const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd');
      expect(divergences, JSON.stringify(layers)).toEqual([]);
      neonLayers += project.layers.filter((l) => isNeon(l.kernel)).length;
      await yieldToEventLoop();
    }
    expect(neonLayers).toBeGreaterThan(graphs.length);
  });

  it.each(['float32', 'int8'] as const)('%s: every layer of a MobileNet-shaped stack runs a NEON kernel', async (dtype) => {
    const graph = tryLoad(description(COVERAGE.input, COVERAGE.layers, dtype, 5))!;
    const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
    expect(divergences).toEqual([]);
    const kernels = project.layers.map((l) => l.kernel);
    expect(kernels.filter((k) => !isNeon(k))).toEqual([]);
    if (dtype === 'int8') {
      // int8 pointwise never falls back to int16-widened weights: SDOT tiles on rpi5, int8 SMULL pairs elsewhere.
      const pw = kernels.map(kid).filter((id) => id?.op === 'pw');
      expect(pw.length).toBeGreaterThan(0);
      expect(pw.every((id) => (target.simd === 'neon-dotprod' ? id!.isa === 'neondot' : !id!.flags?.w16))).toBe(true);
    }
  });

  it.each(['float32', 'int8'] as const)('%s: the assembly tile shapes (K a multiple of 16) agree, streaming in place', async (dtype) => {
    const graph = tryLoad(description(ASM_COVERAGE.input, ASM_COVERAGE.layers, dtype, 9))!;
    const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
    expect(divergences).toEqual([]);
    expect(project.layers.map((l) => l.kernel).filter((k) => !isNeon(k))).toEqual([]);
  });
});

/** Softmax heads: 16-value vectors with and without an overlapping tail, and 1000 classes. */
const SOFTMAX_COVERAGE: { input: object; layers: Layer[] }[] = [21, 32, 1000].map((units) => ({
  input: { height: 4, width: 4, channels: 3 },
  layers: [
    { op: 'conv', filters: 8, kernel: 3, stride: 2, padding: 'same', activation: 'relu6' },
    { op: 'avgpool', size: 'global' },
    { op: 'fc', units },
    { op: 'softmax' },
  ],
}));

describe.skipIf(skip).each(TARGETS.map((t) => [t.name, t] as const))('%s NEON softmax', (_name, target) => {
  it.each(['float32', 'int8'] as const)('%s: softmax heads agree and run the NEON kernel on aarch64', async (dtype) => {
    for (const [k, stack] of SOFTMAX_COVERAGE.entries()) {
      const graph = tryLoad(description(stack.input, stack.layers, dtype, 31 + k))!;
      const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
      expect(divergences, JSON.stringify(stack.layers)).toEqual([]);
      const sm = project.layers.map((l) => l.kernel).filter((n) => n.startsWith('mobilec_softmax_'));
      expect(sm.length).toBe(1);
      expect(isNeon(sm[0]!)).toBe(target.arch === 'aarch64');
      if (target.arch === 'aarch64') {
        const id = parseKernelName(sm[0]!);
        expect([id.isa, id.dtype, id.flags?.tbl !== undefined]).toEqual(['neon', dtype === 'int8' ? 's8' : 'f32', dtype === 'int8']);
      }
      await yieldToEventLoop();
    }
  });
});

describe.skipIf(skip).each(TARGETS.map((t) => [t.name, t] as const))('%s NEON first-layer conv and depthwise', (_name, target) => {
  it.each(['float32', 'int8'] as const)('%s: stem tiles and 16/32/64-channel depthwise agree', async (dtype) => {
    const stems: string[] = [];
    for (const [k, stack] of STEM_COVERAGE.entries()) {
      const graph = tryLoad(description(stack.input, stack.layers, dtype, 11 + k))!;
      const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
      expect(divergences, JSON.stringify(stack.layers)).toEqual([]);
      expect(project.layers.map((l) => l.kernel).filter((n) => !isNeon(n))).toEqual([]);
      stems.push(convVariant(project.layers[0]!.kernel));
      await yieldToEventLoop();
    }
    expect(stems).toEqual(STEM_VARIANTS[target.name]![dtype]);
  });
});

/** A stem conv kernel's variant as its name spells it: isa / tile / structure flags. */
function convVariant(kernel: string): string {
  const id = parseKernelName(kernel);
  expect(id.op).toBe('conv');
  const structure = (['rows', 'gather', 'mla'] as const).filter((f) => id.flags?.[f] !== undefined);
  return `${id.isa}/${id.tile ?? ''}/${structure.join('+')}`;
}

/**
 * The variant each STEM_COVERAGE stack's conv takes: row loops on aarch64 (int8: the weights allow the
 * MLA tap groups; rpi5: SDOT with gathered taps), the register tile where 8 channels leave 8 pixels per
 * tile, the armv7 intrinsics tiles, and the general kernel for float32 on armv7.
 */
const STEM_VARIANTS: Record<string, Record<'float32' | 'int8', string[]>> = {
  rpi3: { float32: ['neon/4x16/rows', 'neon/4x16/rows', 'neon/4x8/rows'], int8: ['neon/4x16/rows+mla', 'neon/4x16/rows+mla', 'neon/4x8/rows'] },
  rpi4: { float32: ['neon/4x16/rows', 'neon/4x16/rows', 'neon/4x8/rows'], int8: ['neon/4x16/rows+mla', 'neon/4x16/rows+mla', 'neon/4x8/rows'] },
  rpi5: {
    float32: ['neon/4x16/rows', 'neon/4x16/rows', 'neon/4x8/rows'],
    int8: ['neondot/4x16/rows+gather', 'neondot/4x16/rows+gather', 'neondot/4x8/rows+gather'],
  },
  'rpi-armv7': { float32: ['neon32//', 'neon32//', 'neon32//'], int8: ['neon32/2x16/', 'neon32/2x16/', 'neon32/4x8/'] },
};

/** Legacy uint8 (per-tensor weights with zero points) from the TFLite builder, and the shared uint8 classifier. */
describe.skipIf(skip)('uint8 NEON kernels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-neon-u8-'));
  const tiny = [1, 2].map((seed) =>
    loadModel(
      writeModel(
        dir,
        `u8_${seed}.tflite`,
        tinyMobilenet({ dtype: 'uint8', channels: 3, size: 16, first: 'conv', head: seed === 1 ? 'fc' : 'conv', softmax: true, classes: 10, seed }),
      ),
    ),
  );
  rmSync(dir, { recursive: true, force: true });

  it.each(TARGETS.map((t) => [t.name, t] as const))('%s: builder models agree bit for bit', async (_name, target) => {
    for (const graph of tiny) {
      const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
      expect(divergences).toEqual([]);
      expect(project.layers.filter((l) => isNeon(l.kernel)).length).toBeGreaterThanOrEqual(3);
      await yieldToEventLoop();
    }
  });

  // Adversarial weights for the pair row kernels' split taps (splitPlan): w - w_zp at -255 (weight zero point
  // 255, weights 0) and +255 (zero point 0, weights 255), -254, +-128 and +-127, in some channels of some
  // 16-channel blocks only; input and output zero points at both ends; inputs all 0, all 255 and seeded.
  const adversarial = (() => {
    const d = mkdtempSync(join(tmpdir(), 'mobilec-neon-u8dw-'));
    const g = loadModel(writeModel(d, 'u8dw.tflite', adversarialU8Depthwise()));
    rmSync(d, { recursive: true, force: true });
    return g;
  })();
  it.each(TARGETS.map((t) => [t.name, t] as const))(
    '%s: uint8 depthwise with w - w_zp at +-255 agrees bit for bit, on split pair kernels',
    async (_name, target) => {
      const project = generateProject(adversarial, { name: adversarial.name, target, kernels: 'simd' });
      const dw = project.layers.filter((l) => l.kernel.startsWith('mobilec_dw_'));
      expect(dw.length).toBe(3);
      for (const l of dw) {
        const id = parseKernelName(l.kernel);
        expect(id.isa).toBe(target.arch === 'aarch64' ? 'neon' : 'neon32');
        expect(id.dtype).toBe('u8');
        expect(id.flags?.pair).toBe(true);
        expect(typeof id.flags?.split).toBe('number');
      }
      const n = elementCount(adversarial.tensors[adversarial.inputs[0]!]!.shape);
      const ins = [
        { seed: -1, input: new Uint8Array(n) },
        { seed: -2, input: new Uint8Array(n).fill(255) },
        { seed: -3, input: Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 255 : 0)) },
        ...verifyInputs(adversarial, 2),
      ];
      // the outputs are live: every layer has more than 64 distinct values on the seeded input
      const ref = runGraph(adversarial, [ins[3]!.input]);
      for (const op of adversarial.ops) expect(new Set(ref.values.get(op.outputs[0]!)).size, op.name).toBeGreaterThan(64);
      const report = layersOnTarget(adversarial, project, target, ins);
      expect(report.layers.map((l) => l.mismatches)).toEqual(adversarial.ops.map(() => 0));
      await yieldToEventLoop();
    },
  );

  const shared = join(__dirname, '..', '..', '..', 'shared', 'models', 'mobilenet_v1_0.25_128_quant.tflite');
  it.skipIf(!existsSync(shared)).each(['rpi3', 'rpi4', 'rpi5', 'rpi-armv7'])(
    '%s: mobilenet_v1_0.25_128_quant agrees bit for bit on every layer',
    async (target) => {
      const name = asRpi4(target);
      const { project, divergences } = await checkGraphOnTarget(loadModel(shared), targetByName(target), 'simd');
      expect(divergences).toEqual([]);
      expect(project.layers.filter((l) => isNeon(l.kernel)).length).toBeGreaterThanOrEqual(27);
      // rpi5: every pointwise with K % 16 == 0 (all but the first, K = 8) and the 1001-class head (1 pixel,
      // 9 channels past the last whole tile) run UDOT with the weight zero point folded.
      const udot = project.layers.filter((l) => isUdot(l.kernel));
      expect(udot.length).toBe(name === 'rpi5' ? 13 : 0);
      // rpi4: the same 13 run the packed int8 kernel on the uint8 layer's int8 form (u8.ts); rpi-armv7 all 14
      // pointwise (its packed kernel takes any K); rpi5's first (K = 8) the SDOT tile. Every layer has some
      // channel whose weights span more than 127 on one side of the zero point, so every one adds d_c·S_p (`wzp`).
      const asS8 = project.layers.filter((l) => ['neon/gemm/u8-packed', 'neon32/gemm/u8-packed', 'neondot/gemm/u8-sdot'].includes(l.variantKey ?? ''));
      expect(asS8.map((l) => l.variantKey)).toEqual(
        Array(name === 'rpi4' ? 13 : name === 'rpi5' ? 1 : 14).fill(
          name === 'rpi4' ? 'neon/gemm/u8-packed' : name === 'rpi5' ? 'neondot/gemm/u8-sdot' : 'neon32/gemm/u8-packed',
        ),
      );
      expect(asS8.every((l) => kid(l.kernel)!.flags?.wzp === true && kid(l.kernel)!.flags?.w8 === true)).toBe(true);
      // what remains on the int16-widened tiles: rpi4's first pointwise (K = 8)
      expect(project.layers.filter((l) => l.variantKey?.endsWith('/gemm/s16')).length).toBe(name === 'rpi4' ? 1 : 0);
    },
  );
});

/**
 * The packed-pixel pointwise kernels (aarch64): 15 pixels = one 8-pixel block, a 4-pixel block and 3 single
 * pixels for float32 (one 4-pixel block and 3 single pixels for int8), a channel count that is not a whole
 * int8 tile, and fully connected layers (one pixel) on the same packed weights.
 */
const PACKED_COVERAGE: { input: object; layers: Layer[] } = {
  input: { height: 3, width: 5, channels: 16 },
  layers: [
    { op: 'pointwise', filters: 48, activation: 'relu6' },
    { op: 'depthwise', kernel: 3, stride: 1, padding: 'same', activation: 'relu6' },
    { op: 'pointwise', filters: 40, activation: 'relu' },
    { op: 'pointwise', filters: 32, activation: 'none' },
    { op: 'avgpool', size: 'global' },
    { op: 'fc', units: 24 },
  ],
};

describe.skipIf(skip).each(TARGETS.filter((t) => t.arch === 'aarch64').map((t) => [t.name, t] as const))('%s packed pointwise kernels', (_name, target) => {
  it.each(['float32', 'int8'] as const)('%s: every block and tail variant agrees with the reference', async (dtype) => {
    const graph = tryLoad(description(PACKED_COVERAGE.input, PACKED_COVERAGE.layers, dtype, 11))!;
    const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
    expect(divergences).toEqual([]);
    const source = project.files.get(`${project.name}.c`) as string;
    const packed = project.layers.map((l) => l.kernel).filter(isPacked);
    if (dtype === 'float32') {
      // Every pointwise (cout % 8 == 0) and the FC take the packed float kernel.
      expect(packed).toHaveLength(4);
      for (const t of ['_tile8(', '_tile4(', '_tile1(']) expect(source).toContain(t);
    } else if (target.simd === 'neon') {
      // K % 16 == 0: the pointwise layers on 16 and 48 channels (not the one on 40) and the FC (K 32, 24 = 16 + 8 channels).
      expect(packed.map((k) => k.split('_')[1])).toEqual(['pw', 'pw', 'fc']);
      for (const t of ['_tile4(', '_tile1(', 'tmp[4 * 16]', 'tmp[16]']) expect(source).toContain(t);
    } else {
      expect(packed).toEqual([]); // rpi5: SDOT tiles
    }
  });
});

/**
 * Random shapes for the packed pointwise kernels (fast-check, seeded): pixel counts around the 8- and 4-pixel
 * blocks, input depths the float (K % 4) and int8 (K % 16) tiles take, output depths with and without a whole
 * tile, every activation, and a second pointwise that expands in place.
 */
const packedShapeArb = fc.record({
  height: fc.integer({ min: 1, max: 4 }),
  width: fc.integer({ min: 1, max: 7 }),
  k: fc.constantFrom(16, 32, 48, 64),
  cout: fc.constantFrom(8, 16, 24, 40, 64),
  expand: fc.constantFrom(16, 48, 96),
  act: fc.constantFrom('none', 'relu', 'relu6'),
});

describe.skipIf(skip).each(TARGETS.filter((t) => t.arch === 'aarch64').map((t) => [t.name, t] as const))(
  '%s packed pointwise, random shapes',
  (_name, target) => {
    it.each(['float32', 'int8'] as const)('%s: agrees with the reference layer by layer', async (dtype) => {
      const samples = fc.sample(packedShapeArb, { seed: dtype === 'float32' ? 5150 : 5151, numRuns: 5 });
      let packedLayers = 0;
      for (const s of samples) {
        const layers: Layer[] = [
          { op: 'pointwise', filters: s.cout, activation: s.act },
          { op: 'pointwise', filters: s.expand, activation: 'relu6' },
        ];
        const graph = tryLoad(description({ height: s.height, width: s.width, channels: s.k }, layers, dtype, s.k + s.cout))!;
        const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
        expect(divergences, JSON.stringify(s)).toEqual([]);
        packedLayers += project.layers.filter((l) => isPacked(l.kernel)).length;
        await yieldToEventLoop();
      }
      // rpi5 runs int8 on SDOT tiles; every other case must have exercised the packed kernels.
      if (dtype === 'float32' || target.simd === 'neon') expect(packedLayers).toBeGreaterThanOrEqual(5);
    });
  },
);

/**
 * Max pooling: sizes 2 and 3, strides 1 and 2, SAME and VALID (padded taps ignored), on 3 (scalar tail only),
 * 16 (whole int8 vectors), 17 (16 + 1) and 24 (16 + 8) channels, after each other and after pointwise layers
 * (so most run in place), with fused activations.
 */
const MAXPOOL_COVERAGE: { input: object; layers: Layer[] }[] = [
  {
    input: { height: 11, width: 10, channels: 3 },
    layers: [
      { op: 'maxpool', size: 3, stride: 2, padding: 'same', activation: 'relu' },
      { op: 'pointwise', filters: 16, activation: 'relu6' },
      { op: 'maxpool', size: 2, stride: 1, padding: 'valid', activation: 'none' },
      { op: 'pointwise', filters: 17, activation: 'none' },
      { op: 'maxpool', size: 3, stride: 1, padding: 'same', activation: 'relu' },
      { op: 'pointwise', filters: 24, activation: 'none' },
      { op: 'maxpool', size: 2, stride: 2, padding: 'same', activation: 'none' },
    ],
  },
  {
    input: { height: 9, width: 12, channels: 17 },
    layers: [
      { op: 'maxpool', size: 2, stride: 1, padding: 'same', activation: 'none' },
      { op: 'maxpool', size: 3, stride: 2, padding: 'valid', activation: 'relu' },
      { op: 'pointwise', filters: 16, activation: 'none' },
      { op: 'maxpool', size: 3, stride: 1, padding: 'valid', activation: 'relu6' },
      { op: 'pointwise', filters: 3, activation: 'none' },
      { op: 'maxpool', size: 2, stride: 2, padding: 'same', activation: 'relu' },
    ],
  },
  {
    input: { height: 8, width: 9, channels: 24 },
    layers: [
      { op: 'maxpool', size: 2, stride: 2, padding: 'valid', activation: 'relu' },
      { op: 'maxpool', size: 3, stride: 1, padding: 'same', activation: 'none' },
      { op: 'pointwise', filters: 3, activation: 'relu6' },
      { op: 'maxpool', size: 3, stride: 2, padding: 'valid', activation: 'none' },
    ],
  },
];

/** Legacy uint8 max pools (input zero point 128, so a fused ReLU clamps) from the TFLite builder. */
function uint8MaxPools(h: number, w: number, c: number, pools: { k: number; s: number; padding: 'same' | 'valid'; act: 'none' | 'relu' | 'relu6' }[]) {
  const b = new SpecBuilder();
  const quant = { scale: [Math.fround(1 / 128)], zeroPoint: [128] };
  const input = b.tensor({ name: 'input', shape: [1, h, w, c], type: 'UINT8', quant });
  let x = input;
  for (const [i, p] of pools.entries()) {
    const out = (n: number) => (p.padding === 'same' ? Math.ceil(n / p.s) : Math.floor((n - p.k) / p.s) + 1);
    [h, w] = [out(h), out(w)];
    const y = b.tensor({ name: `pool${i}`, shape: [1, h, w, c], type: 'UINT8', quant });
    x = b.op({
      op: 'MAX_POOL_2D',
      inputs: [x],
      outputs: [y],
      options: { kind: 'pool2d', padding: p.padding, filter: [p.k, p.k], stride: [p.s, p.s], activation: p.act },
    });
  }
  return b.spec([input], [x]);
}

const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

/** Every max pool runs the NEON kernel, and the generated C compiles warning-free with the strict flags. */
function expectNeonMaxPools(project: GeneratedProject, target: Target): void {
  const pools = project.layers.filter((l) => l.op === 'max_pool2d').map((l) => l.kernel);
  expect(pools.length).toBeGreaterThan(0);
  expect(pools.filter((k) => !isNeon(k))).toEqual([]);
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-neon-maxpool-'));
  try {
    for (const [f, c] of project.files) writeFileSync(join(dir, f), c);
    const r = spawnSync(target.cc, [...target.cflags, ...STRICT, '-I', '.', '-c', `${project.name}.c`], { cwd: dir, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(skip).each(TARGETS.map((t) => [t.name, t] as const))('%s NEON max pool', (_name, target) => {
  it.each(['float32', 'int8'] as const)('%s: max pool stacks agree with the reference layer by layer', async (dtype) => {
    for (const [k, stack] of MAXPOOL_COVERAGE.entries()) {
      const graph = tryLoad(description(stack.input, stack.layers, dtype, 41 + k))!;
      expect(graph).not.toBeNull();
      const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
      expect(divergences, JSON.stringify(stack.layers)).toEqual([]);
      expectNeonMaxPools(project, target);
      await yieldToEventLoop();
    }
  });

  it('uint8: max pool models from the TFLite builder agree bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-neon-maxpool-u8-'));
    const graphs = [
      uint8MaxPools(9, 7, 17, [
        { k: 3, s: 2, padding: 'same', act: 'relu' },
        { k: 2, s: 1, padding: 'valid', act: 'none' },
      ]),
      uint8MaxPools(8, 9, 24, [
        { k: 2, s: 2, padding: 'valid', act: 'relu6' },
        { k: 3, s: 1, padding: 'same', act: 'none' },
      ]),
      uint8MaxPools(7, 6, 3, [{ k: 3, s: 1, padding: 'same', act: 'relu' }]),
      uint8MaxPools(6, 5, 16, [{ k: 2, s: 2, padding: 'same', act: 'none' }]),
    ].map((spec, i) => loadModel(writeModel(dir, `maxpool_u8_${i}.tflite`, spec)));
    rmSync(dir, { recursive: true, force: true });
    for (const graph of graphs) {
      const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
      expect(divergences).toEqual([]);
      expectNeonMaxPools(project, target);
      await yieldToEventLoop();
    }
  });
});

/**
 * rpi-armv7 int8 pointwise and fully connected (neon32/gemm/s8-packed, fast-check, seeded): input depths off
 * the 8-channel pairs and 4-channel steps (zero-padded last step), odd pixel counts (the 1-pixel tile),
 * output depths with and without a whole 16-channel tile, every activation, an expansion streaming in place,
 * and a fully connected head (one row) on the same kernel.
 */
const armv7ShapeArb = fc.record({
  height: fc.integer({ min: 1, max: 3 }),
  width: fc.integer({ min: 1, max: 5 }),
  k: fc.constantFrom(3, 8, 12, 20, 21, 37, 64),
  cout: fc.constantFrom(5, 16, 24, 40),
  expand: fc.constantFrom(16, 33, 96),
  act: fc.constantFrom('none', 'relu', 'relu6'),
});

describe.skipIf(skip)('rpi-armv7 packed int8 pointwise, random shapes', () => {
  it('agrees with the reference layer by layer', async () => {
    const target = targetByName('rpi-armv7');
    let packedLayers = 0;
    for (const s of fc.sample(armv7ShapeArb, { seed: 7007, numRuns: 6 })) {
      const layers: Layer[] = [
        { op: 'pointwise', filters: s.cout, activation: s.act },
        { op: 'pointwise', filters: s.expand, activation: 'relu6' },
        { op: 'avgpool', size: 'global' },
        { op: 'fc', units: s.cout },
      ];
      const graph = tryLoad(description({ height: s.height, width: s.width, channels: s.k }, layers, 'int8', s.k + s.cout))!;
      const { project, divergences } = await checkGraphOnTarget(graph, target, 'simd', 2);
      expect(divergences, JSON.stringify(s)).toEqual([]);
      packedLayers += project.layers.filter((l) => isPacked(l.kernel) && kid(l.kernel)!.isa === 'neon32').length;
      await yieldToEventLoop();
    }
    expect(packedLayers).toBeGreaterThanOrEqual(18);
  });
});

/**
 * rpi5 uint8 pointwise and FC on UDOT over random shapes (fast-check, seeded): legacy uint8 layers (per-tensor
 * weight zero points 100-160, input zero point 128) built with the TFLite builder, pixel counts off the 4-pixel
 * blocks, depths with and without a whole 16-channel tile, and an FC head (one row).
 */
function uint8PointwiseStack(h: number, w: number, k: number, couts: number[], classes: number, seed: number) {
  const rng = new Prng(seed);
  const b = new SpecBuilder();
  const f = Math.fround;
  const relu6Q = { scale: [f(6 / 255)], zeroPoint: [0] };
  let q = { scale: [f(1 / 128)], zeroPoint: [128] };
  let x = b.tensor({ name: 'input', shape: [1, h, w, k], type: 'UINT8', quant: q });
  const layer = (name: string, cout: number, cin: number, shape: number[]) => {
    const ws = f(rng.uniform(0.004, 0.02));
    const wt = b.tensor({
      name: `${name}/w`,
      shape,
      type: 'UINT8',
      quant: { scale: [ws], zeroPoint: [rng.int(100, 160)] },
      data: Uint8Array.from({ length: cout * cin }, () => rng.int(0, 255)),
    });
    const bs = f(q.scale[0]! * ws);
    const bt = b.tensor({
      name: `${name}/b`,
      shape: [cout],
      type: 'INT32',
      quant: { scale: [bs], zeroPoint: [0] },
      data: Int32Array.from({ length: cout }, () => rng.int(-2000, 2000)),
    });
    return [wt, bt] as const;
  };
  let c = k;
  for (const [i, cout] of couts.entries()) {
    const [wt, bt] = layer(`pw${i}`, cout, c, [cout, 1, 1, c]);
    const y = b.tensor({ name: `pw${i}`, shape: [1, h, w, cout], type: 'UINT8', quant: relu6Q });
    x = b.op({ op: 'CONV_2D', inputs: [x, wt, bt], outputs: [y], options: { kind: 'conv2d', padding: 'valid', activation: 'relu6' } });
    q = relu6Q;
    c = cout;
  }
  const flat = b.tensor({ name: 'flat', shape: [1, h * w * c], type: 'UINT8', quant: q });
  const shape = b.tensor({ name: 'shape', shape: [2], type: 'INT32', data: Int32Array.of(1, h * w * c) });
  x = b.op({ op: 'RESHAPE', inputs: [x, shape], outputs: [flat], options: { kind: 'reshape', newShape: [1, h * w * c] } });
  const [wt, bt] = layer('fc', classes, h * w * c, [classes, h * w * c]);
  const logits = b.tensor({ name: 'logits', shape: [1, classes], type: 'UINT8', quant: { scale: [f(0.1)], zeroPoint: [130] } });
  x = b.op({ op: 'FULLY_CONNECTED', inputs: [flat, wt, bt], outputs: [logits], options: { kind: 'fully_connected' } });
  return b.spec([b.tensors.findIndex((t) => t.name === 'input')], [x]);
}

/** Random uint8 pointwise stacks (uint8PointwiseStack): pixels, input channels, two widths, classes. */
const U8_STACK_ARB = fc.record({
  h: fc.integer({ min: 1, max: 3 }),
  w: fc.integer({ min: 1, max: 5 }),
  k: fc.constantFrom(16, 32, 48),
  c1: fc.constantFrom(16, 24, 40),
  c2: fc.constantFrom(16, 32, 33),
  classes: fc.constantFrom(7, 16, 21),
});

describe.skipIf(skip)('rpi5 uint8 UDOT pointwise, random shapes', () => {
  it('agrees with the reference bit for bit, on UDOT kernels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-neon-udot-'));
    try {
      let udot = 0;
      for (const [i, s] of fc.sample(U8_STACK_ARB, { seed: 5252, numRuns: 5 }).entries()) {
        // UDOT takes K % 16 == 0: the first pointwise always, the second when c1 is 16, the FC when h·w·c2 is.
        const graph = loadModel(writeModel(dir, `udot_${i}.tflite`, uint8PointwiseStack(s.h, s.w, s.k, [s.c1, s.c2], s.classes, 700 + i)));
        const { project, divergences } = await checkGraphOnTarget(graph, targetByName('rpi5'), 'simd', 2);
        expect(divergences, JSON.stringify(s)).toEqual([]);
        udot += project.layers.filter((l) => isUdot(l.kernel)).length;
        await yieldToEventLoop();
      }
      expect(udot).toBeGreaterThanOrEqual(7);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * rpi4 and rpi-armv7 uint8 pointwise and FC on the packed int8 kernels (u8.ts) over the same random stacks:
 * uniform 0..255 weights, so nearly every channel needs a weight offset (`wzp`) and some span 0..255.
 */
describe.skipIf(skip).each(['rpi3', 'rpi4', 'rpi-armv7'])('%s uint8 packed pointwise, random shapes', (target) => {
  const name = asRpi4(target);
  it('agrees with the reference bit for bit, on the packed kernels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-neon-u8p-'));
    try {
      let packed = 0;
      for (const [i, s] of fc.sample(U8_STACK_ARB, { seed: 5353, numRuns: 5 }).entries()) {
        const graph = loadModel(writeModel(dir, `u8p_${i}.tflite`, uint8PointwiseStack(s.h, s.w, s.k, [s.c1, s.c2], s.classes, 800 + i)));
        const { project, divergences } = await checkGraphOnTarget(graph, targetByName(target), 'simd', 2);
        expect(divergences, JSON.stringify(s)).toEqual([]);
        packed += project.layers.filter((l) => l.variantKey === (name === 'rpi4' ? 'neon/gemm/u8-packed' : 'neon32/gemm/u8-packed')).length;
        await yieldToEventLoop();
      }
      // rpi4: K % 16 == 0 (the first pointwise always, the second when c1 is 16, the FC when h·w·c2 is) and no
      // unavoidable −128 pair; armv7: any K, no −128 pair in the natural order
      expect(packed).toBe(name === 'rpi4' ? 11 : 15);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * uint8 pointwise on the int8 kernels (u8.ts), adversarial: one 1×1 layer (5 pixels: a whole block and a tail on
 * every target; 24 channels: a whole 16-channel tile and a padded one) with weight zero point 0 or 255, channels
 * whose weights span 0..255 (offset 128, so w' = −128 where w = 0), all 0, all 255, and pixels of all 0
 * (x' = −128) and all 255. Channel 0 differs by model:
 *  - `pairs`: w = 0 at inputs 0 and 2 of every 4, which the SMULL/SMLAL2 kernels add in one int16 lane: in the
 *    natural order pixel 0 gives 128·128 + 128·128 = 32768 there (int16 overflow), so rpi4 permutes the inputs
 *    (TBL indices) and runs the packed kernel, while rpi-armv7, which cannot permute, keeps the int16 tile;
 *  - `lanes`: w = 0 at input 0 of every 4 only: lanes reach 128·128 + 128·127 = 32640, every packed kernel runs;
 *  - `nopairs`: w = 0 at a whole group of 16 inputs: no permutation avoids a −128 pair, so the SMULL kernels
 *    keep the int16 tile for the layer.
 * rpi5 runs the same channels with K = 40 (UDOT takes K % 16 == 0) on the SDOT tile, exact for any int8.
 * Channels 16-23 stay within 127 of the zero point: their tile skips the d_c·S_p step, the first one runs it.
 */
function adversarialU8Pointwise(wZp: number, kind: 'pairs' | 'lanes' | 'nopairs', K: number) {
  const cout = 24;
  const rng = new Prng(wZp + (kind === 'pairs' ? 1 : kind === 'lanes' ? 3 : 2));
  const w = new Uint8Array(cout * K);
  const zero0 = (k: number) => (kind === 'pairs' ? (k & 1) === 0 : kind === 'lanes' ? k % 4 === 0 : k < 16);
  for (let c = 0; c < cout; c++)
    for (let k = 0; k < K; k++) {
      const i = c * K + k;
      if (c === 0) w[i] = zero0(k) ? 0 : 255;
      else if (c === 1) w[i] = k === 5 ? 0 : 255;
      else if (c === 2) w[i] = 0;
      else if (c === 3) w[i] = 255;
      else if (c === 4) w[i] = k % 3 === 0 ? 0 : k % 3 === 1 ? 255 : 128;
      else if (c < 16) w[i] = c % 2 ? rng.int(0, 254) : rng.int(1, 255);
      // the last (padded) channel tile: within 127 of the zero point, so d_c = 0 there (no d_c·S_p in that tile)
      else w[i] = rng.int(Math.max(0, wZp - 127), Math.min(255, wZp + 127));
    }
  const f = Math.fround;
  const b = new SpecBuilder();
  // input zero point 128 with weight zero point 0 (products of both signs), 0 with 255 (all ≤ 0 but the bias)
  const xq = { scale: [f(1 / 128)], zeroPoint: [wZp === 0 ? 128 : 0] };
  const ws = f(0.01);
  const input = b.tensor({ name: 'input', shape: [1, 1, 5, K], type: 'UINT8', quant: xq });
  const wt = b.tensor({ name: 'pw/w', shape: [cout, 1, 1, K], type: 'UINT8', quant: { scale: [ws], zeroPoint: [wZp] }, data: w });
  const bt = b.tensor({
    name: 'pw/b',
    shape: [cout],
    type: 'INT32',
    quant: { scale: [f(xq.scale[0]! * ws)], zeroPoint: [0] },
    data: Int32Array.from({ length: cout }, () => rng.int(-40000, 40000)),
  });
  // outputs ≈ acc / 4000 around 128: accumulators reach ±K·255·255, so both saturations and the middle occur
  const y = b.tensor({ name: 'pw', shape: [1, 1, 5, cout], type: 'UINT8', quant: { scale: [f(xq.scale[0]! * ws * 4000)], zeroPoint: [128] } });
  const out = b.op({ op: 'CONV_2D', inputs: [input, wt, bt], outputs: [y], options: { kind: 'conv2d', padding: 'valid', activation: 'none' } });
  return b.spec([input], [out]);
}

/** Pixels of all 0, all 255, alternating, and two of random extremes; then one of random bytes. */
function adversarialU8Inputs(K: number): { seed: number; input: Uint8Array }[] {
  const rng = new Prng(99);
  const a = new Uint8Array(5 * K);
  for (let k = 0; k < K; k++) {
    a[k] = 0;
    a[K + k] = 255;
    a[2 * K + k] = k & 1 ? 255 : 0;
    a[3 * K + k] = rng.int(0, 1) * 255;
    a[4 * K + k] = rng.int(0, 1) * 255;
  }
  return [
    { seed: 1, input: a },
    { seed: 2, input: Uint8Array.from({ length: 5 * K }, () => rng.int(0, 255)) },
  ];
}

describe.skipIf(skip)('uint8 pointwise as int8 (u8.ts), adversarial weights and inputs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilec-neon-u8adv-'));
  const models = [32, 40].flatMap((K) =>
    (['pairs', 'lanes', 'nopairs'] as const).flatMap((kind) =>
      [0, 255].map((wZp) => ({ K, kind, wZp, graph: loadModel(writeModel(dir, `u8adv_${kind}_${wZp}_${K}.tflite`, adversarialU8Pointwise(wZp, kind, K))) })),
    ),
  );
  rmSync(dir, { recursive: true, force: true });

  it('the natural pairing would overflow int16 on pixel 0 (pairs, nopairs), and the reference outputs are not all saturated', () => {
    const all = new Set<number>();
    for (const { K, kind, graph } of models) {
      const w = graph.tensors[graph.ops[0]!.inputs[1]!]!.data as Uint8Array;
      // channel 0, inputs 0 and 2 (one int16 lane): w' = w − 128, x' = 0 − 128 = −128 both
      expect((w[0]! - 128) * -128 + (w[2]! - 128) * -128).toBe(kind === 'lanes' ? 128 * 128 - 127 * 128 : 32768);
      const ref = adversarialU8Inputs(K).flatMap((r) => [...(runGraph(graph, [r.input]).outputs[0] as Uint8Array)]);
      expect(new Set(ref).size).toBeGreaterThan(20);
      for (const v of ref) all.add(v);
    }
    expect(all.has(0) && all.has(255)).toBe(true);
  });

  it.each(['rpi3', 'rpi4', 'rpi-armv7', 'rpi5'])('%s: exact on every layer, on the expected variant', async (targetName) => {
    const target = targetByName(targetName);
    const name = asRpi4(targetName);
    const K = name === 'rpi5' ? 40 : 32;
    const keys: string[] = [];
    for (const { graph } of models.filter((m) => m.K === K)) {
      const project = generateProject(graph, { name: graph.name, target, kernels: 'simd' });
      const report = layersOnTarget(graph, project, target, adversarialU8Inputs(K));
      expect(report.layers.map((l) => l.mismatches)).toEqual([0]);
      keys.push(`${project.layers[0]!.variantKey} ${project.layers[0]!.kernel}`);
      await yieldToEventLoop();
    }
    const packed = {
      rpi4: 'neon/gemm/u8-packed mobilec_pw_u8_neon_t4x16_rn_wzp_w8_1x5x32_24',
      'rpi-armv7': 'neon32/gemm/u8-packed mobilec_pw_u8_neon32_t2x16_wzp_w8_1x5x32_24',
      rpi5: 'neondot/gemm/u8-sdot mobilec_pw_u8_neondot_t4x4_rn_wzp_w8_1x5x40_24',
    }[name]!;
    const w16 = {
      rpi4: 'neon/gemm/s16 mobilec_pw_u8_neon_t4x4_rn_w16_1x5x32_24',
      'rpi-armv7': 'neon32/gemm/s16 mobilec_pw_u8_neon32_t2x2_rn_w16_1x5x32_24',
      rpi5: '',
    }[name]!;
    // models in order: pairs, lanes, nopairs, each with weight zero point 0 then 255
    const expected = {
      rpi4: [packed, packed, packed, packed, w16, w16],
      'rpi-armv7': [w16, w16, packed, packed, w16, w16],
      rpi5: [packed, packed, packed, packed, packed, packed],
    }[name]!;
    expect(keys).toEqual(expected);
  });
});

/**
 * The pixel sums S_p at the largest K the packed uint8 kernels take (u8.ts U8_SUM_MAX_K = 2048): int16 lanes
 * each add two inputs per 16, so all-zero rows (x' = −128 everywhere) reach −32768 exactly. A fully connected
 * layer of 3 rows (armv7: a 2-row block and the last row; rpi4: three single rows) with K = 2044 on armv7 (a
 * partial last 16 inputs: 8 bytes and 4) and 2048 on rpi4, one channel all 255 with weight zero point 0 (d_c = 128).
 */
function largeKU8(K: number) {
  const f = Math.fround;
  const b = new SpecBuilder();
  const rng = new Prng(K);
  const cout = 16;
  const xq = { scale: [f(1 / 128)], zeroPoint: [128] };
  const ws = f(0.01);
  const w = Uint8Array.from({ length: cout * K }, (_, i) => (i < K ? 255 : rng.int(0, 127)));
  const input = b.tensor({ name: 'input', shape: [3, K], type: 'UINT8', quant: xq });
  const wt = b.tensor({ name: 'fc/w', shape: [cout, K], type: 'UINT8', quant: { scale: [ws], zeroPoint: [0] }, data: w });
  const bt = b.tensor({ name: 'fc/b', shape: [cout], type: 'INT32', quant: { scale: [f(xq.scale[0]! * ws)], zeroPoint: [0] }, data: new Int32Array(cout) });
  // outputs ≈ acc / 2^20 around 128 (|acc| ≤ 2048·128·255 < 2^26)
  const y = b.tensor({ name: 'fc', shape: [3, cout], type: 'UINT8', quant: { scale: [f(xq.scale[0]! * ws * 1048576)], zeroPoint: [128] } });
  const out = b.op({ op: 'FULLY_CONNECTED', inputs: [input, wt, bt], outputs: [y], options: { kind: 'fully_connected' } });
  return b.spec([input], [out]);
}

describe.skipIf(skip).each([
  ['rpi3', 2048, 'neon/gemm/u8-packed'],
  ['rpi4', 2048, 'neon/gemm/u8-packed'],
  ['rpi-armv7', 2044, 'neon32/gemm/u8-packed'],
] as const)('%s uint8 packed kernel at K = %i', (name, K, key) => {
  it('pixel sums of all-zero and all-255 rows are exact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mobilec-neon-u8k-'));
    try {
      const graph = loadModel(writeModel(dir, `u8k_${K}.tflite`, largeKU8(K)));
      const target = targetByName(name);
      const project = generateProject(graph, { name: graph.name, target, kernels: 'simd' });
      expect(project.layers[0]!.variantKey).toBe(key);
      expect(kid(project.layers[0]!.kernel)!.flags?.wzp).toBe(true);
      const rng = new Prng(3);
      const rows = (f: (r: number, k: number) => number) => Uint8Array.from({ length: 3 * K }, (_, i) => f(Math.floor(i / K), i % K));
      const ins = [
        { seed: 1, input: rows(() => 0) },
        { seed: 2, input: rows(() => 255) },
        { seed: 3, input: rows((r) => (r === 1 ? 255 : 0)) },
        { seed: 4, input: rows(() => rng.int(0, 255)) },
      ];
      const report = layersOnTarget(graph, project, target, ins);
      expect(report.layers.map((l) => l.mismatches)).toEqual([0]);
      // channel 0 (d_c = 128) on all-zero rows: (0 − 128)·255·K / 2^20 ≈ −64 below the zero point, not saturated
      const ref = runGraph(graph, [ins[0]!.input]).outputs[0] as Uint8Array;
      expect(ref[0]).toBeGreaterThan(0);
      expect(ref[0]).toBeLessThan(128);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * Three uint8 depthwise layers (50 channels: three 16-channel blocks and a 2-channel tail) whose weights
 * put w - w_zp at the ends of [-255, 255] in some channels of some blocks: weight zero point 255 with
 * weights 0 (-255) and 1 (-254); zero point 0 with weights 255 (+255) and 128 / 127; zero point 128 with
 * weights 0 and 255 (-128, +127). Input zero point 0, outputs at zero points 255, 250 and 131.
 */
function adversarialU8Depthwise() {
  const rng = new Prng(77);
  const b = new SpecBuilder();
  const H = 9;
  const W = 11;
  const C = 50;
  const f = Math.fround;
  let x = b.tensor({ name: 'input', shape: [1, H, W, C], type: 'UINT8', quant: { scale: [f(1 / 64)], zeroPoint: [0] } });
  let sIn = 1 / 64;
  let h = H;
  let w = W;
  const layers = [
    // stride 1 same, w_zp 255: channel 20 all 0 (-255 at every tap, three parts), 40 at taps 0, 4, 8, 47 at 1 (-254)
    {
      stride: 1,
      wz: 255,
      yz: 255,
      sOut: 0.13,
      fill: (c: number, t: number) => (c === 20 ? 0 : c === 40 && t % 4 === 0 ? 0 : c === 47 ? 1 : c < 16 ? rng.int(128, 255) : rng.int(0, 255)),
    },
    // stride 2 same, w_zp 0: channel 17 all 255 (+255), 33 at tap 4, 34 at 2 (128) and 3 (127); block 0 below 128
    {
      stride: 2,
      wz: 0,
      yz: 250,
      sOut: 2,
      fill: (c: number, t: number) =>
        c === 17 ? 255 : c === 33 && t === 4 ? 255 : c === 34 && t === 2 ? 128 : c === 34 && t === 3 ? 127 : c < 16 ? rng.int(0, 127) : rng.int(0, 255),
    },
    // stride 1 same, w_zp 128: the extremes 0 (-128) and 255 (+127) in every block
    { stride: 1, wz: 128, yz: 131, sOut: 6, fill: (c: number, t: number) => ((c + t) % 5 === 0 ? 0 : (c + t) % 5 === 1 ? 255 : rng.int(0, 255)) },
  ];
  layers.forEach((l, i) => {
    const sW = 1 / 32;
    const data = new Uint8Array(9 * C);
    for (let t = 0; t < 9; t++) for (let c = 0; c < C; c++) data[t * C + c] = l.fill(c, t);
    const wt = b.tensor({ name: `dw${i}/weights`, shape: [1, 3, 3, C], type: 'UINT8', data, quant: { scale: [f(sW)], zeroPoint: [l.wz] } });
    const bs = f(sIn * sW);
    const bias = b.tensor({
      name: `dw${i}/bias`,
      shape: [C],
      type: 'INT32',
      data: Int32Array.from({ length: C }, () => rng.int(-20000, 20000)),
      quant: { scale: [bs], zeroPoint: [0] },
    });
    h = Math.ceil(h / l.stride);
    w = Math.ceil(w / l.stride);
    const y = b.tensor({ name: `dw${i}`, shape: [1, h, w, C], type: 'UINT8', quant: { scale: [f(l.sOut)], zeroPoint: [l.yz] } });
    x = b.op({
      op: 'DEPTHWISE_CONV_2D',
      inputs: [x, wt, bias],
      outputs: [y],
      options: { kind: 'depthwise_conv2d', stride: [l.stride, l.stride], activation: 'none' },
    });
    sIn = l.sOut;
  });
  return b.spec([0], [x]);
}
