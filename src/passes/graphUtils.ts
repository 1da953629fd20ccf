/** Small helpers shared by the graph-to-graph passes. */
import type { Graph, Op, Tensor } from '../model/ir.js';

/** How many times each tensor is read (by ops, or as a graph output). */
export function useCounts(graph: Graph): number[] {
  const uses = new Array<number>(graph.tensors.length).fill(0);
  for (const op of graph.ops) for (const i of op.inputs) if (i >= 0) uses[i]!++;
  for (const o of graph.outputs) uses[o]!++;
  return uses;
}

/** The op that produces each tensor (undefined for inputs and constants). */
export function producers(graph: Graph): (number | undefined)[] {
  const p = new Array<number | undefined>(graph.tensors.length).fill(undefined);
  graph.ops.forEach((op, i) => {
    for (const o of op.outputs) p[o] = i;
  });
  return p;
}

/**
 * Drops tensors no op or graph input/output refers to and renumbers the rest
 * so that `tensors[i].id === i` again. Returns a new graph.
 */
export function compact(graph: Graph): Graph {
  const used = new Array<boolean>(graph.tensors.length).fill(false);
  for (const op of graph.ops) for (const id of [...op.inputs, ...op.outputs]) if (id >= 0) used[id] = true;
  for (const id of [...graph.inputs, ...graph.outputs]) used[id] = true;
  const remap = new Array<number>(graph.tensors.length).fill(-1);
  const tensors: Tensor[] = [];
  graph.tensors.forEach((t, i) => {
    if (!used[i]) return;
    remap[i] = tensors.length;
    tensors.push({ ...t, id: tensors.length });
  });
  const m = (id: number) => (id < 0 ? id : remap[id]!);
  const ops = graph.ops.map((op): Op => ({ ...op, inputs: op.inputs.map(m), outputs: op.outputs.map(m) }));
  return { ...graph, tensors, ops, inputs: graph.inputs.map(m), outputs: graph.outputs.map(m) };
}
