import { elementCount, type FullyConnectedOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { weightedTypeParams } from '../shared/emit.js';
import { DTYPE_TAG, biasSymbol, quantDType, weightOperand, weightedKernelArgs } from '../../codegen/ops/common.js';

export function emit(op: FullyConnectedOp, ctx: EmitContext): OpEmission {
  const xT = ctx.tensor(op.inputs[0]!);
  const wT = ctx.tensor(op.inputs[1]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(xT, op);
  const quant = dtype !== 'float32';
  const [out, inn] = wT.shape as [number, number];
  const batch = elementCount(xT.shape) / inn;
  if (!Number.isInteger(batch) || batch * out !== elementCount(yT.shape)) {
    throw badInput(`op ${op.name}: input ${xT.shape.join('x')} / weights ${wT.shape.join('x')} / output ${yT.shape.join('x')} do not match`);
  }
  const w = weightOperand(op, ctx, dtype);
  const bias = biasSymbol(op, ctx, out, quant);
  const kernel = `mobilec_fc_${DTYPE_TAG[dtype]}${w.hasWZp && dtype === 'int8' ? '_wzp' : ''}_generic_${batch}x${inn}_${out}`;
  const args = weightedKernelArgs(op, ctx, xT, yT, w, bias, out, quant);
  return {
    family: 'fc',
    kernel,
    params: {
      fn: kernel,
      ...weightedTypeParams(dtype, w),
      batch,
      in: inn,
      out,
    },
    call: `${kernel}(${args.join(', ')});`,
    macs: batch * inn * out,
  };
}
