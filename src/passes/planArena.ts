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
 * never share bytes) — unless the op's kernel streams its output over an
 * input it has finished with.
 *
 * In-place: an `OverlapAllowance` says an op may write its output Y over its
 * input X when Y starts at least `minDelta` bytes below X; the kernel then
 * never overwrites input it still has to read (see `streamingOverlap`). It
 * only applies when that op is X's last use. This is how a depthwise conv
 * runs in place two rows behind its input and how a 1×1 expansion reads its
 * input from the upper part of its own output buffer.
 *
 * Scratch: a kernel may ask for working memory (e.g. a pointwise kernel that
 * packs a block of input pixels). Each request is a block live during its op
 * only, planned with the tensors, so the arena stays the one static buffer
 * and its size stays known at compile time.
 */
import { isAliasOp, isConstant, tensorBytes, type Graph } from '../model/ir.js';
import type { WindowGeometry } from '../model/geometry.js';
import { internalError } from '../model/errors.js';
import { Prng } from '../util/prng.js';

export interface ArenaPlan {
  /** Arena size, a multiple of `alignment`. */
  readonly bytes: number;
  readonly alignment: 16;
  /** Offset of every non-constant tensor, aliases included. */
  readonly offsets: ReadonlyMap<number, number>;
  /**
   * No plan can be smaller: the largest sum of (aligned) bytes live at any one
   * op, scratch included, where an in-place pair counts as the least span it
   * can occupy (max(Y, minDelta + X): Y starts at least minDelta below X).
   */
  readonly lowerBound: number;
  /**
   * Every block the arena holds, as placed: one per non-constant tensor that
   * is not a view (its views share it) and one per scratch request, in
   * lifetime order (first op, then id). max(offset + bytes) = `bytes`.
   */
  readonly blocks: readonly PlannedBlock[];
}

/** One placed block of the arena (ArenaPlan.blocks). */
export interface PlannedBlock {
  /** The tensor id (the alias root; its views share the block), or the scratch request's synthetic id. */
  readonly id: number;
  /** Tensor ids sharing the block besides `id` (reshape outputs), ascending. */
  readonly views: readonly number[];
  /** The op whose working memory it is, for a scratch block; null for a tensor. */
  readonly scratchOp: number | null;
  readonly offset: number;
  /** Bytes reserved: the data rounded up to the alignment (offsets are aligned too). */
  readonly bytes: number;
  /** Bytes of data: the largest of its tensors, or the scratch asked for. */
  readonly dataBytes: number;
  /** First and last op it is live at: -1 for a graph input (before op 0), the op count for a graph output (after the last op). */
  readonly start: number;
  readonly end: number;
  /**
   * The tensor it overwrites in place: an op streaming its output over an
   * input it has finished with, where the placement made them overlap.
   */
  readonly inPlaceOf: number | null;
}

/** Op `op` may place output `output` at least `minDelta` bytes below input `input`, overlapping it. */
export interface OverlapAllowance {
  readonly op: number;
  readonly input: number;
  readonly output: number;
  readonly minDelta: number;
}

/** Working memory of op `op`, under a synthetic id that no tensor has. */
export interface ScratchRequest {
  readonly op: number;
  readonly id: number;
  readonly bytes: number;
}

const ALIGN = 16;
const SHUFFLES = 64;
/** Blocks placed over all the shuffled orders, at most. */
const SHUFFLE_BLOCKS = 32_000;

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

interface Block {
  root: number;
  size: number;
  start: number;
  end: number;
  offset: number;
  /** A scratch block: the bytes asked for and the op asking. */
  scratchBytes?: number;
  scratchOp?: number;
}

/** Alias roots and lifetimes of the graph's non-constant tensors (and of the scratch blocks). */
function lifetimes(
  graph: Graph,
  scratch: readonly ScratchRequest[],
): { root: Map<number, number>; blocks: Map<number, Block>; rootOf: (id: number) => number } {
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
  for (const r of scratch) {
    if (graph.tensors[r.id] || root.has(r.id)) throw internalError(`planArena: scratch id ${r.id} is taken`);
    root.set(r.id, r.id);
    blocks.set(r.id, { root: r.id, size: alignUp(r.bytes), start: r.op, end: r.op, offset: -1, scratchBytes: r.bytes, scratchOp: r.op });
  }
  return { root, blocks, rootOf };
}

/**
 * An estimate of the bytes live at each op before any scratch, for kernels
 * that size their working memory by the room the arena has anyway: the
 * (aligned) bytes of every tensor live at the op, except that an op which
 * `inPlace` says may stream its output over its first input, where that op
 * is the input's last use, counts the pair as the larger of the two.
 * `peak` is the largest entry, so `peak - live[i]` is about the room op i
 * has without growing the arena (the planner may still place worse).
 */
export function opLiveBytes(graph: Graph, inPlace: (op: Graph['ops'][number]) => boolean): { live: number[]; peak: number } {
  const nOps = graph.ops.length;
  const { blocks, rootOf } = lifetimes(graph, []);
  const diff = new Array<number>(nOps + 1).fill(0);
  for (const b of blocks.values()) {
    const size = alignUp(b.size);
    diff[Math.max(0, b.start)]! += size;
    if (b.end + 1 < nOps) diff[b.end + 1]! -= size;
  }
  const live: number[] = [];
  let run = 0;
  graph.ops.forEach((op, i) => {
    run += diff[i]!;
    let v = run;
    const x = op.inputs[0];
    const y = op.outputs[0];
    if (x !== undefined && y !== undefined && !isAliasOp(op) && inPlace(op) && !isConstant(graph.tensors[x]!) && !isConstant(graph.tensors[y]!)) {
      const bx = blocks.get(rootOf(x))!;
      const by = blocks.get(rootOf(y))!;
      if (bx !== by && bx.end === i && by.start === i) v -= Math.min(alignUp(bx.size), alignUp(by.size));
    }
    live.push(v);
  });
  return { live, peak: live.reduce((a, b) => Math.max(a, b), 0) };
}

export function planArena(graph: Graph, allowances: readonly OverlapAllowance[] = [], scratch: readonly ScratchRequest[] = []): ArenaPlan {
  const nOps = graph.ops.length;
  const { root, blocks, rootOf } = lifetimes(graph, scratch);

  // An allowance holds only where the op is the input's last use and the
  // output's first: then nothing else can read the bytes it overwrites.
  const below = new Map<string, number>(); // `${y}:${x}` → minDelta: Y.offset ≤ X.offset − minDelta
  for (const a of allowances) {
    const x = blocks.get(rootOf(a.input));
    const y = blocks.get(rootOf(a.output));
    if (!x || !y || x === y || x.end !== a.op || y.start !== a.op) continue;
    below.set(`${y.root}:${x.root}`, alignUp(Math.max(0, a.minDelta)));
  }

  // Three placement orders, the smallest plan wins: largest first (the
  // classic greedy, best when nothing runs in place), execution order (a
  // chain of in-place ops follows itself down the arena) and reverse
  // execution order (late, large tensors fix the layout and earlier ones
  // fit around them: an expansion's input lands in the top of its output).
  const all = [...blocks.values()];
  const bySize = [...all].sort((a, b) => b.size - a.size || a.root - b.root);
  const byTime = [...all].sort((a, b) => a.start - b.start || b.size - a.size || a.root - b.root);
  const byTimeReversed = [...all].sort((a, b) => b.end - a.end || b.size - a.size || a.root - b.root);
  const orders = [bySize, byTime, byTimeReversed];
  // In-place constraints chain tensors together, and no single order sees
  // every chain; a few seeded shuffles of the size order find tighter plans
  // (deterministic: the same graph always gets the same plan).
  // Shuffles cost a placement of every block each: a long graph gets fewer (a
  // 10,000-op chain 3), so compile time stays linear in the graph's size.
  const shuffles = Math.min(SHUFFLES, Math.floor(SHUFFLE_BLOCKS / Math.max(1, all.length)));
  if (below.size > 0) {
    const rng = new Prng(all.length * 7919 + below.size);
    for (let k = 0; k < shuffles; k++) {
      const o = [...bySize];
      for (let i = o.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [o[i], o[j]] = [o[j]!, o[i]!];
      }
      orders.push(o);
    }
  }
  // And the three orders with the scratch blocks last: the tensors settle first, each op's scratch then takes
  // whatever room is left around its op's tensors (after the others, so that a tie keeps the plans above).
  if (scratch.length > 0) {
    const isScratch = (b: Block) => b.root >= graph.tensors.length;
    for (const o of [bySize, byTime, byTimeReversed]) orders.push([...o.filter((b) => !isScratch(b)), ...o.filter(isScratch)]);
  }
  const plans = orders.map((order) => place(order, below));
  const best = plans.reduce((a, b) => (b.total < a.total ? b : a));
  for (const b of all) b.offset = best.offsets.get(b.root)!;
  const total = best.total;

  const offsets = new Map<number, number>();
  for (const [id, r] of root) offsets.set(id, blocks.get(r)!.offset);
  return { bytes: alignUp(total), alignment: ALIGN, offsets, lowerBound: lowerBound(all, below, nOps), blocks: placedBlocks(all, root, below) };
}

/** ArenaPlan.blocks from the placed blocks: views gathered, in-place pairs that overlap in the placement named. */
function placedBlocks(all: readonly Block[], root: ReadonlyMap<number, number>, below: ReadonlyMap<string, number>): PlannedBlock[] {
  const views = new Map<number, number[]>();
  for (const [id, r] of root) if (id !== r) views.set(r, [...(views.get(r) ?? []), id]);
  const byRoot = new Map(all.map((b) => [b.root, b]));
  const inPlaceOf = new Map<number, number>();
  for (const key of below.keys()) {
    const [y, x] = key.split(':').map(Number) as [number, number];
    const yb = byRoot.get(y)!;
    const xb = byRoot.get(x)!;
    if (yb.offset < xb.offset + xb.size && xb.offset < yb.offset + yb.size) inPlaceOf.set(y, x);
  }
  return [...all]
    .sort((a, b) => a.start - b.start || a.root - b.root)
    .map((b) => ({
      id: b.root,
      views: (views.get(b.root) ?? []).sort((p, q) => p - q),
      scratchOp: b.scratchOp ?? null,
      offset: b.offset,
      bytes: alignUp(b.size),
      dataBytes: b.scratchBytes ?? b.size,
      start: b.start,
      end: b.end,
      inPlaceOf: inPlaceOf.get(b.root) ?? null,
    }));
}

/**
 * Places blocks in the given order, each where the arena's span grows least
 * (lowest offset on ties). Offsets may go below zero while planning, since an
 * in-place output must sit below its input; the result is shifted to start at 0.
 */
function place(order: readonly Block[], below: ReadonlyMap<string, number>): { total: number; offsets: Map<number, number> } {
  const at = new Map<number, number>();
  const overlapOk = (b: Block, bOffset: number, p: Block, pOffset: number): boolean => {
    const yx = below.get(`${b.root}:${p.root}`);
    if (yx !== undefined) return bOffset <= pOffset - yx;
    const xy = below.get(`${p.root}:${b.root}`);
    if (xy !== undefined) return pOffset <= bOffset - xy;
    return false;
  };
  // Placed blocks by the op indices they are live at (op i at index i + 1, graph inputs from -1): a block's
  // conflicts are the blocks live anywhere in its lifetime, found without scanning every placed block.
  const liveAt = new Map<number, Block[]>();
  let placedCount = 0;
  let lo = 0;
  let hi = 0;
  for (const b of order) {
    const seen = new Set<Block>();
    for (let i = b.start; i <= b.end; i++) for (const p of liveAt.get(i) ?? []) seen.add(p);
    const conflicts = [...seen];
    const fits = (o: number) =>
      conflicts.every((p) => {
        const po = at.get(p.root)!;
        return o + b.size <= po || po + p.size <= o || overlapOk(b, o, p, po);
      });
    const candidates = new Set<number>([lo]);
    for (const p of conflicts) {
      const po = at.get(p.root)!;
      candidates.add(alignUp(po + p.size));
      candidates.add(alignDown(po - b.size));
      const yx = below.get(`${b.root}:${p.root}`);
      if (yx !== undefined) candidates.add(po - yx);
      const xy = below.get(`${p.root}:${b.root}`);
      if (xy !== undefined) candidates.add(po + xy);
    }
    const span = (o: number) => Math.max(hi, o + b.size) - Math.min(lo, o);
    let best: number | undefined;
    for (const o of candidates) {
      if (placedCount === 0 && o !== 0) continue;
      if (!fits(o)) continue;
      if (best === undefined || span(o) < span(best) || (span(o) === span(best) && o < best)) best = o;
    }
    if (best === undefined) throw internalError(`planArena: no place for tensor ${b.root}`);
    at.set(b.root, best);
    for (let i = b.start; i <= b.end; i++) {
      const l = liveAt.get(i);
      if (l) l.push(b);
      else liveAt.set(i, [b]);
    }
    placedCount++;
    lo = Math.min(lo, best);
    hi = Math.max(hi, best + b.size);
  }
  for (const [r, o] of at) at.set(r, o - lo);
  return { total: hi - lo, offsets: at };
}

/** ArenaPlan.lowerBound: at each op, the live blocks' sizes, in-place pairs counted by their least span. */
function lowerBound(all: readonly Block[], below: ReadonlyMap<string, number>, nOps: number): number {
  // Op i sits at index i + 1 (graph inputs are live from op -1, outputs to op nOps).
  const delta = new Array<number>(nOps + 3).fill(0);
  const byRoot = new Map(all.map((b) => [b.root, b]));
  for (const b of all) {
    delta[b.start + 1]! += b.size;
    delta[b.end + 2]! -= b.size;
  }
  // A pair (Y below X) is live together only at the op where X ends and Y starts.
  for (const [key, d] of below) {
    const [y, x] = key.split(':').map(Number) as [number, number];
    const yb = byRoot.get(y)!;
    const xb = byRoot.get(x)!;
    const credit = yb.size + xb.size - Math.max(yb.size, d + xb.size);
    delta[yb.start + 1]! -= credit;
    delta[yb.start + 2]! += credit;
  }
  let live = 0;
  let best = 0;
  for (let i = 0; i < nOps + 2; i++) {
    live += delta[i]!;
    best = Math.max(best, live);
  }
  return alignUp(best);
}

function alignDown(n: number): number {
  return Math.floor(n / ALIGN) * ALIGN;
}

/**
 * The smallest distance by which a streaming kernel's output may start below
 * its input. A streaming kernel writes output pixels in row-major order, in
 * blocks of `pixelBlock` pixels, and once it writes a block it never again
 * reads input before the first pixel that block's windows touch. So after
 * writing up to pixel q the output reaches `writeEnd(q)` bytes past its
 * start, while the input is still needed from `neededStart(q)`; the output
 * may start `max(writeEnd − neededStart)` bytes below the input. A kernel
 * with a row ring (OpEmission.streaming.rowsCopied) reads whole window rows
 * ahead of each output row: neededStart is then the row after the last one
 * that output row read.
 */
export function streamingOverlap(g: WindowGeometry, elementBytes: number, pixelBlock: number, rowsCopied = false): number {
  const pixels = g.outH * g.outW;
  const outPixel = g.outC * elementBytes;
  const inPixel = g.inC * elementBytes;
  let delta = -Infinity;
  for (let q0 = 0; q0 < pixels; q0 += pixelBlock) {
    const oy = Math.floor(q0 / g.outW);
    const ox = q0 % g.outW;
    // rowsCopied: the kernel copies an output row's kH input rows out (a row ring) before it writes the row,
    // and reads the input nowhere else: while it writes row oy it needs the input from row oy*sH - pT + kH on.
    const row = Math.max(0, oy * g.strideH - g.padTop + (rowsCopied ? g.kH : 0));
    const col = rowsCopied ? 0 : Math.max(0, ox * g.strideW - g.padLeft);
    const neededStart = Math.min(row * g.inW + col, g.inH * g.inW) * inPixel;
    const writeEnd = Math.min(q0 + pixelBlock, pixels) * outPixel;
    delta = Math.max(delta, writeEnd - neededStart);
  }
  return delta;
}
