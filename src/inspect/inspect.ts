/**
 * `mobilec inspect`: per-layer shapes, work and memory, the planned arena,
 * and for each depthwise-separable block the cost of the standard
 * convolution it replaces (docs/CONTRACT.md, `inspect --json`).
 */
import { type BoundarySide, boundaryTensor } from '../model/layout.js';
import { tensorBytes, type Graph, type Op } from '../model/ir.js';
import { convMacs, opMacs } from '../model/cost.js';
import type { ArenaPlan } from '../passes/planArena.js';
import { opDef } from '../ops/registry.js';

export interface InspectLayer {
  readonly index: number;
  readonly op: string;
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly kernel: [number, number] | null;
  readonly stride: [number, number] | null;
  readonly padding: string | null;
  readonly activation: string | null;
  readonly macs: number;
  readonly paramBytes: number;
  readonly activationBytes: number;
  readonly arenaOffset: number | null;
  /** Id of the layer's output tensor (plan.blocks names tensors by id). */
  readonly outputTensor: number;
  /** The kernel that runs the layer (its name spells the configuration, docs/ARCHITECTURE.md), `view` for a reshape. */
  readonly variant: string;
  /** Registry key of its SIMD variant (`--tune only=<key>`), null for generic C and views. */
  readonly variantKey: string | null;
  /** The layer runs a generic C kernel. */
  readonly generic: boolean;
}

/** The kernel codegen chose for each layer (GeneratedProject.layers). */
export interface LayerKernel {
  readonly kernel: string;
  readonly variantKey: string | null;
  readonly generic: boolean;
}

export interface InspectBlock {
  /**
   * `separable`: depthwise → pointwise (MobileNetV1); `inverted_residual`: [1×1 expansion] → depthwise →
   * [squeeze-excite] → linear 1×1 projection (MobileNetV2/V3).
   */
  readonly kind: 'separable' | 'inverted_residual';
  /** Layer indices: [depthwise, pointwise] of a separable block; [expansion?, depthwise, projection] of an inverted residual. */
  readonly layers: number[];
  /** The expansion's MACs (0 without one, and for a separable block). */
  readonly expansionMacs: number;
  readonly depthwiseMacs: number;
  /** The pointwise (separable) or projection (inverted residual) MACs. */
  readonly projectionMacs: number;
  /** The block's MACs: expansion + depthwise + projection (a squeeze-excite's small convs are not counted). */
  readonly separableMacs: number;
  /** A standard K×K convolution from the block's input channels to its output channels at its output size. */
  readonly standardMacs: number;
  /** separableMacs / standardMacs. */
  readonly ratio: number;
}

/** What the model costs on the target: RAM = arena + stack, flash = weights + code. */
export interface InspectMemory {
  readonly arenaBytes: number;
  /** No arena can be smaller: the largest sum of bytes live at any one op (ArenaPlan.lowerBound). */
  readonly arenaLowerBound: number;
  /** Worst-case stack of invoke (gcc call graph), null where not measured (host). */
  readonly stackBytes: number | null;
  readonly ramBytes: number | null;
  /** Constant data: weights, biases, requantization tables. */
  readonly weightBytes: number;
  /** Generated code in the linked image (no weights, no libc), null where not measured (host). */
  readonly codeBytes: number | null;
  readonly flashBytes: number | null;
}

/**
 * One block of the arena: a tensor (with the views sharing it), a layer's scratch, or (an NCHW model) the C
 * API's input or output buffer in the model's layout, which invoke transposes from / to the NHWC tensor.
 */
export interface InspectPlanBlock {
  /** `t<tensor id>`, `s<layer index>`, `input_nchw` or `output_nchw`: unique in the plan. */
  readonly id: string;
  readonly kind: 'tensor' | 'scratch' | 'layout';
  /** The tensor's name, `scratch of layer <i>`, or `<tensor name> (NCHW)`. */
  readonly name: string;
  /** The tensor id (for a layout block: the NHWC tensor it holds transposed), null for scratch. */
  readonly tensor: number | null;
  /** Tensors that are views of it (reshape outputs): same bytes, same offset. */
  readonly views: number[];
  /** The layer producing the tensor (null for the graph input), or using the scratch. */
  readonly layer: number | null;
  readonly offset: number;
  /** Bytes reserved (aligned): offset + bytes is where the next block may start. */
  readonly bytes: number;
  /** Bytes of data (the tensor's, or the scratch the kernel asked for). */
  readonly dataBytes: number;
  /** Lifetime in op indices, inclusive: -1 = before layer 0 (the graph input), layers.length = after the last layer (the graph output). */
  readonly firstOp: number;
  readonly lastOp: number;
  /** The tensor whose bytes it overwrites in place (a streaming or elementwise kernel), else null. */
  readonly inPlaceOf: number | null;
}

/** The arena as planned (src/passes/planArena.ts): max(offset + bytes) over the blocks is arenaBytes. */
export interface InspectPlan {
  readonly arenaBytes: number;
  readonly lowerBound: number;
  readonly alignment: number;
  readonly blocks: InspectPlanBlock[];
}

/** The graph input or output: what the caller feeds or reads. */
export interface InspectIo {
  readonly tensor: number;
  readonly name: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  /** Quantization (the first channel's, for a per-channel tensor); null for float32. */
  readonly scale: number | null;
  readonly zeroPoint: number | null;
  /** The shape the caller's buffer has (the model file's: NCHW for an ONNX image model); `shape` is the IR's (NHWC). */
  readonly modelShape: readonly number[];
  /** The layout of a rank-4 `modelShape` ('NCHW' or 'NHWC'), null for other ranks. */
  readonly layout: 'NCHW' | 'NHWC' | null;
}

export interface InspectReport {
  readonly model: string;
  readonly target: string;
  readonly input: InspectIo;
  readonly output: InspectIo;
  readonly layers: InspectLayer[];
  readonly totals: { macs: number; paramBytes: number; arenaBytes: number };
  readonly blocks: InspectBlock[];
  readonly memory: InspectMemory;
  readonly plan: InspectPlan;
}

function kernelOf(graph: Graph, op: Op): [number, number] | null {
  const win = opDef(op).window?.(op, graph);
  return win ? [win.kH, win.kW] : null;
}

function paramBytes(graph: Graph, op: Op): number {
  let n = 0;
  for (const id of op.inputs) {
    const t = graph.tensors[id]!;
    if (t.data) n += tensorBytes(t);
  }
  return n;
}

const isPointwise = (graph: Graph, op: Op | undefined): op is Extract<Op, { kind: 'conv2d' }> => {
  if (op?.kind !== 'conv2d' || op.strideH !== 1 || op.strideW !== 1) return false;
  const f = graph.tensors[op.inputs[1]!]!.shape;
  return f[1] === 1 && f[2] === 1;
};

/**
 * The depthwise blocks. From each depthwise conv, the main path runs forward
 * through single-input elementwise ops and a squeeze-excite (its MEAN branch
 * is skipped) to a 1×1 stride-1 conv: the pointwise or projection; and
 * backwards through single-use elementwise ops to a 1×1 conv that only feeds
 * it: the expansion. A block whose projection is linear (no activation: the
 * linear bottleneck) is an inverted residual, with or without an expansion;
 * otherwise it is separable (the pointwise is ReLU'd, MobileNetV1).
 */
function depthwiseBlocks(graph: Graph): InspectBlock[] {
  const consumers = new Map<number, number[]>();
  const producer = new Map<number, number>();
  graph.ops.forEach((op, i) => {
    for (const t of op.inputs) consumers.set(t, [...(consumers.get(t) ?? []), i]);
    producer.set(op.outputs[0]!, i);
  });
  const elementwise = (op: Op) => op.inputs.length === 1 && op.kind !== 'mean' && op.kind !== 'reshape' && opDef(op).window === undefined;
  const blocks: InspectBlock[] = [];
  graph.ops.forEach((dw, i) => {
    if (dw.kind !== 'depthwise_conv2d') return;
    let t = dw.outputs[0]!;
    let pw: number | undefined;
    for (let step = 0; step < 16 && pw === undefined; step++) {
      const next = (consumers.get(t) ?? []).filter((c) => graph.ops[c]!.kind !== 'mean');
      if (next.length !== 1) break;
      const c = graph.ops[next[0]!]!;
      if (isPointwise(graph, c)) pw = next[0];
      else if (elementwise(c) || (c.kind as string) === 'mul')
        t = c.outputs[0]!; // the squeeze-excite's scaling
      else break;
    }
    if (pw === undefined) return;
    const proj = graph.ops[pw] as Extract<Op, { kind: 'conv2d' }>;
    const inverted = proj.activation === 'none';
    let x = dw.inputs[0]!;
    let ex: number | undefined;
    for (let step = 0; step < 4 && inverted && ex === undefined; step++) {
      const p = producer.get(x);
      if (p === undefined || (consumers.get(x) ?? []).length !== 1) break;
      const op = graph.ops[p]!;
      if (isPointwise(graph, op)) ex = p;
      else if (elementwise(op)) x = op.inputs[0]!;
      else break;
    }
    const first = ex !== undefined ? graph.ops[ex]! : dw;
    const cin = graph.tensors[first.inputs[0]!]!.shape[3]!;
    const out = graph.tensors[proj.outputs[0]!]!.shape;
    const k = graph.tensors[dw.inputs[1]!]!.shape[1]!;
    const expansionMacs = ex !== undefined ? opMacs(graph, graph.ops[ex]!) : 0;
    const depthwiseMacs = opMacs(graph, dw);
    const projectionMacs = opMacs(graph, proj);
    const separable = expansionMacs + depthwiseMacs + projectionMacs;
    // The standard conv replaced: K·K·M·N·F·F from the block's input to its output.
    const standard = convMacs(k, k, cin, out[3]!, out[1]!, out[2]!);
    blocks.push({
      kind: inverted ? 'inverted_residual' : 'separable',
      layers: ex !== undefined ? [ex, i, pw] : [i, pw],
      expansionMacs,
      depthwiseMacs,
      projectionMacs,
      separableMacs: separable,
      standardMacs: standard,
      ratio: separable / standard,
    });
  });
  return blocks;
}

export function inspectGraph(
  graph: Graph,
  plan: ArenaPlan,
  target: string,
  build: { weightBytes: number; codeBytes: number | null; stackBytes: number | null },
  kernels: readonly LayerKernel[],
): InspectReport {
  const layers: InspectLayer[] = graph.ops.map((op, index) => {
    const x = graph.tensors[op.inputs[0]!]!;
    const y = graph.tensors[op.outputs[0]!]!;
    const windowed = 'strideH' in op;
    return {
      index,
      op: op.kind,
      name: op.name,
      inputShape: x.shape,
      outputShape: y.shape,
      kernel: kernelOf(graph, op),
      stride: windowed ? [op.strideH, op.strideW] : null,
      padding: 'padding' in op ? op.padding : null,
      activation: 'activation' in op ? op.activation : null,
      macs: opMacs(graph, op),
      paramBytes: paramBytes(graph, op),
      activationBytes: tensorBytes(y),
      arenaOffset: plan.offsets.get(y.id) ?? null,
      outputTensor: y.id,
      variant: kernels[index]!.kernel,
      variantKey: kernels[index]!.variantKey,
      generic: kernels[index]!.generic,
    };
  });
  const totals = {
    macs: layers.reduce((s, l) => s + l.macs, 0),
    paramBytes: layers.reduce((s, l) => s + l.paramBytes, 0),
    arenaBytes: plan.bytes,
  };
  const memory: InspectMemory = {
    arenaBytes: plan.bytes,
    arenaLowerBound: plan.lowerBound,
    stackBytes: build.stackBytes,
    ramBytes: build.stackBytes === null ? null : plan.bytes + build.stackBytes,
    weightBytes: build.weightBytes,
    codeBytes: build.codeBytes,
    flashBytes: build.codeBytes === null ? null : build.weightBytes + build.codeBytes,
  };
  const io = (side: BoundarySide): InspectIo => {
    const b = boundaryTensor(graph, side);
    const t = b.tensor;
    return {
      tensor: side === 'input' ? graph.inputs[0]! : graph.outputs[0]!,
      name: t.name,
      shape: t.shape,
      dtype: t.dtype,
      scale: t.quant?.scale[0] ?? null,
      zeroPoint: t.quant?.zeroPoint[0] ?? null,
      modelShape: b.shape,
      layout: b.layout,
    };
  };
  return {
    model: graph.name,
    target,
    input: io('input'),
    output: io('output'),
    layers,
    totals,
    blocks: depthwiseBlocks(graph),
    memory,
    plan: planOf(graph, plan),
  };
}

function planOf(graph: Graph, plan: ArenaPlan): InspectPlan {
  const n = graph.ops.length;
  const blocks = plan.blocks.map((b): InspectPlanBlock => {
    if (b.scratchOp === -1 || b.scratchOp === n) {
      // The boundary buffers codegen plans for an NCHW model (before the first layer, after the last).
      const side = b.scratchOp === -1 ? 'input' : 'output';
      const tensor = side === 'input' ? graph.inputs[0]! : graph.outputs[0]!;
      return {
        id: `${side}_nchw`,
        kind: 'layout',
        name: `${graph.tensors[tensor]!.name} (NCHW)`,
        tensor,
        views: [],
        layer: null,
        offset: b.offset,
        bytes: b.bytes,
        dataBytes: b.dataBytes,
        firstOp: b.start,
        lastOp: b.end,
        inPlaceOf: null,
      };
    }
    const scratch = b.scratchOp !== null;
    return {
      id: scratch ? `s${b.scratchOp}` : `t${b.id}`,
      kind: scratch ? 'scratch' : 'tensor',
      name: scratch ? `scratch of layer ${b.scratchOp}` : graph.tensors[b.id]!.name,
      tensor: scratch ? null : b.id,
      views: [...b.views],
      layer: scratch ? b.scratchOp : b.start >= 0 ? b.start : null,
      offset: b.offset,
      bytes: b.bytes,
      dataBytes: b.dataBytes,
      firstOp: b.start,
      lastOp: b.end,
      inPlaceOf: b.inPlaceOf,
    };
  });
  return { arenaBytes: plan.bytes, lowerBound: plan.lowerBound, alignment: plan.alignment, blocks };
}

const fmtShape = (s: readonly number[]) => s.join('x');
const fmtInt = (n: number) => n.toLocaleString('en-US');

/** The human-readable table. */
export function formatInspect(r: InspectReport): string {
  const head = ['#', 'op', 'input', 'output', 'kernel', 'stride', 'act', 'MACs', 'params B', 'act B', 'arena@', 'variant'];
  const rows = r.layers.map((l) => [
    String(l.index),
    l.op,
    fmtShape(l.inputShape),
    fmtShape(l.outputShape),
    l.kernel ? `${l.kernel[0]}x${l.kernel[1]}` : '-',
    l.stride ? `${l.stride[0]}` + (l.stride[0] !== l.stride[1] ? `x${l.stride[1]}` : '') : '-',
    l.activation ?? '-',
    fmtInt(l.macs),
    fmtInt(l.paramBytes),
    fmtInt(l.activationBytes),
    l.arenaOffset === null ? '-' : String(l.arenaOffset),
    l.variant,
  ]);
  const lines = [`model ${r.model}  target ${r.target}`, ...table(head, rows)];
  lines.push(`totals: ${fmtInt(r.totals.macs)} MACs, ${fmtInt(r.totals.paramBytes)} parameter bytes, arena ${fmtInt(r.totals.arenaBytes)} bytes`);
  const generic = r.layers.filter((l) => l.generic);
  lines.push(
    `kernels: ${r.layers.length - generic.length - r.layers.filter((l) => l.variant === 'view').length} SIMD, ${generic.length} generic C` +
      (generic.length > 0 ? ` (layers ${generic.map((l) => `${l.index} ${l.op}`).join(', ')})` : ''),
  );
  const m = r.memory;
  lines.push(
    m.ramBytes === null
      ? `RAM: arena ${fmtInt(m.arenaBytes)} bytes; flash: weights ${fmtInt(m.weightBytes)} bytes (code and stack are measured on the cross targets)`
      : `RAM: ${fmtInt(m.ramBytes)} bytes (arena ${fmtInt(m.arenaBytes)} + stack ${fmtInt(m.stackBytes!)}); ` +
          `flash: ${fmtInt(m.flashBytes!)} bytes (weights ${fmtInt(m.weightBytes)} + code ${fmtInt(m.codeBytes!)})`,
  );
  lines.push(
    `arena: ${fmtInt(m.arenaBytes)} bytes planned, lower bound ${fmtInt(m.arenaLowerBound)} (the most bytes live at one op; ${(m.arenaBytes / m.arenaLowerBound).toFixed(3)}x)`,
  );
  const separable = r.blocks.filter((b) => b.kind === 'separable');
  const inverted = r.blocks.filter((b) => b.kind === 'inverted_residual');
  const sums = (bs: readonly InspectBlock[]) => {
    const std = bs.reduce((s, b) => s + b.standardMacs, 0);
    const own = bs.reduce((s, b) => s + b.separableMacs, 0);
    return { std, own, ratio: (own / std).toFixed(4) };
  };
  if (separable.length > 0) {
    lines.push('', 'depthwise-separable blocks (standard conv K·K·M·N·F·F vs depthwise K·K·M·F·F + pointwise M·N·F·F):');
    lines.push(
      ...table(
        ['layers', 'standard MACs', 'separable MACs', 'ratio'],
        separable.map((b) => [b.layers.join('+'), fmtInt(b.standardMacs), fmtInt(b.separableMacs), b.ratio.toFixed(4)]),
      ),
    );
    const t = sums(separable);
    lines.push(`all blocks: ${fmtInt(t.std)} standard vs ${fmtInt(t.own)} separable MACs (ratio ${t.ratio})`);
  }
  if (inverted.length > 0) {
    lines.push(
      '',
      'inverted residual blocks (standard conv K·K·M·N·F·F from the block input M to its output N vs 1x1 expansion + depthwise + 1x1 projection; squeeze-excite not counted):',
    );
    lines.push(
      ...table(
        ['layers', 'expansion', 'depthwise', 'projection', 'block MACs', 'standard MACs', 'ratio'],
        inverted.map((b) => [
          b.layers.join('+'),
          fmtInt(b.expansionMacs),
          fmtInt(b.depthwiseMacs),
          fmtInt(b.projectionMacs),
          fmtInt(b.separableMacs),
          fmtInt(b.standardMacs),
          b.ratio.toFixed(4),
        ]),
      ),
    );
    const t = sums(inverted);
    lines.push(`all blocks: ${fmtInt(t.std)} standard vs ${fmtInt(t.own)} block MACs (ratio ${t.ratio})`);
  }
  return lines.join('\n');
}

/** Right-aligns numeric-looking columns, left-aligns the rest. */
export function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => /^[-+0-9.,e]+$|^-$/.test(r[i]!)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}
