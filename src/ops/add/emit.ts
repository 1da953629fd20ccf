import type { AddOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { cType, floatActRange, int32Literal, operandPointer, perTensorQuant, quantDType, shapeTag } from '../../codegen/ops/common.js';
import { formatKernelId, kernelDType } from '../../codegen/kernelId.js';
import { broadcastPlan } from '../shared/broadcast.js';

/**
 * Elementwise add (the second operand may be a constant); TFLite's quantized ADD for int8/uint8. Equal
 * shapes run the `add` kernels; a broadcast operand the `add_bc` kernels (templates/kernels/add_bc.c.hbs),
 * which take the full operand first: ADD commutes, each operand keeping its own zero point and stage.
 */
export function emit(op: AddOp, ctx: EmitContext): OpEmission {
  const x1T = ctx.tensor(op.inputs[0]!);
  const x2T = ctx.tensor(op.inputs[1]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(x1T, op);
  if (x2T.dtype !== dtype || yT.dtype !== dtype) {
    throw badInput(`op ${op.name} (add): ${x1T.dtype} + ${x2T.dtype} -> ${yT.dtype} is not supported (one dtype throughout)`);
  }
  const plan = broadcastPlan(x1T.shape, x2T.shape);
  if (typeof plan === 'string') throw badInput(`op ${op.name} (add): ${plan}`);
  const n = plan.n;
  const bc = plan.form === 'suffix';
  const quant = dtype !== 'float32';
  const kernel = formatKernelId({
    op: 'add',
    dtype: kernelDType(dtype),
    isa: 'c',
    ...(bc && { flags: { bc: true } }),
    shape: bc ? `${shapeTag(plan.shape)}_${plan.period}` : shapeTag(x1T.shape),
  });
  // The full operand first (a broadcast first operand swaps with the second).
  const [fT, sT, fk] = bc && plan.full === 1 ? [x2T, x1T, 2] : [x1T, x2T, 1];
  const ptr = (id: number) => (id === x1T.id ? ctx.arena(id, false) : operandPointer(ctx, id));
  const args = [ptr(fT.id), ptr(sT.id)];
  if (quant) {
    const p = op.addQuant;
    if (!p) throw badInput(`op ${op.name} (add) is quantized but has no add parameters; run the requantize pass`);
    const stage1 = [p.input1Multiplier, p.input1Shift];
    const stage2 = [p.input2Multiplier, p.input2Shift];
    const [sf, ss] = fk === 1 ? [stage1, stage2] : [stage2, stage1];
    args.push(
      String(perTensorQuant(fT, op).zeroPoint),
      String(perTensorQuant(sT, op).zeroPoint),
      String(p.leftShift),
      ...[...sf, ...ss, p.outputMultiplier, p.outputShift].map(int32Literal),
      String(perTensorQuant(yT, op).zeroPoint),
      int32Literal(p.actMin),
      int32Literal(p.actMax),
    );
  } else {
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  return {
    family: bc ? 'add_bc' : 'add',
    kernel,
    params: { fn: kernel, t: cType(dtype), dtype, quant, n, outer: n / plan.period, period: plan.period, scalar: plan.period === 1 },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}
