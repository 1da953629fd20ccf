import type { Graph, Op, Tensor } from '../model/ir.js';

export type KernelVariant = 'simd' | 'generic';

/** What an op emitter may ask of the project being generated. */
export interface EmitContext {
  readonly graph: Graph;
  readonly index: number;
  /** Kernel variant requested (`simd` falls back to generic kernels for now). */
  readonly variant: KernelVariant;
  /** Arena pointer expression for a non-constant tensor, typed `const T *` or `T *`. */
  arena(tensorId: number, mutable: boolean): string;
  /** Symbol of a constant tensor (registered into the weights blob on first use). */
  constant(tensorId: number): string;
  /** Symbol of a synthetic constant array (requant tables, zero bias) owned by this layer. */
  table(suffix: string, data: Int32Array | Float32Array): string;
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
}

export type OpEmitter<O extends Op = Op> = (op: O, ctx: EmitContext) => OpEmission;
