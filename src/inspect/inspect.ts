/**
 * `mobilec inspect`: per-layer shapes, work and memory, the planned arena,
 * and for each depthwise-separable block the cost of the standard
 * convolution it replaces (docs/CONTRACT.md, `inspect --json`).
 */
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
  /** Indices of the depthwise and the pointwise layer. */
  readonly layers: [number, number];
  readonly standardMacs: number;
  readonly separableMacs: number;
  readonly ratio: number;
}

/** What the model costs on the target: RAM = arena + stack, flash = weights + code. */
export interface InspectMemory {
  readonly arenaBytes: number;
  /** Worst-case stack of invoke (gcc call graph), null where not measured (host). */
  readonly stackBytes: number | null;
  readonly ramBytes: number | null;
  /** Constant data: weights, biases, requantization tables. */
  readonly weightBytes: number;
  /** Generated code in the linked image (no weights, no libc), null where not measured (host). */
  readonly codeBytes: number | null;
  readonly flashBytes: number | null;
}

export interface InspectReport {
  readonly model: string;
  readonly target: string;
  readonly layers: InspectLayer[];
  readonly totals: { macs: number; paramBytes: number; arenaBytes: number };
  readonly blocks: InspectBlock[];
  readonly memory: InspectMemory;
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

/** A depthwise conv whose only consumer is a 1×1 stride-1 conv is one separable block. */
function separableBlocks(graph: Graph): InspectBlock[] {
  const blocks: InspectBlock[] = [];
  graph.ops.forEach((dw, i) => {
    if (dw.kind !== 'depthwise_conv2d') return;
    const dwOut = dw.outputs[0]!;
    const j = graph.ops.findIndex((p) => p.inputs[0] === dwOut);
    const pw = graph.ops[j];
    if (pw?.kind !== 'conv2d') return;
    const f = graph.tensors[pw.inputs[1]!]!.shape;
    if (f[1] !== 1 || f[2] !== 1 || pw.strideH !== 1 || pw.strideW !== 1) return;
    const dwFilter = graph.tensors[dw.inputs[1]!]!.shape;
    const out = graph.tensors[dwOut]!.shape;
    const k = dwFilter[1]!;
    const m = graph.tensors[dw.inputs[0]!]!.shape[3]!;
    const n = f[0]!;
    // The standard conv replaced: K·K·M·N·F·F; the block's own cost counts
    // the depthwise as executed (with its depth multiplier) plus the pointwise.
    const standard = convMacs(k, k, m, n, out[1]!, out[2]!);
    const separable = opMacs(graph, dw) + opMacs(graph, pw);
    blocks.push({ layers: [i, j], standardMacs: standard, separableMacs: separable, ratio: separable / standard });
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
    stackBytes: build.stackBytes,
    ramBytes: build.stackBytes === null ? null : plan.bytes + build.stackBytes,
    weightBytes: build.weightBytes,
    codeBytes: build.codeBytes,
    flashBytes: build.codeBytes === null ? null : build.weightBytes + build.codeBytes,
  };
  return { model: graph.name, target, layers, totals, blocks: separableBlocks(graph), memory };
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
  if (r.blocks.length > 0) {
    lines.push('', 'depthwise-separable blocks (standard conv K·K·M·N·F·F vs depthwise K·K·M·F·F + pointwise M·N·F·F):');
    lines.push(
      ...table(
        ['layers', 'standard MACs', 'separable MACs', 'ratio'],
        r.blocks.map((b) => [`${b.layers[0]}+${b.layers[1]}`, fmtInt(b.standardMacs), fmtInt(b.separableMacs), b.ratio.toFixed(4)]),
      ),
    );
    const std = r.blocks.reduce((s, b) => s + b.standardMacs, 0);
    const sep = r.blocks.reduce((s, b) => s + b.separableMacs, 0);
    lines.push(`all blocks: ${fmtInt(std)} standard vs ${fmtInt(sep)} separable MACs (ratio ${(sep / std).toFixed(4)})`);
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
