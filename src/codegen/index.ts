/**
 * Code generation: a final IR graph (folded, fused, requantized) becomes a
 * self-contained C99 project: `<name>.h`, `<name>.c` (specialised kernels +
 * invoke), the constants (`<name>_weights.bin` + `<name>_weights.S`, or with
 * `weights: 'c'` the C arrays of `<name>_weights.c`), `mobilec_runtime.h`
 * (fixed-point helpers), `<name>_abi.c` + `mobilec_abi.h` (verification
 * library ABI) and `CMakeLists.txt`. The other output formats (Arduino,
 * Zephyr: ./formats/) rearrange these files.
 */
import { DTYPE_BYTES, elementCount, isConstant, tensorBytes, type Graph, type Op, type Tensor } from '../model/ir.js';
import { badInput, internalError } from '../model/errors.js';
import { planArena, streamingOverlap, type ArenaPlan, type OverlapAllowance, type ScratchRequest } from '../passes/planArena.js';
import { windowGeometry } from '../model/geometry.js';
import type { Target } from '../targets/types.js';
import { render } from './templates.js';
import { MOBILEC_VERSION } from '../util/version.js';
import type { EmitContext, KernelTuning, KernelVariant, OpEmission } from './types.js';
import { checkTuning, isaKernelsFor } from './isa/index.js';
import { cType } from './ops/common.js';
import { opDef } from '../ops/registry.js';
import { weightsCSource } from './weightsC.js';
import { parseKernelName } from './kernelId.js';
import { boundaryTensor, type BoundaryTensor } from '../model/layout.js';

/** How the constants reach the compiler: a GNU `.incbin` of a binary blob, or C arrays. */
export type WeightsForm = 'incbin' | 'c';

export interface CodegenOptions {
  /** C identifier used in symbols and file names; defaults to graph.name. */
  name?: string;
  target: Target;
  kernels: KernelVariant;
  /** The model file the graph came from (base name and SHA-256), stamped into the header. */
  source?: ModelSource;
  /** Default `incbin`. */
  weights?: WeightsForm;
  /** Kernel choice tuning for experiments and tests; default none. */
  tuning?: KernelTuning;
}

export interface ModelSource {
  readonly file: string;
  readonly sha256: string;
}

export interface GeneratedLayer {
  index: number;
  op: string;
  /** Kernel function name, or `view` for reshape. */
  kernel: string;
  /** Registry key of the SIMD variant (`dsp/pointwise/px3`), null for generic C and views. */
  variantKey: string | null;
  /** The layer runs a generic C kernel (false for SIMD kernels and views). */
  generic: boolean;
  outputTensor: number;
  arenaOffset: number;
  bytes: number;
  /** Multiply-accumulates of this layer (conv, depthwise, FC), 0 for the rest. */
  macs: number;
}

/** Input or output tensor facts, as the templates see them. */
export type IoInfo = ReturnType<typeof ioInfo>;

/** The template parameters every file of a project shares (also used by the format writers). */
export interface ProjectParams {
  readonly name: string;
  readonly NAME: string;
  readonly arenaBytes: number;
  readonly weightBytes: number;
  readonly macs: number;
  readonly layerCount: number;
  readonly input: IoInfo;
  readonly output: IoInfo;
  readonly inputBytes: number;
  readonly outputBytes: number;
  readonly kernels: KernelVariant;
  readonly target: string;
  /** How the constants are written, and the source file(s) that define them. */
  readonly weightsForm: WeightsForm;
  readonly weightsC: boolean;
  readonly weightsSource: string;
  /** mobilec's version and the model file, stamped into the header. */
  readonly version: string;
  readonly source: ModelSource;
  /** Some kernel is an AVX2 + FMA one: the header states the requirement and invoke checks the CPU once. */
  readonly avx2: boolean;
  /** Some AVX2 kernel has an AVX-512F body (flag x512): invoke's CPU check also asks for AVX-512F. */
  readonly avx512: boolean;
}

export interface GeneratedProject {
  name: string;
  files: ReadonlyMap<string, string | Uint8Array>;
  arena: ArenaPlan;
  weightBytes: number;
  macs: number;
  layers: GeneratedLayer[];
  params: ProjectParams;
  /** The model calls libm (float softmax: expf). */
  needsMath: boolean;
}

interface ConstantEntry {
  symbol: string;
  ctype: string;
  count: number;
  bytes: number;
  data: Uint8Array;
}

const TABLE_CTYPE: ReadonlyMap<unknown, string> = new Map<unknown, string>([
  [Int8Array, 'int8_t'],
  [Uint8Array, 'uint8_t'],
  [Int16Array, 'int16_t'],
  [Int32Array, 'int32_t'],
  [Float32Array, 'float'],
]);

/** The op's generic emission (its definition's `emit`). */
function emitOp(op: Op, ctx: EmitContext): OpEmission {
  const emit = opDef(op).emit;
  if (!emit) throw badInput(`op ${op.name} (${op.kind}) must be folded or fused before code generation`);
  return emit(op, ctx);
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function scaleLiteral(v: number): string {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/** The input's or output's facts in the model's own layout (`b.shape`: NCHW for an NCHW model). */
function ioInfo(b: BoundaryTensor, offset: number) {
  const t = b.tensor;
  const shape = b.shape;
  const named: { key: string; value: number }[] = shape.map((d, i) => ({ key: `DIM${i}`, value: d }));
  if (b.layout === 'NHWC') named.push({ key: 'H', value: shape[1]! }, { key: 'W', value: shape[2]! }, { key: 'C', value: shape[3]! });
  if (b.layout === 'NCHW') named.push({ key: 'C', value: shape[1]! }, { key: 'H', value: shape[2]! }, { key: 'W', value: shape[3]! });
  return {
    ctype: cType(t.dtype),
    dtype: t.dtype,
    scale: scaleLiteral(t.quant?.scale[0] ?? 1),
    zeroPoint: String(t.quant?.zeroPoint[0] ?? 0),
    elements: elementCount(t.shape),
    bytes: tensorBytes(t),
    rank: shape.length,
    last: shape[shape.length - 1] ?? 1,
    // Stated in the header only where it is not the IR's NHWC (other models' headers stay as they were).
    layout: b.layout === 'NCHW' ? b.layout : null,
    named,
    offset,
  };
}

/**
 * For debug builds with MOBILEC_POISON_DEAD: at each layer boundary b (0 =
 * before the first op, i + 1 = after op i), the arena byte ranges that no
 * later op reads and that are not the graph output. Filling them with a
 * pattern proves neither the plan nor a kernel depends on dead bytes.
 */
function deadRanges(graph: Graph, arena: ArenaPlan): { ranges: [number, number][]; first: number[] } {
  const lastUse = new Map<number, number>();
  const born = new Map<number, number>();
  for (const id of graph.inputs) born.set(id, -1);
  graph.ops.forEach((op, i) => {
    for (const id of op.inputs) lastUse.set(id, i);
    for (const id of op.outputs) born.set(id, i);
  });
  for (const id of graph.outputs) lastUse.set(id, graph.ops.length);
  const ranges: [number, number][] = [];
  const first: number[] = [];
  // Live across boundary b: produced before it, read at or after it (born < b <= lastUse); swept with
  // enter / leave events so the cost follows the live sets, not boundaries x tensors.
  const enter = new Map<number, number[]>();
  for (const [id] of arena.offsets) {
    const from = (born.get(id) ?? Infinity) + 1;
    const to = lastUse.get(id) ?? -Infinity;
    if (from > to || !Number.isFinite(from)) continue;
    enter.set(from, [...(enter.get(from) ?? []), id]);
  }
  const current = new Set<number>();
  for (let b = 0; b <= graph.ops.length; b++) {
    first.push(ranges.length);
    for (const id of enter.get(b) ?? []) current.add(id);
    for (const id of current) if (lastUse.get(id)! < b) current.delete(id);
    const live: [number, number][] = [...current].map((id) => {
      const off = arena.offsets.get(id)!;
      return [off, off + tensorBytes(graph.tensors[id]!)];
    });
    live.sort((u, v) => u[0] - v[0]);
    let at = 0;
    for (const [lo, hi] of live) {
      if (lo > at) ranges.push([at, lo - at]);
      at = Math.max(at, hi);
    }
    if (at < arena.bytes) ranges.push([at, arena.bytes - at]);
  }
  first.push(ranges.length);
  return { ranges, first };
}

function poisonTables(graph: Graph, arena: ArenaPlan) {
  const { ranges, first } = deadRanges(graph, arena);
  return {
    // C has no empty arrays: a zero-length entry keeps the table valid.
    ranges: (ranges.length > 0 ? ranges : [[0, 0]]).map(([off, len]) => ({ off, len })),
    first: first.join(', '),
    boundaries: first.length,
  };
}

/** In-place permissions of the ops whose kernels stream (see OpEmission.streaming). */
function overlapAllowances(graph: Graph, emitted: readonly { op: Op; em: OpEmission }[]): OverlapAllowance[] {
  const out: OverlapAllowance[] = [];
  emitted.forEach(({ op, em }, index) => {
    const x = graph.tensors[op.inputs[0]!]!;
    const y = graph.tensors[op.outputs[0]!]!;
    if (em.elementwise) {
      if (tensorBytes(x) !== tensorBytes(y)) throw internalError(`layer ${index}: an elementwise kernel with input and output of different sizes`);
      out.push({ op: index, input: x.id, output: y.id, minDelta: 0 });
      return;
    }
    if (!em.streaming) return;
    if (!opDef(op).window) return;
    if (x.dtype !== y.dtype) return;
    const minDelta = streamingOverlap(windowGeometry(graph, op), DTYPE_BYTES[x.dtype], em.streaming.pixelBlock, em.streaming.rowsCopied);
    out.push({ op: index, input: x.id, output: y.id, minDelta });
  });
  return out;
}

/**
 * The target's flags as the generated CMakeLists.txt uses them: the -O level
 * builds the model's sources only; the architecture flags (-mcpu, -mthumb,
 * -mfpu, -mfloat-abi) are usage requirements of whatever links the model.
 */
function cmakeFlags(target: Target, emitted: readonly { em: OpEmission }[]): { optFlags: string; archFlags: string; dspAsm: boolean } {
  const opt = target.cflags.filter((f) => f.startsWith('-O'));
  if (opt.length !== 1) throw internalError(`target ${target.name}: expected one -O flag in ${target.cflags.join(' ')}`);
  return {
    optFlags: opt[0]!,
    archFlags: target.cflags.filter((f) => !f.startsWith('-O')).join(' '),
    // The Cortex-M DSP kernels' inline assembly needs more registers than -O0 leaves free.
    dspAsm: emitted.some(({ em }) => em.family?.endsWith('_dsp') ?? false),
  };
}

export function generateProject(graph: Graph, options: CodegenOptions): GeneratedProject {
  const name = options.name ?? graph.name;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw badInput(`model name '${name}' is not a C identifier`);
  if (graph.inputs.length !== 1 || graph.outputs.length !== 1) {
    throw badInput(`model ${name}: ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; code generation supports exactly one of each`);
  }
  const NAME = name.toUpperCase();
  const tensor = (id: number): Tensor => {
    const t = graph.tensors[id];
    if (!t) throw internalError(`no tensor ${id}`);
    return t;
  };
  // Emitters see arena operands as placeholders: the arena is planned after
  // every kernel is chosen, because a kernel that streams may run in place.
  const placeholder = (id: number) => `@@T${id}@@`;

  // Constants are registered as emitters ask for them; only those a call
  // finally references go into the blob (a SIMD kernel may replace the
  // generic weights with a re-packed copy).
  const constants = new Map<string, ConstantEntry>();
  const addConstant = (symbol: string, ctype: string, count: number, data: Uint8Array): string => {
    const prev = constants.get(symbol);
    if (prev) {
      if (Buffer.compare(prev.data, data) !== 0) throw internalError(`constant ${symbol} registered twice with different data`);
      return symbol;
    }
    constants.set(symbol, { symbol, ctype, count, bytes: data.byteLength, data });
    return symbol;
  };
  if (options.tuning) checkTuning(options.tuning);
  const isa = options.kernels === 'simd' ? isaKernelsFor(options.target) : null;

  const kernels = new Map<string, string>();
  const emitted: { op: Op; em: OpEmission }[] = [];
  // Scratch blocks get ids past every tensor's, one per layer that asks.
  const scratch: ScratchRequest[] = [];
  let macs = 0;
  let needsMath = false;

  graph.ops.forEach((op, index) => {
    const ctx: EmitContext = {
      graph,
      index,
      variant: options.kernels,
      target: options.target,
      tuning: options.tuning ?? {},
      tensor,
      arena(id, mutable) {
        const t = tensor(id);
        if (isConstant(t)) throw badInput(`op ${op.name}: operand ${t.name} is a constant where an activation is expected`);
        return `MOBILEC_${NAME}_AT(${mutable ? '' : 'const '}${cType(t.dtype)}, ${placeholder(id)})`;
      },
      constant(id) {
        const t = tensor(id);
        if (!isConstant(t)) throw internalError(`tensor ${id} is not a constant`);
        return addConstant(`mobilec_${name}_w${id}`, cType(t.dtype), elementCount(t.shape), bytesOf(t.data));
      },
      table(suffix, data) {
        const ctype = TABLE_CTYPE.get(data.constructor);
        if (!ctype) throw internalError(`table ${suffix}: unsupported array type`);
        return addConstant(`mobilec_${name}_l${index}_${suffix}`, ctype, data.length, bytesOf(data));
      },
      scratch(ctype, bytes) {
        let r = scratch.find((s) => s.op === index);
        if (!r) {
          r = { op: index, id: graph.tensors.length + index, bytes };
          scratch.push(r);
        } else if (r.bytes !== bytes) {
          throw internalError(`layer ${index}: scratch asked twice with different sizes`);
        }
        return `MOBILEC_${NAME}_AT(${ctype}, ${placeholder(r.id)})`;
      },
    };
    const generic = emitOp(op, ctx);
    const em = (generic.kernel && isa?.select(op, ctx, generic)) || generic;
    if (em.kernel && em.family) {
      const src = render(`kernels/${em.family}.c.hbs`, em.params);
      const prev = kernels.get(em.kernel);
      if (prev === undefined) kernels.set(em.kernel, src);
      else if (prev !== src) throw internalError(`kernel ${em.kernel} has two different bodies`);
      if (em.family === 'softmax' && !(em.params as { quant?: boolean }).quant) needsMath = true;
      if (em.family === 'unary_f32' && (em.params as { logistic?: boolean }).logistic) needsMath = true;
    }
    macs += em.macs;
    emitted.push({ op, em });
  });

  // Scratch of a layer whose final emission does not use it is dropped.
  const used = scratch.filter((r) => emitted[r.op]!.em.call?.includes(placeholder(r.id)));
  // An NCHW model's input and output buffers (the C API's) are blocks of their own, transposed at the boundary:
  // the input's live before the first layer only (invoke transposes it first), the output's after the last.
  const inB = boundaryTensor(graph, 'input');
  const outB = boundaryTensor(graph, 'output');
  const nOps = graph.ops.length;
  const layoutIn: ScratchRequest | null = inB.transposed ? { op: -1, id: graph.tensors.length + nOps, bytes: tensorBytes(inB.tensor) } : null;
  const layoutOut: ScratchRequest | null = outB.transposed ? { op: nOps, id: graph.tensors.length + nOps + 1, bytes: tensorBytes(outB.tensor) } : null;
  const arena = planArena(graph, overlapAllowances(graph, emitted), [...used, ...(layoutIn ? [layoutIn] : []), ...(layoutOut ? [layoutOut] : [])]);
  const offsetOf = (id: number): number => {
    const o = arena.offsets.get(id);
    if (o === undefined) throw internalError(`tensor ${id} has no arena offset`);
    return o;
  };
  const calls = emitted.map(({ op, em }, index) => ({
    index,
    comment: `${op.kind} ${op.name.replace(/\*\//g, '* /')}`,
    call: em.call === null ? null : em.call.replace(/@@T(\d+)@@/g, (_, id: string) => String(offsetOf(Number(id)))),
    offset: offsetOf(op.outputs[0]!),
    bytes: tensorBytes(tensor(op.outputs[0]!)),
  }));
  const layers: GeneratedLayer[] = emitted.map(({ op, em }, index) => ({
    index,
    op: op.kind,
    kernel: em.kernel ?? 'view',
    variantKey: em.variantKey ?? null,
    generic: em.kernel !== null && em.variantKey === undefined,
    outputTensor: op.outputs[0]!,
    arenaOffset: offsetOf(op.outputs[0]!),
    bytes: tensorBytes(tensor(op.outputs[0]!)),
    macs: em.macs,
  }));

  const code = [...calls.map((c) => c.call ?? ''), ...kernels.values()].join('\n');
  const referenced = new Set(code.match(/\bmobilec_\w+/g) ?? []);
  let blobSize = 0;
  const placed = [...constants.values()]
    .filter((c) => referenced.has(c.symbol))
    .map((c) => {
      const offset = Math.ceil(blobSize / 16) * 16;
      blobSize = offset + c.bytes;
      return { ...c, offset };
    });
  const blob = (): Uint8Array => {
    const b = new Uint8Array(blobSize);
    for (const c of placed) b.set(c.data, c.offset);
    return b;
  };

  const inT = inB.tensor;
  const outT = outB.tensor;
  const input = ioInfo(inB, offsetOf(layoutIn?.id ?? inT.id));
  const output = ioInfo(outB, offsetOf(layoutOut?.id ?? outT.id));
  // The boundary transposes: NCHW [rows][cols] ↔ NHWC [cols][rows] per batch (see templates/kernels/layout.c.hbs).
  const transposeCall = (b: BoundaryTensor, fn: string, from: number, to: number) => {
    const [n, c, h, w] = b.shape as [number, number, number, number];
    const [rows, cols] = fn === 'to_nhwc' ? [h * w, c] : [c, h * w];
    const ctype = cType(b.tensor.dtype);
    const kernel = `mobilec_${name}_${fn}`;
    kernels.set(kernel, render('kernels/layout.c.hbs', { kernel, ctype, n, rows, cols }));
    return `${kernel}(MOBILEC_${NAME}_AT(const ${ctype}, ${from}), MOBILEC_${NAME}_AT(${ctype}, ${to}));`;
  };
  const layoutCalls = {
    layoutIn: layoutIn ? transposeCall(inB, 'to_nhwc', offsetOf(layoutIn.id), offsetOf(inT.id)) : null,
    layoutOut: layoutOut ? transposeCall(outB, 'to_nchw', offsetOf(outT.id), offsetOf(layoutOut.id)) : null,
  };
  const weightsForm = options.weights ?? 'incbin';
  const common: ProjectParams = {
    name,
    NAME,
    arenaBytes: arena.bytes,
    weightBytes: blobSize,
    macs,
    layerCount: graph.ops.length,
    input,
    output,
    inputBytes: input.bytes,
    outputBytes: output.bytes,
    kernels: options.kernels,
    target: options.target.name,
    version: MOBILEC_VERSION,
    source: options.source ?? { file: `(graph ${graph.name})`, sha256: 'unknown' },
    weightsForm,
    weightsC: weightsForm === 'c',
    weightsSource: weightsForm === 'c' ? `${name}_weights.c` : `${name}_weights.S`,
    avx2: emitted.some(({ em }) => em.family?.endsWith('_avx2') ?? false),
    avx512: emitted.some(({ em }) => (em.family?.endsWith('_avx2') ?? false) && em.kernel !== null && parseKernelName(em.kernel).flags?.x512 === true),
  };
  const constList = placed.map(({ symbol, ctype, count, bytes, offset }) => ({ symbol, ctype, count, bytes, offset }));

  const files = new Map<string, string | Uint8Array>([
    [`${name}.h`, render('model.h.hbs', common)],
    [
      `${name}.c`,
      render('model.c.hbs', {
        ...common,
        constants: constList,
        kernelSources: [...kernels.values()],
        calls,
        ...layoutCalls,
        needsMath,
        poison: poisonTables(graph, arena),
      }),
    ],
    ...(weightsForm === 'c'
      ? ([[`${name}_weights.c`, weightsCSource(common, placed)]] as const)
      : ([
          [`${name}_weights.S`, render('weights.S.hbs', { ...common, constants: constList })],
          [`${name}_weights.bin`, blob()],
        ] as const)),
    ['mobilec_runtime.h', render('runtime.h.hbs', common)],
    ['mobilec_abi.h', render('abi.h.hbs', common)],
    [`${name}_abi.c`, render('abi.c.hbs', common)],
    ['CMakeLists.txt', render('CMakeLists.txt.hbs', { ...common, ...cmakeFlags(options.target, emitted) })],
  ]);
  return { name, files, arena, weightBytes: blobSize, macs, layers, params: common, needsMath };
}
