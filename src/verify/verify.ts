/**
 * `mobilec verify` on the host: build the generated C with layer hooks, run
 * N seeded inputs through it and through the reference interpreter, and
 * compare every layer.
 */
import { pathToFileURL } from 'node:url';
import type { Graph } from '../model/ir.js';
import { runGraph } from '../reference/interpreter.js';
import type { GeneratedProject } from '../codegen/index.js';
import { seededInput } from '../util/tensors.js';
import { elementCount } from '../model/ir.js';
import { buildVerificationLibrary, type BuiltModel } from './build.js';
import { compareTensor } from './compare.js';
import { modelSignature } from './signature.js';

export interface LayerReport {
  readonly index: number;
  readonly name: string;
  readonly op: string;
  readonly dtype: string;
  readonly elements: number;
  /** Largest |C − reference| over all inputs. */
  readonly maxAbsDiff: number;
  /** Mismatching elements summed over all inputs. */
  readonly mismatches: number;
  readonly tolerance: number;
}

export interface VerifyReport {
  readonly model: string;
  readonly inputs: number;
  readonly layers: LayerReport[];
  /** The first layer (in op order) that diverged on any input, or null. */
  readonly firstDivergence: { layer: number; name: string; op: string; input: number } | null;
  readonly buildMs: number;
  readonly cached: boolean;
  readonly runMs: number;
}

/** What a compiled binding module exports (see binding.ts). */
export interface BindingModule {
  invoke(input: ArrayBufferView): ArrayBufferView;
  invokeLayers(input: ArrayBufferView): Uint8Array[];
  bench(input: ArrayBufferView, repeat: number): Float64Array;
}

export async function importBinding(built: BuiltModel): Promise<BindingModule> {
  return (await import(pathToFileURL(built.bindingPath).href)) as BindingModule;
}

/** Builds (or reuses) the verification library of a generated project and loads its binding. */
export async function buildAndLoad(
  graph: Graph,
  project: GeneratedProject,
  opts: { layerHooks: boolean; optimize: string },
): Promise<{ built: BuiltModel; binding: BindingModule; buildMs: number }> {
  const t0 = performance.now();
  const built = buildVerificationLibrary(project.files, modelSignature(graph, project.name, project.arena.bytes), opts);
  const binding = await importBinding(built);
  return { built, binding, buildMs: performance.now() - t0 };
}

export async function verifyOnHost(
  graph: Graph,
  project: GeneratedProject,
  opts: { inputs: number; firstSeed?: number },
): Promise<VerifyReport> {
  const { built, binding, buildMs } = await buildAndLoad(graph, project, { layerHooks: true, optimize: '-O2' });
  const t0 = performance.now();
  const inputTensor = graph.tensors[graph.inputs[0]!]!;
  const acc = graph.ops.map((op, index) => {
    const out = graph.tensors[op.outputs[0]!]!;
    return { index, name: op.name, op: op.kind, dtype: out.dtype, elements: elementCount(out.shape), maxAbsDiff: 0, mismatches: 0, tolerance: 0 };
  });
  let firstDivergence: VerifyReport['firstDivergence'] = null;
  for (let k = 0; k < opts.inputs; k++) {
    const seed = (opts.firstSeed ?? 1) + k;
    const input = seededInput(inputTensor.dtype, elementCount(inputTensor.shape), seed);
    const ref = runGraph(graph, [input]);
    const layers = binding.invokeLayers(input);
    for (const layer of project.layers) {
      const a = acc[layer.index]!;
      const refValue = ref.values.get(layer.outputTensor);
      const cValue = layers[layer.index];
      if (!refValue || !cValue) {
        a.mismatches += a.elements;
        a.maxAbsDiff = Infinity;
      } else {
        const cmp = compareTensor(graph.tensors[layer.outputTensor]!.dtype, refValue, cValue);
        a.maxAbsDiff = Math.max(a.maxAbsDiff, cmp.maxAbsDiff);
        a.mismatches += cmp.mismatches;
        a.tolerance = Math.max(a.tolerance, cmp.tolerance);
      }
      if (a.mismatches > 0 && (!firstDivergence || firstDivergence.layer > a.index)) {
        firstDivergence = { layer: a.index, name: a.name, op: a.op, input: seed };
      }
    }
  }
  return {
    model: project.name,
    inputs: opts.inputs,
    layers: acc,
    firstDivergence,
    buildMs,
    cached: !built.fresh,
    runMs: performance.now() - t0,
  };
}
