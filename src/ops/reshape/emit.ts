import { tensorBytes, type ReshapeOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';

/** Reshape is a view: the planner gives its output the input's bytes. Nothing runs. */
export function emit(op: ReshapeOp, ctx: EmitContext): OpEmission {
  const x = ctx.tensor(op.inputs[0]!);
  const y = ctx.tensor(op.outputs[0]!);
  if (tensorBytes(x) !== tensorBytes(y) || x.dtype !== y.dtype) {
    throw badInput(`op ${op.name}: reshape from ${x.shape.join('x')} ${x.dtype} to ${y.shape.join('x')} ${y.dtype} changes the bytes`);
  }
  return { family: null, kernel: null, params: {}, call: null, macs: 0 };
}
