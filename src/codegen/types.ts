import type { Graph, Op, OpKind, Tensor } from '../model/ir.js';
import type { Target } from '../targets/types.js';
import type { KernelId, KernelIsa } from './kernelId.js';

/** Typed arrays a constant table may hold, with their C element types. */
export type TableData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;

export type KernelVariant = 'simd' | 'generic';

/**
 * Explicit tuning of the kernel choice, passed down from the caller (the CLI's
 * `--tune`, tests, experiments); the default `{}` is what users get. Never a
 * module global.
 */
export interface KernelTuning {
  /** Only the SIMD variants whose key is listed may be chosen (the rest of the layers run generic C). */
  readonly only?: readonly string[];
  /** Named switches of variants (`dsp.smmlar: false`), each documented where a variant reads it. */
  readonly switches?: Readonly<Record<string, boolean | number>>;
}

/** What an op emitter may ask of the project being generated. */
export interface EmitContext {
  readonly graph: Graph;
  readonly index: number;
  /** Kernel variant requested (`simd` falls back to generic kernels for now). */
  readonly variant: KernelVariant;
  readonly target: Target;
  readonly tuning: KernelTuning;
  /** Arena pointer expression for a non-constant tensor, typed `const T *` or `T *`. */
  arena(tensorId: number, mutable: boolean): string;
  /** Symbol of a constant tensor (registered into the weights blob on first use). */
  constant(tensorId: number): string;
  /**
   * Symbol of a synthetic constant array owned by this layer (requant tables,
   * zero bias, weights re-packed for a SIMD kernel). Asking twice for the
   * same suffix returns the same symbol; the data must then be identical.
   */
  table(suffix: string, data: TableData): string;
  /**
   * Arena pointer expression (`T *`) to `bytes` of working memory for this
   * layer only: planned with the tensors, never live across a layer boundary.
   * One request per layer; a second call returns the same block.
   */
  scratch(ctype: string, bytes: number): string;
  tensor(id: number): Tensor;
}

/** An op turned into C: an optional kernel (deduplicated by name) and the invoke line. */
export interface OpEmission {
  /** Kernel template family (`templates/kernels/<family>.c.hbs`), null for views. */
  readonly family: string | null;
  /** Kernel function name; spells the configuration; null for views. */
  readonly kernel: string | null;
  /** Handlebars parameters of the kernel template. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Statement in invoke (null: nothing to run, e.g. reshape). */
  readonly call: string | null;
  readonly macs: number;
  /** Registry key of the SIMD variant that made it (set by selectVariant); absent for generic C. */
  readonly variantKey?: string;
  /**
   * Set when the kernel may run with its output overlapping its input
   * (in place): it writes output pixels in row-major order, `pixelBlock`
   * pixels at a time, never reads input before the first pixel the current
   * block's windows touch, and does not declare x / y `restrict`. The
   * planner then places the output as far below the input as that allows.
   * `rowsCopied`: before it writes an output row the kernel has copied the kH input rows the row needs out
   * of the input (a row ring in scratch) and reads the input nowhere else, so the output may come closer.
   */
  readonly streaming?: { readonly pixelBlock: number; readonly rowsCopied?: boolean };
  /**
   * Set when the kernel is elementwise (output i from input i alone, input
   * and output of one size) and reads each block of x before it writes the
   * same block of y, in ascending order: the output may then start at or
   * below its input, overlapping it (in place when equal).
   */
  readonly elementwise?: true;
}

export type OpEmitter<O extends Op = Op> = (op: O, ctx: EmitContext) => OpEmission;

/**
 * The SIMD kernels of one instruction-set extension. Given an op and the
 * generic emission, it may return a specialised one (its own template
 * family, kernel name, re-packed weights through `ctx.table`, call), or
 * null to keep the generic kernel. Constants the chosen call does not
 * reference are dropped from the weights blob.
 */
export interface IsaKernels {
  readonly isa: string;
  /** Every registered variant of this provider (the kernel tester covers each key). */
  readonly variants: readonly SimdVariant<any, any>[];
  /** The `KernelTuning.switches` its variants read, each with its meaning and default. */
  readonly switches?: Readonly<Record<string, string>>;
  select(op: Op, ctx: EmitContext, generic: OpEmission): OpEmission | null;
}

/** One layer as a kernel variant sees it: the op, the emit context, and the generic emission it may replace. */
export interface Layer<O extends Op = Op> {
  readonly op: O;
  readonly ctx: EmitContext;
  readonly generic: OpEmission;
}

/**
 * One SIMD kernel variant, as data: which layers it takes (`applies`, on
 * shape and dtype: issue 12 forbids value-dependent refusals), its name
 * (`id`, formatted by kernelId.ts only), and its emission: the weights it
 * re-packs (`ctx.table`), its template parameters and its call. `P` is the
 * plan `applies` computed, handed back to `id` and `emit`.
 */
export interface SimdVariant<P = unknown, O extends Op = Op> {
  /** Unique registry key `<isa>/<family>/<variant>`; the tester covers every key. */
  readonly key: string;
  readonly isa: KernelIsa;
  readonly ops: readonly OpKind[];
  applies(layer: Layer<O>): P | null;
  id(layer: Layer<O>, plan: P): KernelId;
  emit(layer: Layer<O>, plan: P): OpEmission;
}

/** The first variant (in list order) that applies and that the tuning allows, as an emission. */
export function selectVariant(variants: readonly SimdVariant<any, any>[], layer: Layer): OpEmission | null {
  const only = layer.ctx.tuning.only;
  for (const v of variants) {
    if (!v.ops.includes(layer.op.kind)) continue;
    if (only && !only.includes(v.key)) continue;
    const plan = v.applies(layer);
    if (plan !== null) return { ...v.emit(layer, plan), variantKey: v.key };
  }
  return null;
}
