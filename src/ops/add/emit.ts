import { elementCount, type AddOp } from '../../model/ir.js';
import { badInput } from '../../model/errors.js';
import type { EmitContext, OpEmission } from '../../codegen/types.js';
import { DTYPE_TAG, cType, floatActRange, int32Literal, operandPointer, perTensorQuant, quantDType, shapeTag } from '../../codegen/ops/common.js';

/** Elementwise add of two same-shape tensors (the second may be a constant); TFLite's quantized ADD for int8/uint8. */
export function emit(op: AddOp, ctx: EmitContext): OpEmission {
  const x1T = ctx.tensor(op.inputs[0]!);
  const x2T = ctx.tensor(op.inputs[1]!);
  const yT = ctx.tensor(op.outputs[0]!);
  const dtype = quantDType(x1T, op);
  if (x2T.dtype !== dtype || yT.dtype !== dtype) {
    throw badInput(`op ${op.name} (add): ${x1T.dtype} + ${x2T.dtype} -> ${yT.dtype} is not supported (one dtype throughout)`);
  }
  const n = elementCount(x1T.shape);
  if (elementCount(x2T.shape) !== n || elementCount(yT.shape) !== n) {
    throw badInput(`op ${op.name} (add): shapes ${x1T.shape.join('x')} + ${x2T.shape.join('x')} -> ${yT.shape.join('x')} differ (no broadcasting)`);
  }
  const quant = dtype !== 'float32';
  const kernel = `mobilec_add_${DTYPE_TAG[dtype]}_generic_${shapeTag(x1T.shape)}`;
  const args = [ctx.arena(x1T.id, false), operandPointer(ctx, x2T.id)];
  if (quant) {
    const p = op.addQuant;
    if (!p) throw badInput(`op ${op.name} (add) is quantized but has no add parameters; run the requantize pass`);
    args.push(
      String(perTensorQuant(x1T, op).zeroPoint),
      String(perTensorQuant(x2T, op).zeroPoint),
      String(p.leftShift),
      ...[p.input1Multiplier, p.input1Shift, p.input2Multiplier, p.input2Shift, p.outputMultiplier, p.outputShift].map(int32Literal),
      String(perTensorQuant(yT, op).zeroPoint),
      int32Literal(p.actMin),
      int32Literal(p.actMax),
    );
  } else {
    args.push(...floatActRange(op.activation));
  }
  args.push(ctx.arena(yT.id, true));
  return {
    family: 'add',
    kernel,
    params: { fn: kernel, t: cType(dtype), dtype, quant, n },
    call: `${kernel}(${args.join(', ')});`,
    macs: 0,
  };
}
