import type { DepthwiseConv2DOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { convLike } from '../conv2d/emit.js';

export function emit(op: DepthwiseConv2DOp, ctx: EmitContext): OpEmission {
  const x = ctx.tensor(op.inputs[0]!);
  const y = ctx.tensor(op.outputs[0]!);
  if (y.shape[3] !== x.shape[3]! * op.depthMultiplier) {
    throw badInput(`op ${op.name}: output channels ${y.shape[3]} != input channels ${x.shape[3]} x depth multiplier ${op.depthMultiplier}`);
  }
  return convLike(op, ctx, 'dwconv');
}
