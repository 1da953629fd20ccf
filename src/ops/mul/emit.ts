import type { MulOp } from './index.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, floatActRange, int32Literal, operandPointer, perTensorQuant, quantDType, shapeTag } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';
import { broadcastPlan } from '../shared/broadcast.js';

/**
 * Elementwise product (templates/kernels/mul.c.hbs): y[o·P + i] = x1[o·P + i] · x2[i], one loop nest for
 * equal shapes (one block of P = n) and broadcasting (flag `bc`, the output shape then P). The full
 * operand comes first: MUL commutes, each operand keeping its own zero point.
 */
export function emit(op: MulOp, ctx: EmitContext): OpEmission {
  const x1T = ctx.tensor(op.inputs[0]!);
  const x2T = ctx.tensor(op.inputs[1]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(x1T, op);
  if (x2T.dtype !== dtype || yT.dtype !== dtype) {
    throw badInput(`op ${op.name} (mul): ${x1T.dtype} * ${x2T.dtype} -> ${yT.dtype} is not supported (one dtype throughout)`);
  }
  const plan = broadcastPlan(x1T.shape, x2T.shape);
  if (typeof plan === 'string') throw badInput(`op ${op.name} (mul): ${plan}`);
  const bc = plan.form === 'suffix';
  const quant = dtype !== 'float32';
  const kernel = formatKernelId({
    op: 'mul',
    dtype: kernelDType(dtype),
    isa: 'c',
    ...(bc && { flags: { bc: true } }),
    shape: bc ? `${shapeTag(plan.shape)}_${plan.period}` : shapeTag(plan.shape),
  });
  const [fT, sT] = bc && plan.full === 1 ? [x2T, x1T] : [x1T, x2T];
  const ptr = (id: number) => (id === x1T.id ? ctx.arena(id, false) : operandPointer(ctx, id));
  const args = [ptr(fT.id), ptr(sT.id)];
  if (quant) {
    const p = op.mulQuant;
    if (!p) throw badInput(`op ${op.name} (mul) is quantized but has no mul parameters; run the requantize pass`);
    args.push(
      String(perTensorQuant(fT, op).zeroPoint),
      String(perTensorQuant(sT, op).zeroPoint),
      int32Literal(p.multiplier),
      int32Literal(p.shift),
      String(perTensorQuant(yT, op).zeroPoint),
      int32Literal(p.actMin),
      int32Literal(p.actMax),
    );
  } else {
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  return {
    family: 'mul',
    kernel,
    params: { fn: kernel, t: cType(dtype), dtype, quant, n: plan.n, outer: plan.n / plan.period, period: plan.period, bc, scalar: bc && plan.period === 1 },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}
