/**
 * What every SIMD ADD variant shares (templates/kernels/add_<isa>.c.hbs): the
 * layer as an 8-bit elementwise add (equal shapes, or a broadcast second
 * operand repeating every P values: a scalar, a per-channel vector; the
 * kernels' `bc` branch runs rows of P, the same-shape code untouched), its three
 * requantization stages from the one table builder (requant.ts
 * addRequantTables), the bound of the rescaled sum, and the kernel name.
 *
 * TFLite's quantized ADD: each input (x − zp) << 20 rescaled by its
 * multiplier (MultiplyByQuantizedMultiplierSmallerThanOneExp), the sum
 * rescaled to the output (any shift), plus the output zero point, clamped.
 * Every variant takes every int8/uint8 ADD (shape and dtype only); the forms
 * of its epilogue are chosen from the tables, never a refusal.
 */
import type { AddOp, Tensor } from '../../model/ir.js';
import { broadcastPlan } from '../../ops/shared/broadcast.js';
import { multiplyByQuantizedMultiplier } from '../../numerics/fixedpoint.js';
import { ADD_LEFT_SHIFT } from '../../ops/add/index.js';
import { formatKernelId, kernelDType, type KernelFlag, type KernelId, type KernelIsa } from '../kernelId.js';
import { int32Literal, shapeTag, operandPointer } from '../ops/common.js';
import { addRequantTables, type AddRequantTables, type RequantTable } from '../requant.js';
import type { Layer } from '../types.js';

export interface QuantAdd {
  readonly dtype: 'int8' | 'uint8';
  /** The operands as the kernel takes them: with a broadcast operand, the full one first (x1), its stage in rq.in1. */
  readonly x1: Tensor;
  readonly x2: Tensor;
  readonly y: Tensor;
  /** Output elements. */
  readonly n: number;
  /** A broadcast operand (flag `bc`): x2 repeats every `period` values (1: a scalar); n otherwise. */
  readonly bc: boolean;
  readonly period: number;
  /** The output shape tag of a broadcast kernel's name, `<output>_<period>`. */
  readonly shapeTag: string;
  readonly rq: AddRequantTables;
  /** The largest |a + b| of the two rescaled inputs over every input value (< 2^29 for shifts <= 0). */
  readonly sumBound: number;
}

/** The largest |stage(x − zp)| over the 8-bit range of the dtype. */
function stageBound(t: RequantTable, leftShift: number, dtype: 'int8' | 'uint8'): number {
  const lo = dtype === 'int8' ? -128 : 0;
  let b = 0;
  for (let x = lo; x < lo + 256; x++) {
    const v = Math.imul(x - t.xZp, 2 ** leftShift);
    b = Math.max(b, Math.abs(multiplyByQuantizedMultiplier(v, t.multiplier[0]!, t.shift[0]!)));
  }
  return b;
}

/**
 * The layer as an 8-bit ADD, or null (float, other dtypes). Equal shapes as they are; a broadcast operand
 * (src/ops/shared/broadcast.ts) second, the operands and their stages swapped when it is input 0 (ADD
 * commutes exactly: each input keeps its own zero point and stage, the int32 sum is the same).
 */
export function quantAdd(layer: Layer): QuantAdd | null {
  const op = layer.op as AddOp;
  const { ctx } = layer;
  if (op.kind !== 'add') return null;
  const t1 = ctx.tensor(op.inputs[0]!);
  const t2 = ctx.tensor(op.inputs[1]!);
  const y = ctx.tensor(op.outputs[0]!);
  const dtype = t1.dtype;
  if ((dtype !== 'int8' && dtype !== 'uint8') || t2.dtype !== dtype || y.dtype !== dtype) return null;
  const plan = broadcastPlan(t1.shape, t2.shape);
  if (typeof plan === 'string') return null;
  const bc = plan.form === 'suffix';
  const swap = bc && plan.full === 1;
  const tables = addRequantTables(op, ctx);
  const rq = swap ? { ...tables, in1: tables.in2, in2: tables.in1 } : tables;
  // TFLite's left shift of 8-bit inputs, a constant (kernel names do not spell it).
  if (rq.leftShift !== ADD_LEFT_SHIFT) return null;
  const sumBound = stageBound(rq.in1, rq.leftShift, dtype) + stageBound(rq.in2, rq.leftShift, dtype);
  const [x1, x2] = swap ? [t2, t1] : [t1, t2];
  return { dtype, x1, x2, y, n: plan.n, bc, period: plan.period, shapeTag: bc ? `${shapeTag(plan.shape)}_${plan.period}` : shapeTag(t1.shape), rq, sumBound };
}

/** The kernel name of an ADD variant: dtype, ISA, flags and the shape. */
export function addKernelId(q: QuantAdd, isa: KernelIsa, flags: NonNullable<KernelId['flags']>): KernelId {
  return { op: 'add', dtype: kernelDType(q.dtype), isa, flags: { ...flags, ...(q.bc ? { bc: true as const } : {}) }, shape: q.shapeTag };
}

export const addKernelName = (q: QuantAdd, isa: KernelIsa, flags: Partial<Record<KernelFlag, true>>): string => formatKernelId(addKernelId(q, isa, flags));

/** The operand pointers of the kernel call (either may be a constant but the op's input 0). */
export function addOperands(layer: Layer, q: QuantAdd): { x1: string; x2: string; y: string } {
  const { ctx } = layer;
  return { x1: operandPointer(ctx, q.x1.id), x2: operandPointer(ctx, q.x2.id), y: ctx.arena(q.y.id, true) };
}

/** The inputs whose stage shifts by zero (flags `z1`, `z2`): SRDHM alone, no rounding step. */
export function addZeroShifts(q: QuantAdd): { z1?: true; z2?: true } {
  return { ...(q.rq.in1.shift[0] === 0 ? { z1: true as const } : {}), ...(q.rq.in2.shift[0] === 0 ? { z2: true as const } : {}) };
}

/** The largest |x − zp| of an input over the dtype's range. */
export function inputSpan(q: QuantAdd, t: RequantTable): number {
  const lo = q.dtype === 'int8' ? -128 : 0;
  return Math.max(t.xZp - lo, lo + 255 - t.xZp);
}

/** Any of the three stages shifts left (the general epilogue form, flag `ls`). */
export const addAnyLeft = (q: QuantAdd): boolean => q.rq.in1.anyLeft || q.rq.in2.anyLeft || q.rq.out.anyLeft;

/**
 * The call arguments of the lane-wise (Helium, NEON) ADD kernels: inputs, one table of {multiplier, left
 * shift, right shift as a negative count} per stage (input 1, input 2, output), the zero points, the clamp,
 * the output.
 */
export function addLaneArgs(layer: Layer, q: QuantAdd, table: string): string[] {
  const ops = addOperands(layer, q);
  const { in1, in2, out } = q.rq;
  const consts = Int32Array.from([in1, in2, out].flatMap((t) => [t.multiplier[0]!, t.leftShift[0]!, t.rightShift[0]!]));
  return [
    ops.x1,
    ops.x2,
    layer.ctx.table(table, consts),
    String(in1.xZp),
    String(in2.xZp),
    String(out.yZp),
    int32Literal(out.actMin),
    int32Literal(out.actMax),
    ops.y,
  ];
}

/**
 * The template parameters of a broadcast ADD kernel (flag `bc`): rows of `inner` values (the period, or
 * every value for a scalar, which the kernel loads once), `outer` rows, the row tail past whole blocks of
 * `lanes`; {} for equal shapes (the same-shape kernels render as they always have).
 */
export function bcParams(q: QuantAdd, lanes: number): Record<string, unknown> {
  if (!q.bc) return {};
  const scalar = q.period === 1;
  const inner = scalar ? q.n : q.period;
  return { bc: true, scalar, period: q.period, inner, outer: q.n / inner, bctail: inner % lanes };
}
