/**
 * Whole graphs on a target: random depthwise-separable stacks (random
 * shapes, channels, strides, paddings, depth multipliers, activations)
 * compiled for a target with the requested kernels, run on that target
 * (addon on the host, QEMU elsewhere), every layer compared with the
 * reference: quantized bit for bit, float32 within the stated tolerance.
 * This checks layers working together (arena planning, in-place streaming
 * between real neighbours, whole models); single kernels and every
 * registered SIMD variant are checked by the kernel tester (kernelTester.ts).
 */
import { boundaryTensor, toUserLayout } from '../../src/model/layout.js';
import fc from 'fast-check';
import { generateProject, type GeneratedProject } from '../../src/codegen/index.js';
import { runnerFor } from '../../src/cross/index.js';
import { MobilecError } from '../../src/model/errors.js';
import type { Graph, TensorData } from '../../src/model/ir.js';
import type { KernelTuning } from '../../src/codegen/types.js';
import type { Target } from '../../src/targets/index.js';
import { compareWithReference, type VerifyReport, verifyInputs, verifyOnHost } from '../../src/verify/verify.js';
import { toBytes } from '../../src/util/tensors.js';
import { loadDescriptionObject } from './models.js';

export type Layer = Record<string, unknown>;

const activation = fc.constantFrom('none', 'relu', 'relu6');
const padding = fc.constantFrom('same', 'valid');
const stride = fc.constantFrom(1, 2);

/** Channel counts around SIMD widths (4, 8, 16), so tails are exercised. */
const channels = fc.oneof(fc.integer({ min: 1, max: 9 }), fc.constantFrom(15, 16, 17, 24, 32, 33));

export const layerArb = {
  conv: fc.record({ op: fc.constant('conv'), filters: channels, kernel: fc.integer({ min: 1, max: 3 }), stride, padding, activation, batchNorm: fc.boolean() }),
  depthwise: fc.record({
    op: fc.constant('depthwise'),
    kernel: fc.constantFrom(1, 3, 3, 3),
    stride,
    padding,
    depthMultiplier: fc.constantFrom(1, 1, 1, 2, 3),
    activation,
    batchNorm: fc.boolean(),
  }),
  pointwise: fc.record({ op: fc.constant('pointwise'), filters: channels, activation }),
  avgpool: fc.record({ op: fc.constant('avgpool'), size: fc.integer({ min: 1, max: 3 }), stride, padding, activation: fc.constantFrom('none', 'relu') }),
  maxpool: fc.record({ op: fc.constant('maxpool'), size: fc.integer({ min: 1, max: 3 }), stride, padding, activation: fc.constantFrom('none', 'relu') }),
  fc: fc.record({ op: fc.constant('fc'), units: fc.integer({ min: 1, max: 40 }), activation }),
};

export const inputArb = fc.record({
  height: fc.integer({ min: 3, max: 12 }),
  width: fc.integer({ min: 3, max: 12 }),
  channels: fc.oneof(fc.integer({ min: 1, max: 4 }), channels),
});

/** A MobileNet-like stack: stem conv, 1-3 separable blocks, pooled head with FC and softmax. */
export const stackArb: fc.Arbitrary<Layer[]> = fc
  .tuple(
    layerArb.conv,
    fc.array(fc.tuple(layerArb.depthwise, layerArb.pointwise), { minLength: 1, maxLength: 3 }),
    fc.constantFrom<Layer[]>([{ op: 'avgpool', size: 'global' }], []),
    fc.oneof(
      fc.constant<Layer[]>([]),
      layerArb.fc.map((l) => [l as Layer]),
      layerArb.fc.map((l) => [l as Layer, { op: 'softmax' }]),
    ),
  )
  .map(([stem, blocks, pool, head]) => [stem, ...blocks.flat(), ...pool, ...head] as Layer[]);

export function description(input: object, layers: Layer[], dtype: 'float32' | 'int8', seed: number): object {
  return { architecture: 'layers', input, dtype, weights: { seed }, ...(dtype === 'int8' ? { calibration: { seed: seed + 1, count: 2 } } : {}), layers };
}

/** Loads a random description; null when its shapes are impossible (rejected by design). */
export function tryLoad(desc: object): Graph | null {
  try {
    return loadDescriptionObject(desc, 'kt');
  } catch (e) {
    if (e instanceof MobilecError && e.kind === 'bad-input') return null;
    throw e;
  }
}

export interface KernelTestResult {
  readonly project: GeneratedProject;
  /** Layers that disagree with the reference (empty when all agree). */
  readonly divergences: string[];
}

/** Runs one graph on the target with every layer captured, compared with the reference. */
export async function checkGraphOnTarget(
  graph: Graph,
  target: Target,
  kernels: 'simd' | 'generic',
  inputs = 1,
  tuning: KernelTuning = {},
): Promise<KernelTestResult> {
  const project = generateProject(graph, { name: graph.name, target, kernels, tuning });
  let report: Pick<VerifyReport, 'layers'>;
  if (target.emulator.kind === 'addon') {
    report = await verifyOnHost(graph, project, { inputs });
  } else {
    report = layersOnTarget(graph, project, target, verifyInputs(graph, inputs));
  }
  const divergences = report.layers
    .filter((l) => l.mismatches > 0)
    .map((l) => `layer ${l.index} ${l.op} (${project.layers[l.index]!.kernel}): ${l.mismatches} mismatches, max diff ${l.maxAbsDiff}`);
  return { project, divergences };
}

/** Every layer of a project run on an emulated target for the given inputs, compared with the reference. */
export function layersOnTarget(
  graph: Graph,
  project: GeneratedProject,
  target: Target,
  ins: readonly { seed: number; input: TensorData }[],
): Pick<VerifyReport, 'layers' | 'firstDivergence'> {
  // The C takes the input in the model's layout (NCHW for an ONNX model); the layers it dumps are NHWC.
  const inB = boundaryTensor(graph, 'input');
  const { results } = runnerFor(target).run(
    project,
    target,
    ins.map((r) => toBytes(toUserLayout(inB, r.input))),
    { layers: true, countInstructions: false },
  );
  return compareWithReference(
    graph,
    project,
    ins.map((r, i) => ({ ...r, c: { layers: results[i]!.layers! } })),
  );
}
