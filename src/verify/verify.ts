/**
 * `mobilec verify` on the host: build the generated C with layer hooks, run
 * N seeded inputs through it and through the reference interpreter, and
 * compare every layer.
 */
import { pathToFileURL } from 'node:url';
import type { Graph, TensorData } from '../model/ir.js';
import { runGraph } from '../reference/interpreter.js';
import type { GeneratedProject } from '../codegen/index.js';
import { fromBytes, seededInput, toBytes } from '../util/tensors.js';
import type { CrossRunner } from '../cross/types.js';
import type { Target } from '../targets/index.js';
import { elementCount, tensorBytes } from '../model/ir.js';
import { boundaryTensor, fromUserLayout, toUserLayout } from '../model/layout.js';
import { buildVerificationLibrary, type BuildOptions, type BuiltModel } from './build.js';
import { compareTensor } from './compare.js';
import { modelSignature } from './signature.js';
import { internalError } from '../model/errors.js';
import type { Progress } from '../cli/progress.js';

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

/** What a compiled binding module exports (see binding.ts); invokeLayers only when built with layer hooks. */
export interface BindingModule {
  invoke(input: ArrayBufferView): ArrayBufferView;
  invokeLayers?(input: ArrayBufferView): Uint8Array[];
  bench(input: ArrayBufferView, repeat: number): Float64Array;
}

export async function importBinding(built: BuiltModel): Promise<BindingModule> {
  return (await import(pathToFileURL(built.bindingPath).href)) as BindingModule;
}

/** Builds (or reuses) the verification library of a generated project and loads its binding. */
export async function buildAndLoad(
  graph: Graph,
  project: GeneratedProject,
  opts: BuildOptions,
): Promise<{ built: BuiltModel; binding: BindingModule; buildMs: number }> {
  const t0 = performance.now();
  const built = buildVerificationLibrary(project.files, modelSignature(graph, project.name, project.arena.bytes), opts);
  const binding = await importBinding(built);
  return { built, binding, buildMs: performance.now() - t0 };
}

/** The C's outputs for one input: every layer's, or only the final output's. */
export type COutputs = { readonly layers: readonly Uint8Array[] } | { readonly output: Uint8Array };

/**
 * Compares the C with the reference over several inputs. With only final
 * outputs, only the layer producing the graph output is reported.
 */
export function compareWithReference(
  graph: Graph,
  project: GeneratedProject,
  runs: readonly { seed: number; input: TensorData; c: COutputs }[],
  progress?: Progress,
): Pick<VerifyReport, 'layers' | 'firstDivergence'> {
  if (runs.length > 0) {
    progress?.step('layers' in runs[0]!.c ? 'compare layer by layer with the reference' : 'compare the output with the reference');
  }
  const outputId = graph.outputs[0]!;
  const acc = new Map<number, LayerReport & { maxAbsDiff: number; mismatches: number; tolerance: number }>();
  let firstDivergence: VerifyReport['firstDivergence'] = null;
  const layerOf = new Map(project.layers.map((l) => [l.outputTensor, l.index]));
  for (const [k, { seed, input, c }] of runs.entries()) {
    progress?.tick(k, runs.length);
    const ref = runGraph(graph, [input]);
    /**
     * A float32 layer is checked on the C's own inputs for it: the reference op
     * run alone on the tensors the C's earlier layers produced, so rounding
     * differences of earlier layers (float sums in another order) do not
     * accumulate into this layer's bound. Quantized layers are bit-exact, so
     * the whole-graph reference is the same thing.
     */
    const localRef = (op: (typeof graph.ops)[number], layers: readonly Uint8Array[]): TensorData | undefined => {
      const ins = op.inputs.filter((t) => t >= 0 && graph.tensors[t]!.data === undefined);
      const values = ins.map((t) => {
        if (graph.inputs.includes(t)) return input;
        const i = layerOf.get(t);
        return i === undefined || layers[i] === undefined ? undefined : fromBytes(graph.tensors[t]!.dtype, layers[i]!);
      });
      if (values.some((v) => v === undefined)) return undefined;
      return runGraph({ ...graph, ops: [op], inputs: ins, outputs: [op.outputs[0]!] }, values as TensorData[]).values.get(op.outputs[0]!);
    };
    for (const layer of project.layers) {
      const cValue = 'layers' in c ? c.layers[layer.index] : layer.outputTensor === outputId ? c.output : undefined;
      if (!('layers' in c) && cValue === undefined) continue;
      const op = graph.ops[layer.index]!;
      const out = graph.tensors[layer.outputTensor]!;
      let a = acc.get(layer.index);
      if (!a) {
        a = { index: layer.index, name: op.name, op: op.kind, dtype: out.dtype, elements: elementCount(out.shape), maxAbsDiff: 0, mismatches: 0, tolerance: 0 };
        acc.set(layer.index, a);
      }
      const refValue = out.dtype === 'float32' && 'layers' in c ? localRef(op, c.layers) : ref.values.get(layer.outputTensor);
      if (!refValue || !cValue) {
        a.mismatches += a.elements;
        a.maxAbsDiff = Infinity;
      } else {
        const cmp = compareTensor(out.dtype, refValue, cValue);
        a.maxAbsDiff = Math.max(a.maxAbsDiff, cmp.maxAbsDiff);
        a.mismatches += cmp.mismatches;
        a.tolerance = Math.max(a.tolerance, cmp.tolerance);
      }
      if (a.mismatches > 0 && (!firstDivergence || firstDivergence.layer > a.index)) {
        firstDivergence = { layer: a.index, name: a.name, op: a.op, input: seed };
      }
    }
  }
  return { layers: [...acc.values()].sort((x, y) => x.index - y.index), firstDivergence };
}

/** The seeded inputs of a verify run. */
export function verifyInputs(graph: Graph, count: number, firstSeed = 1): { seed: number; input: TensorData }[] {
  const t = graph.tensors[graph.inputs[0]!]!;
  return Array.from({ length: count }, (_, k) => ({ seed: firstSeed + k, input: seededInput(t.dtype, elementCount(t.shape), firstSeed + k) }));
}

export async function verifyOnHost(
  graph: Graph,
  project: GeneratedProject,
  opts: { inputs: number; firstSeed?: number; progress?: Progress },
): Promise<VerifyReport> {
  // Dead arena bytes are poisoned at every layer boundary: a plan or kernel
  // that reads bytes it does not own then shows up as a mismatch.
  opts.progress?.step(`build ${project.name} for host (Node addon, layer hooks)`);
  const { built, binding, buildMs } = await buildAndLoad(graph, project, { layerHooks: true, optimize: '-O2', poison: true });
  const invokeLayers = binding.invokeLayers;
  if (!invokeLayers) throw internalError(`the verification build of ${project.name} has no layer hooks`);
  const t0 = performance.now();
  const inputs = verifyInputs(graph, opts.inputs, opts.firstSeed);
  opts.progress?.step(`run ${inputs.length === 1 ? 'one input' : `${inputs.length} inputs`} through the C, every layer`);
  // The C takes the input in the model's layout (NCHW for an NCHW model); its layers (the hooks) are NHWC.
  const inB = boundaryTensor(graph, 'input');
  const runs = inputs.map((r, k) => {
    opts.progress?.tick(k, inputs.length);
    return { ...r, c: { layers: invokeLayers(toUserLayout(inB, r.input)) } };
  });
  return {
    model: project.name,
    inputs: opts.inputs,
    ...compareWithReference(graph, project, runs, opts.progress),
    buildMs,
    cached: !built.fresh,
    runMs: performance.now() - t0,
  };
}

/**
 * Verify on an emulated target: one build, every input in one emulator
 * session per input; every layer with `layers`, else the final output.
 */
export function verifyOnTarget(
  graph: Graph,
  project: GeneratedProject,
  target: Target,
  runner: CrossRunner,
  opts: { inputs: number; firstSeed?: number; layers: boolean; progress?: Progress },
): VerifyReport {
  const t0 = performance.now();
  const inputs = verifyInputs(graph, opts.inputs, opts.firstSeed);
  // The C's input and output are in the model's layout (NCHW for an NCHW model); the reference's are NHWC.
  const inB = boundaryTensor(graph, 'input');
  const outB = boundaryTensor(graph, 'output');
  const { results } = runner.run(
    project,
    target,
    inputs.map((r) => toBytes(toUserLayout(inB, r.input))),
    { layers: opts.layers, countInstructions: false, progress: opts.progress },
  );
  const t1 = performance.now();
  const runs = inputs.map((r, i) => {
    const res = results[i]!;
    // (An output of the wrong size is compared as it is: the comparison reports it.)
    const output = () =>
      res.output.length === tensorBytes(outB.tensor) ? toBytes(fromUserLayout(outB, fromBytes(outB.tensor.dtype, res.output))) : res.output;
    return { ...r, c: res.layers ? { layers: res.layers } : { output: output() } };
  });
  return {
    model: project.name,
    inputs: opts.inputs,
    ...compareWithReference(graph, project, runs, opts.progress),
    buildMs: t1 - t0,
    cached: false,
    runMs: performance.now() - t1,
  };
}
