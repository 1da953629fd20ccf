/**
 * What every SIMD MUL variant shares (templates/kernels/mul_<isa>.c.hbs): the layer as an 8-bit
 * elementwise product, its broadcast form (src/ops/shared/broadcast.ts: equal shapes, a scalar, or a
 * per-channel vector repeating every P values), the one requantization stage (requant.ts
 * mulRequantTable), the bound of the product and the kernel name.
 *
 * TFLite's quantized MUL: acc = (x1 − zp1)(x2 − zp2), |x − zp| ≤ 255 so |acc| ≤ 65025 < 2^16, then
 * MultiplyByQuantizedMultiplier (any shift), plus the output zero point, clamped. The kernels take the
 * full operand first and the broadcast one second (MUL commutes exactly: one int32 product). Every
 * variant takes every int8/uint8 MUL (shape and dtype only).
 */
import { dtypeRange, type MulOp, type Tensor } from '../../model/ir.js';
import { broadcastPlan, type BroadcastPlan } from '../../ops/shared/broadcast.js';
import { formatKernelId, kernelDType, type KernelId, type KernelIsa } from '../kernelId.js';
import { int32Literal, operandPointer, shapeTag } from '../ops/common.js';
import { mulRequantTable, type RequantTable } from '../requant.js';
import type { Layer } from '../types.js';

export interface QuantMul {
  readonly dtype: 'int8' | 'uint8';
  /** The full operand (the output's elements) and the other one (P elements). */
  readonly full: Tensor;
  readonly small: Tensor;
  readonly y: Tensor;
  readonly plan: BroadcastPlan;
  /** Output elements, the period P of the small operand (n for equal shapes), P = 1. */
  readonly n: number;
  readonly period: number;
  readonly scalar: boolean;
  readonly bc: boolean;
  readonly zpFull: number;
  readonly zpSmall: number;
  readonly rq: RequantTable;
  /** The largest |(x1 − zp1)(x2 − zp2)| over every input value. */
  readonly accBound: number;
}

const span = (dtype: 'int8' | 'uint8', zp: number) => {
  const [lo, hi] = dtypeRange(dtype);
  return Math.max(zp - lo, hi - zp);
};

/** The layer as an 8-bit MUL, or null (float, mixed dtypes). */
export function quantMul(layer: Layer): QuantMul | null {
  const op = layer.op as MulOp;
  const { ctx } = layer;
  if (op.kind !== 'mul') return null;
  const x1 = ctx.tensor(op.inputs[0]!);
  const x2 = ctx.tensor(op.inputs[1]!);
  const y = ctx.tensor(op.outputs[0]!);
  const dtype = x1.dtype;
  if ((dtype !== 'int8' && dtype !== 'uint8') || x2.dtype !== dtype || y.dtype !== dtype) return null;
  const plan = broadcastPlan(x1.shape, x2.shape);
  if (typeof plan === 'string') return null;
  const bc = plan.form === 'suffix';
  const [full, small] = bc && plan.full === 1 ? [x2, x1] : [x1, x2];
  const zpFull = full.quant!.zeroPoint[0]!;
  const zpSmall = small.quant!.zeroPoint[0]!;
  const rq = mulRequantTable(op, ctx);
  return {
    dtype,
    full,
    small,
    y,
    plan,
    n: plan.n,
    period: plan.period,
    scalar: bc && plan.period === 1,
    bc,
    zpFull,
    zpSmall,
    rq,
    accBound: span(dtype, zpFull) * span(dtype, zpSmall),
  };
}

/** The kernel name of a MUL variant: dtype, ISA, flags (`bc` for a broadcast operand) and the generic kernel's shape. */
export function mulKernelName(q: QuantMul, isa: KernelIsa, flags: NonNullable<KernelId['flags']>): string {
  return formatKernelId({
    op: 'mul',
    dtype: kernelDType(q.dtype),
    isa,
    flags: { ...flags, ...(q.bc ? { bc: true as const } : {}) },
    shape: q.bc ? `${shapeTag(q.plan.shape)}_${q.period}` : shapeTag(q.plan.shape),
  });
}

/** The operand pointers of the call, full operand first (either may be a constant but input 0). */
export function mulOperands(layer: Layer, q: QuantMul): { full: string; small: string; y: string } {
  const { ctx } = layer;
  const x1 = layer.op.inputs[0]!;
  const ptr = (t: Tensor) => (t.id === x1 ? ctx.arena(t.id, false) : operandPointer(ctx, t.id));
  return { full: ptr(q.full), small: ptr(q.small), y: ctx.arena(q.y.id, true) };
}

/** The lane-wise kernels' call (Helium, NEON): operands, {multiplier, left shift, right shift (<= 0)}, zero points, clamp, output. */
export function mulLaneArgs(layer: Layer, q: QuantMul, table: string): string[] {
  const ops = mulOperands(layer, q);
  const t = q.rq;
  return [
    ops.full,
    ops.small,
    layer.ctx.table(table, Int32Array.of(t.multiplier[0]!, t.leftShift[0]!, t.rightShift[0]!)),
    String(q.zpFull),
    String(q.zpSmall),
    String(t.yZp),
    int32Literal(t.actMin),
    int32Literal(t.actMax),
    ops.y,
  ];
}
