/**
 * Static memory planning: every non-constant tensor (graph inputs and outputs
 * included) gets an offset in one arena.
 *
 * Lifetimes are op indices: a tensor is live from the op producing it (-1 for
 * graph inputs) to its last consumer (graph outputs: to the end). Reshape
 * outputs are views: they share their input's offset and extend its lifetime.
 * Placement is greedy, largest first (ties: lower tensor id first), at the
 * lowest 16-aligned offset not overlapping any already placed tensor whose
 * lifetime intersects (inclusive intervals, so an op's inputs and outputs
 * never share bytes).
 */
import { isAliasOp, isConstant, tensorBytes, type Graph } from '../model/ir.js';
import { internalError } from '../model/errors.js';

export interface ArenaPlan {
  /** Arena size, a multiple of `alignment`. */
  readonly bytes: number;
  readonly alignment: 16;
  /** Offset of every non-constant tensor, aliases included. */
  readonly offsets: ReadonlyMap<number, number>;
}

const ALIGN = 16;

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

interface Block {
  root: number;
  size: number;
  start: number;
  end: number;
  offset: number;
}

export function planArena(graph: Graph): ArenaPlan {
  const nOps = graph.ops.length;
  // Alias root of each non-constant tensor.
  const root = new Map<number, number>();
  const rootOf = (id: number): number => {
    const r = root.get(id);
    if (r === undefined) throw internalError(`planArena: tensor ${id} used before it is produced`);
    return r;
  };
  const blocks = new Map<number, Block>();
  const touch = (r: number, at: number) => {
    const b = blocks.get(r)!;
    if (at < b.start) b.start = at;
    if (at > b.end) b.end = at;
  };
  const isVar = (id: number) => {
    const t = graph.tensors[id];
    if (!t) throw internalError(`planArena: no tensor ${id}`);
    return !isConstant(t);
  };

  for (const id of graph.inputs) {
    if (!isVar(id) || root.has(id)) continue;
    root.set(id, id);
    blocks.set(id, { root: id, size: tensorBytes(graph.tensors[id]!), start: -1, end: -1, offset: -1 });
  }
  graph.ops.forEach((op, i) => {
    for (const id of op.inputs) if (isVar(id)) touch(rootOf(id), i);
    if (isAliasOp(op)) {
      const src = op.inputs[0]!;
      const r = rootOf(src);
      for (const id of op.outputs) {
        root.set(id, r);
        const b = blocks.get(r)!;
        b.size = Math.max(b.size, tensorBytes(graph.tensors[id]!));
        touch(r, i);
      }
    } else {
      for (const id of op.outputs) {
        if (!isVar(id)) continue;
        root.set(id, id);
        blocks.set(id, { root: id, size: tensorBytes(graph.tensors[id]!), start: i, end: i, offset: -1 });
      }
    }
  });
  for (const id of graph.outputs) if (isVar(id)) touch(rootOf(id), nOps);

  const order = [...blocks.values()].sort((a, b) => b.size - a.size || a.root - b.root);
  const placed: Block[] = [];
  let total = 0;
  for (const b of order) {
    const conflicts = placed
      .filter((p) => p.start <= b.end && b.start <= p.end)
      .sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const p of conflicts) {
      if (offset + b.size <= p.offset) break;
      offset = Math.max(offset, alignUp(p.offset + p.size));
    }
    b.offset = offset;
    placed.push(b);
    total = Math.max(total, offset + b.size);
  }

  const offsets = new Map<number, number>();
  for (const [id, r] of root) offsets.set(id, blocks.get(r)!.offset);
  return { bytes: alignUp(total), alignment: ALIGN, offsets };
}
